"""Issue 34: the TUI as a conversation: follow-ups read with the session, answer states and their
colours, sessions tied to their index, the transcript's scrolling, keys and focus."""

from __future__ import annotations

import pytest
from textual import events
from tui_support import ScriptedSession, ask, cite, settle, type_text

pytestmark = pytest.mark.asyncio

TAMM = "Oska Tamm (1829–1903) was an engineer. He died in Verrin in the winter of 1903."


async def test_a_follow_up_shows_how_it_was_read_in_the_transcript_and_the_run_tree(make, store):
    followup = {"question": "When did he die?", "standalone": "When did Oska Tamm die?", "by": "code",
                "refs": ["he → Oska Tamm"]}
    result = {"answer": "1903 [1]", "short_answer": "1903", "confidence": 0.9,
              "standalone": followup["standalone"],
              "citations": [cite(1, "Oska Tamm", TAMM, quote=TAMM.split(". ")[1])]}
    app = make(ScriptedSession([("followup", followup)], result))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "When did he die?")
        assert "_read as: When did Oska Tamm die?_" in app.main.answer_view.source
        turn_node = app.main.tree.turn_node(app.main.answer_view.current.turn_id)
        labels = [str(n.label) for n in turn_node.children]
        assert any(label.startswith("follow-up, read as: When did Oska Tamm die?") for label in labels)
        [turn] = store.turns(app.session_id)
        assert turn.answer["standalone"] == "When did Oska Tamm die?"
        assert [e["type"] for e in turn.events].count("followup") == 1
        assert store.history(app.session_id) == [("When did Oska Tamm die?", "1903")]


async def test_not_in_your_documents_is_its_own_state_and_best_guesses_are_warnings(make):
    near = cite(1, "Ormsby Cup", "The Ormsby Cup is a rowing race held on the Oller each May.")
    refused = {"answer": "Not in your documents: none of the passages states it.", "short_answer": "",
               "not_found": True, "confidence": None, "citations": [near]}
    app = make(ScriptedSession([], refused))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "Who won the 2022 World Cup?")
        box = app.main.answer_view.box_of(app.main.answer_view.current.turn_id)
        assert box.state == "not-found" and box.verdict.has_class("-not-found")
        assert not box.verdict.has_class("-guess") and "Best guess" not in app.main.answer_view.source
        not_found_colour = box.verdict.styles.color
    guess = {"answer": "Not sure: Best guess: The Ormsby Cup [1]", "short_answer": "The Ormsby Cup",
             "abstained": True, "confidence": 0.41, "citations": [near]}
    app = make(ScriptedSession([], guess))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "Who won the 2022 World Cup?")
        box = app.main.answer_view.box_of(app.main.answer_view.current.turn_id)
        assert box.state == "guess" and box.verdict.has_class("-guess")
        assert box.verdict.styles.color != not_found_colour  # three states, three colours
        assert "confidence 41% (low)" in str(box.verdict.render())


async def test_list_and_compare_answers_show_their_confidence(make):
    items = [{"text": "The Verrin lighthouse (1866-1871)", "citations": [1]},
             {"text": "The Kestrel Bridge (1858)", "citations": [2]}]
    result = {"answer": "Tamm built two landmarks.", "short_answer": "", "shape": "list", "items": items,
              "citations": [cite(1, "Light", "The Verrin lighthouse was built 1866-1871."),
                            cite(2, "Kestrel", "The Kestrel Bridge opened in 1858.")]}
    events = [("synthesis", {"items": items, "dropped": ["Tamm also built the moon."], "overview": ""})]
    app = make(ScriptedSession(events, result))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "What did Oska Tamm build?")
        box = app.main.answer_view.box_of(app.main.answer_view.current.turn_id)
        text = str(box.verdict.render())
        assert box.state == "answered" and box.verdict.display
        assert ("confidence: each of the 2 line(s) is checked against its citations, 1 unsupported dropped"
                in text)


