"""Pilot tests of the main screen with a session replaying a recorded agent trace."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Markdown
from tui_support import ReplaySession, screen_text, settle, type_text, wait_for

from tools.errors import ModelError

pytestmark = pytest.mark.asyncio


async def ask(app, pilot, question: str) -> None:
    await pilot.click("#question")
    await type_text(pilot, question)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_ask_shows_answer_citations_and_tree(make, replay, store):
    app = make(replay)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(app, pilot, "Who designed the Verrin lighthouse?")
        main = app.main
        expected = replay.result
        # the answer, with its [n] markers turned into citation links
        assert "Who designed the Verrin lighthouse?" in main.answer_view.source
        assert "(cite:" in main.answer_view.source
        cites = main.answer_view.citation_list
        assert [c["n"] for c in cites.citations] == [c["n"] for c in expected["citations"]]
        assert cites.display
        # the tree: question, sub-questions, queries with hits, verdicts, answer
        tree = main.tree
        assert tree.node_count > 5
        turn = tree.root.children[0]
        kinds = {child.data["kind"] for child in turn.children}
        assert {"sub", "answer"} <= kinds
        labels = " ".join(str(n.label) for n in _walk(turn))
        assert "read r1" in labels and "hybrid_search" in labels
        assert "ok" in str(turn.label)
        # status bar counts from the trace
        end = replay.recorded.first("run_end").data
        assert main.status.tool_calls == end["tool_calls"]
        assert main.status.tokens == end["tokens"]
        assert main.status.state == "ready"
        # the input is unlocked again and focused
        assert not main.question_input.disabled
        assert app.focused is main.question_input
        # keyboard: Tab reaches the citations, a number key opens one in the evidence pane
        await pilot.press("tab")
        assert app.focused is cites
        first = expected["citations"][0]
        await pilot.press(str(first["n"]))
        await pilot.pause()
        assert main.evidence.citation["chunk_id"] == first["chunk_id"]
        assert first["title"] in main.evidence.text
        assert "docs/things/verrin_lighthouse.md" in main.evidence.text
        assert first["text"][:80] in main.evidence.text
        # saved as it happened: the turn, its answer and its full trace
        turns = store.turns(app.session_id)
        assert len(turns) == 1 and turns[0].status == "ok"
        assert turns[0].answer["answer"] == expected["answer"]
        assert [e["type"] for e in turns[0].events] == [e.type for e in replay.recorded.events]


async def test_citation_selected_with_the_mouse(make, replay):
    app = make(replay)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(app, pilot, "Who designed the Verrin lighthouse?")
        main = app.main
        last = replay.result["citations"][-1]
        # click the citation in the list under the answer
        index = len(replay.result["citations"]) - 1
        assert await pilot.click("#citations", offset=(3, index + 1))  # under the list's title line
        await pilot.pause()
        assert main.evidence.citation["chunk_id"] == last["chunk_id"]
        # click a [n] marker in the answer Markdown (a cite: link)
        first = replay.result["citations"][0]
        marker = f"[{first['n']}]"
        main.answer_view.transcript.scroll_end(animate=False)  # the markers close the (long) answer
        await pilot.pause()
        width = main.answer_view.region.right
        for y, line in enumerate(screen_text(app).splitlines()):
            x = line.find(marker)
            if 0 <= x < width and y < main.answer_view.citation_list.region.y:
                break
        else:
            raise AssertionError(f"{marker} not drawn in the answer")
        assert await pilot.click(offset=(x + 1, y))
        await pilot.pause()
        assert main.evidence.citation["chunk_id"] == first["chunk_id"]
        # and the handler maps any turn's link to that turn's citations
        md = main.answer_view.markdown_of(main.answer_view.current.turn_id)
        md.post_message(Markdown.LinkClicked(md, f"cite:{main.answer_view.current.turn_id}:{last['n']}"))
        await pilot.pause()
        assert main.evidence.citation["chunk_id"] == last["chunk_id"]


async def test_input_locked_while_running_and_escape_cancels(make, store):
    session = ReplaySession(pause_after=4)
    app = make(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#question")
        await pilot.press(*"Who designed the Verrin lighthouse?", "enter")
        assert await wait_for(session.paused)
        await pilot.pause()
        main = app.main
        assert main.running and main.question_input.disabled
        assert main.has_class("-running") and main.status.state == "running"
        assert main.tree.node_count >= 1  # events arrived while the run goes on
        await pilot.press("escape")
        await settle(app, pilot)
        assert not main.running and not main.question_input.disabled
        assert main.status.state == "cancelled"
        assert "Cancelled" in main.answer_view.source
        assert any("cancelled" in n.message for n in app._notifications)
        turn = store.turns(app.session_id)[0]
        assert turn.status == "cancelled"
        assert turn.events[-1]["type"] == "run_end" and turn.events[-1]["data"]["status"] == "cancelled"


async def test_follow_up_sees_history_and_session_reopens(make, replay, store, config):
    app = make(replay)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(app, pilot, "Who designed the Verrin lighthouse?")
        await ask(app, pilot, "Where was that person born?")
        session_id = app.session_id
        assert replay.calls[0]["history"] == []
        first_turn = ("Who designed the Verrin lighthouse?", replay.result["short_answer"])
        assert replay.calls[1]["history"] == [first_turn]
        assert replay.calls[1]["mode"] == config.agent.mode

    # a new app reopens the saved session from the sessions screen
    app2 = make(ReplaySession())
    async with app2.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app2.screen.__class__.__name__ == "SessionsScreen"
        assert app2.screen.table.row_count == 1
        await pilot.press("enter")
        await pilot.pause()
        main = app2.main
        assert app2.screen is main and app2.session_id == session_id
        source = main.answer_view.source
        assert "Who designed the Verrin lighthouse?" in source and "Where was that person born?" in source
        assert len(main.tree.root.children) == 2
        assert main.answer_view.citation_list.citations  # the last turn's citations, selectable again
        await pilot.press("tab", "1")
        assert main.evidence.citation is not None
        # a follow-up in the reopened session sees both earlier turns
        await ask(app2, pilot, "And when?")
        assert len(app2.session.calls[0]["history"]) == 2


async def test_reopen_with_session_id_and_delete(make, replay, store):
    first = store.new_session("", "demo-index")
    turn = store.start_turn(first, "Old question?")
    store.finish_turn(turn, "ok", {"answer": "Old answer [1].", "citations": [
        {"n": 1, "chunk_id": "c1", "doc_id": "d", "title": "T", "source": "s.md", "text": "old text"}]})
    other = store.new_session("", "demo-index")
    store.start_turn(other, "Another?")
    app = make(replay, session_id=first)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "Old answer" in app.main.answer_view.source
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert screen.table.row_count == 2
        screen.table.move_cursor(row=[s.id for s in store.list_sessions()].index(first))
        await pilot.press("d", "y")
        await pilot.pause()
        assert [s.id for s in store.list_sessions()] == [other]
        assert app.session_id is None  # the open session was deleted: a new one starts
        assert screen.table.row_count == 1


async def test_agent_errors_become_notifications(make, store):
    app = make(ReplaySession(error=ModelError("the LM server at http://x is unreachable; start it")))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(app, pilot, "Who designed the Verrin lighthouse?")
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "unreachable" in errors[0].message
        assert not app.main.question_input.disabled
        assert store.turns(app.session_id)[0].status == "error"

    app = make(ReplaySession(error=RuntimeError("boom")))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(app, pilot, "Again?")
        assert any("boom" in n.message for n in app._notifications if n.severity == "error")
        assert app.is_running


async def test_session_built_in_a_worker_and_failure_notified(make, replay):
    built = []

    def factory(cfg):
        built.append(cfg.lm.model)
        return replay

    app = make(None, session_factory=factory)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is replay and built == ["local"]
        assert app.main.status.state == "ready"

    def broken(cfg):
        raise ModelError("no local model installed: pip install hopper[local]")

    app = make(None, session_factory=broken)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is None and app.main.status.state == "no agent"
        assert any("pip install" in n.message for n in app._notifications if n.severity == "error")
        await ask(app, pilot, "Anything?")  # asking without an agent explains why, no crash
        assert app.is_running


async def test_settings_screen_and_palette(make, replay, config):
    built = []

    def factory(cfg):
        built.append((cfg.lm.model, cfg.lm.fast_model))
        return replay

    app = make(replay, session_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SettingsScreen"
        rounds = app.screen.query_one("#set-rounds", Input)
        rounds.value = "2"
        app.screen.query_one("#set-fast-lm", Input).value = "local:smollm2"
        await pilot.press("enter")  # Enter in a field applies for this run
        await settle(app, pilot)
        assert app.screen is app.main
        assert config.agent.max_rounds == 2 and config.lm.fast_model == "local:smollm2"
        assert built == [("local", "local:smollm2")]  # the LM changed: the session was rebuilt
        assert app.main.status.max_rounds == 2

        # invalid values are refused with a notification
        await pilot.press("ctrl+t")
        await pilot.pause()
        app.screen.query_one("#set-rounds", Input).value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SettingsScreen"
        assert any(n.severity == "error" for n in app._notifications)
        await pilot.press("escape")

        # the command palette sets retriever, mode and rounds
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Rounds budget: 5")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert config.agent.max_rounds == 5
        await pilot.press("ctrl+p")
        await type_text(pilot, "Retriever: bm25")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert config.agent.retriever == "bm25"


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


async def test_lm_change_during_a_run_applies_after_it(make, config):
    session = ReplaySession(pause_after=3)
    built = []

    def factory(cfg):
        built.append(cfg.lm.model)
        return ReplaySession()

    app = make(session, session_factory=factory)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#question")
        await type_text(pilot, "Who designed the Verrin lighthouse?")
        await pilot.press("enter")
        assert await wait_for(session.paused)
        assert app.apply_settings({"lm.model": "openai/gpt-4o-mini"})
        await pilot.pause()
        assert built == [] and app.session is session  # not while the run uses the LM
        await pilot.press("escape")
        await settle(app, pilot)
        assert built == ["openai/gpt-4o-mini"] and app.session is not session
        assert app.main.status.state == "ready" and not app.main.question_input.disabled


async def test_new_session_on_the_first_screen_does_not_crash(make, replay):
    """ctrl+n before any question (and again, and after one): the transcript is rebuilt without a
    widget id mounted twice (it raised DuplicateIds on 'welcome' and the app exited)."""
    app = make(replay)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(3):
            await pilot.press("ctrl+n")
            await settle(app, pilot)
        assert app.is_running and app.main.answer_view.transcript.query("#welcome")
        await ask(app, pilot, "Who designed the Verrin lighthouse?")
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.is_running
        assert len(app.main.answer_view.transcript.query("#welcome")) == 1
        assert not app.main.answer_view.transcript.query("Markdown.-turn, #turn-1")