async def test_fallback_details_are_one_line_until_alt_d_expands_them(make):
    events = [("fallback", {"step": "read", "code": "read.refused_alone", "node": 1,
                            "reason": "reply 'people/edvard_lusk.md#0' refused: only repeats words of the "
                                      "question; the sentence read alone says Edvard Lusk"}),
              ("fallback", {"step": "decompose", "code": "decompose.unsound", "node": None,
                            "reason": "a hop cannot be asked: the whole question is read instead"})]
    result = {"answer": "Edvard Lusk [1].", "short_answer": "Edvard Lusk", "confidence": 0.8,
              "citations": [cite(1, "Edvard Lusk", "Edvard Lusk kept the Verrin light.")]}
    app = make(ScriptedSession(events, result))
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, "Who kept the Verrin light?")
        box = app.main.answer_view.box_of(app.main.answer_view.current.turn_id)
        assert box.details.collapsed and box.details.display
        assert box.details.title == ("⚠ answered after 1 fallback(s) (read); search plan: 1 fallback(s) "
                                     "(decompose)")
        assert app.focused is app.main.question_input
        await pilot.press("alt+d")  # from the input: no Tab needed
        assert not box.details.collapsed
        await pilot.press("alt+d")
        assert box.details.collapsed


def answered(n: int = 2) -> dict:
    cites = [cite(i, f"Page {i}", f"Passage {i} about the Verrin lighthouse.") for i in range(1, n + 1)]
    return {"answer": " ".join(f"Part {i} [{i}]." for i in range(1, n + 1)), "short_answer": "Part",
            "confidence": 0.9, "citations": cites}


async def test_citations_are_reached_from_the_input_without_tab(make):
    app = make(ScriptedSession([], answered(3)))
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, "What is said of the lighthouse?")
        main = app.main
        assert app.focused is main.question_input  # focus stays in the input after an answer
        await pilot.press("alt+2")
        assert main.evidence.citation["title"] == "Page 2" and main.question_input.value == ""
        await pilot.press("ctrl+right_square_bracket")
        assert app.focused is main.answer_view.citation_list
        await pilot.press("3")  # outside the input the plain digits open citations
        assert main.evidence.citation["title"] == "Page 3"
        await pilot.press("ctrl+l", "1")
        assert main.question_input.value == "1"  # in the input a digit is text
        # most terminals send alt+1 as ESC 1, which Textual reports as "¡" (macOS Option-1)
        await pilot.press("backspace", "inverted_exclamation_mark")
        assert main.evidence.citation["title"] == "Page 1" and main.question_input.value == ""
        await pilot.press("C", "o", "s", "t", " ")
        main.question_input.post_message(events.Key("pound_sign", "£"))  # as a terminal sends it
        await pilot.pause()
        assert main.question_input.value == "Cost £" and main.evidence.citation["title"] == "Page 1"


async def test_q_and_escape_close_every_panel_and_a_new_session_focuses_the_input(make):
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, "What is said of the lighthouse?")
        for key, panel in (("ctrl+r", "SessionsScreen"), ("ctrl+o", "CorpusScreen"), ("f1", "HelpScreen")):
            for close in ("q", "escape"):
                await pilot.press(key)
                await pilot.pause()
                assert type(app.screen).__name__ == panel
                if panel == "CorpusScreen":  # its path input has focus: q would be typed there
                    app.screen.query_one("#corpus-docs").focus()
                await pilot.press(close)
                await pilot.pause()
                assert app.screen is app.main, (panel, close)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("n")  # a new session from the sessions screen
        await pilot.pause()
        await pilot.pause()
        assert app.screen is app.main and app.focused is app.main.question_input
        await pilot.press("W", "h", "o")  # typed into the input
        assert app.screen is app.main and app.main.question_input.value == "Who"


async def test_the_transcript_stays_on_the_new_question_during_a_run(make, store):
    from tui_support import wait_for

    sid = store.new_session("", "demo-index")
    for i in range(12):
        turn = store.start_turn(sid, f"Earlier question {i}?")
        store.finish_turn(turn, "ok", {"answer": f"Answer {i} [1].", "short_answer": f"A{i}",
                                       "confidence": 0.8, "citations": [cite(1, "T", "text")]})
    events = [("step", {"kind": "tool", "step": "hybrid_search", "node": None, "text": "hybrid_search x"}),
              ("tool_call", {"node": None, "tool": "hybrid_search", "args": {"query": "x"},
                             "hits": [{"chunk_id": "a#0", "title": "A", "score": 0.5}]}),
              ("step", {"kind": "lm", "step": "read", "node": 1, "text": "read #1 with the LM"})]
    items = [{"text": f"Line {i} of a long list answer", "citations": [1]} for i in range(25)]
    session = ScriptedSession(events, {"answer": "x", "shape": "list", "items": items,
                                       "citations": [cite(1, "T", "text")]}, pause_at=2)
    app = make(session, session_id=sid)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_text(pilot, "A new question?")
        await pilot.press("enter")
        assert await wait_for(session.paused)
        for _ in range(4):
            await pilot.pause()
        view = app.main.answer_view
        t = view.transcript
        running = view.box_of(view.current.turn_id)
        assert t.scroll_y > 0 and t.scroll_y == t.max_scroll_y  # the running question, not turn 1
        assert running.region.height and t.region.contains_region(running.region)
        session.resume.set()
        await settle(app, pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        box = view.box_of(view.current.turn_id)
        # the long answer starts at the top of the pane: its question, then as many lines as fit
        assert box.region.y == t.region.y and t.scroll_y > 0


async def test_a_session_reopens_on_its_own_index_or_says_why_not(make, store, config, small_index):
    index = small_index("conversation-index", {"a.md": "# A\nThe Verrin lighthouse is on Gannet Point."})
    sid = store.new_session("Where is it?", str(index.dir), "local")
    turn = store.start_turn(sid, "Where is the lighthouse?")
    store.finish_turn(turn, "ok", answered(1))
    gone = store.new_session("Old?", "/nowhere/old-index", "local")
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_session(sid)
        await settle(app, pilot)
        assert config.index_dir == str(index.dir) and app.session_id == sid
        assert str(index.dir.name) in app.main.status.index
        app.open_session(gone)
        await settle(app, pilot)
        assert config.index_dir == str(index.dir)  # unchanged: that index is gone
        assert app.session_id is None  # the next question starts a new session, on this index
        assert any("no longer exists" in n.message for n in app._notifications)


async def test_export_asks_before_replacing_a_file_and_writes_the_confidence(make, tmp_path):
    from textual.widgets import Input

    target = tmp_path / "report.md"
    target.write_text("my notes\n")
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, "What is said of the lighthouse?")
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen" and target.read_text() == "my notes\n"
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "my notes\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert "_Confidence: 90%._" in target.read_text()


async def test_a_pager_that_takes_no_line_number_gets_the_file_alone(tmp_path):
    from tui.opener import open_command

    doc = tmp_path / "a.md"
    doc.write_text("# A\n\nThe Verrin lighthouse.\n")
    assert open_command(doc, "The Verrin lighthouse.", env={"PAGER": "cat"}) == ["cat", str(doc)]
    assert open_command(doc, "The Verrin lighthouse.", env={"PAGER": "/usr/bin/less -R"}) == \
        ["/usr/bin/less", "-R", "+3", str(doc)]


@pytest.mark.parametrize("full", [False, True], ids=["empty", "full"])
async def test_every_main_screen_key_works_on_an_empty_and_a_full_app(make, full, monkeypatch):
    from textual.binding import Binding

    from tui.screens.keys import MAIN_BINDINGS

    monkeypatch.setenv("PAGER", "true")
    monkeypatch.setenv("EDITOR", "true")
    keys = [b.key for b in Binding.make_bindings(MAIN_BINDINGS) if b.key != "ctrl+q"]
    app = make(ScriptedSession([], answered(3)))
    async with app.run_test(size=(80, 24)) as pilot:
        if full:
            await ask(pilot, "What is said of the lighthouse?")
            await ask(pilot, "And what else?")
        # with no citations the citations pass would focus the input again: the input pass alone
        for focus in ("input", "citations") if full else ("input",):
            for key in keys:
                if focus == "citations" and app.main.answer_view.citation_list.citations:
                    app.main.answer_view.citation_list.focus()
                else:
                    app.main.question_input.focus()
                await pilot.press(key)
                await pilot.pause()
                for _ in range(3):  # close whatever the key opened
                    if app.screen is app.main:
                        break
                    await pilot.press("escape")
                    await pilot.pause()
                assert app.is_running and app.screen is app.main, key
