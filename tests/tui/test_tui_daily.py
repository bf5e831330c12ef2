"""Issue 17, items 4-8 and the "Also" line: run tree, help/history/copy/export, evidence source,
the no-index state, safer actions (keyboard only; the real sessions store, files in tmp_path)."""

from __future__ import annotations

import stat
import tomllib

import pytest
from textual.widgets import HelpPanel, Input
from tui_support import ScriptedSession, ask, cite, settle, type_text, write_pdf

from agent.config import load_config
from tools.errors import IndexNotFoundError

pytestmark = pytest.mark.asyncio

LIGHT = ("The Verrin lighthouse stands on Gannet Point. It was designed by the engineer Oska Tamm and built "
         "between 1866 and 1871.")
QUOTE = "It was designed by the engineer Oska Tamm and built between 1866 and 1871."


def answered(citations=None, **extra) -> dict:
    return {"answer": "Oska Tamm [1].", "short_answer": "Oska Tamm",
            "citations": citations or [cite(1, "The Verrin Lighthouse", LIGHT, quote=QUOTE)], **extra}


def recorder(tmp_path, name: str):
    """An executable that appends its arguments (and the first line of its last one) to a log."""
    log = tmp_path / f"{name}.log"
    script = tmp_path / name
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\n'
                      f'for a; do last="$a"; done\nhead -n 1 "$last" >> {log}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script), log


async def test_run_tree_heading_whole_query_and_hit_passage(make):
    query = ("Who designed the lighthouse on Gannet Point at the entrance of Verrin harbour, and in which "
             "years was it built according to the harbour authority's annual reports?")
    hit = {"chunk_id": "the_verrin_lighthouse.md#0", "doc_id": "the_verrin_lighthouse.md",
           "title": "The Verrin Lighthouse", "score": 0.9}
    events = [("tool_call", {"node": None, "tool": "hybrid_search", "args": {"query": query, "k": 5},
                             "hits": [hit], "new": [hit["chunk_id"]], "seconds": 0.1, "error": None})]
    app = make(ScriptedSession(events, answered()))
    async with app.run_test(size=(200, 50)) as pilot:
        await ask(pilot, "Who designed it?")
        main = app.main
        assert "Research tree" in str(main.query_one("#tree-pane .pane-title").render())
        turn = main.tree.turn_node(main.answer_view.current.turn_id)
        node = next(n for n in turn.children if (n.data or {}).get("kind") == "query")
        assert query in str(node.label)  # not cut at 60 characters
        for _ in range(6):  # Tab through the panes to the tree
            if app.focused is main.tree:
                break
            await pilot.press("tab")
        assert app.focused is main.tree
        main.tree.move_cursor(node)
        await pilot.press("enter")
        assert main.evidence.text.endswith(query) and "hybrid_search query" in main.evidence.text
        await pilot.press("down", "enter")  # the query's first hit: its passage
        assert main.evidence.citation["chunk_id"] == hit["chunk_id"]
        assert LIGHT in main.evidence.text


async def test_help_screen_lists_every_key_and_closes(make):
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        assert app.screen.__class__.__name__ == "HelpScreen"
        text = app.screen.text
        for key in ("ctrl+y", "ctrl+s", "ctrl+r", "1-9", "[", "f5", "u", "o", "up / down (input)"):
            assert key in text, key
        await pilot.press("escape")
        assert app.screen is app.main
        await pilot.press("?")  # the input is empty: help
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape", *"Why?")  # in a question, ? is typed
        assert app.main.question_input.value == "Why?" and app.screen is app.main
        await pilot.press("ctrl+p", *"Help: every", "enter")  # and from the command palette
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"


async def test_input_history_walks_earlier_questions(make, store):
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "first question")
        await ask(pilot, "second question")
        box = app.main.question_input
        await type_text(pilot, "draft")
        await pilot.press("up")
        assert box.value == "second question"
        await pilot.press("up", "up")
        assert box.value == "first question"
        await pilot.press("down")
        assert box.value == "second question"
        await pilot.press("down")
        assert box.value == "draft"
    app = make(ScriptedSession([], answered()))  # a new start remembers questions of earlier sessions
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("up")
        assert app.main.question_input.value == "second question"


async def test_copy_answer_and_export_the_session(make, tmp_path):
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+y")
        assert any("No finished answer" in n.message for n in app._notifications)
        await ask(pilot, "Who designed the Verrin lighthouse?")
        await pilot.press("ctrl+y")
        assert app.clipboard.startswith("Oska Tamm [1].")
        reference = f'[1] The Verrin Lighthouse (/home/me/notes/docs/the_verrin_lighthouse.md): "{QUOTE}"'
        assert reference in app.clipboard
        await pilot.press("ctrl+s")  # save = export on the main screen
        assert app.screen.__class__.__name__ == "PathScreen"
        assert app.screen.query_one(Input).value.endswith(f"hopper-session-{app.session_id}.md")
        out = tmp_path / "out" / "report.md"
        await pilot.press("ctrl+u")
        await type_text(pilot, str(out))
        await pilot.press("enter")
        await pilot.pause()
        report = out.read_text()
        assert "## Who designed the Verrin lighthouse?" in report and "Oska Tamm [1]." in report
        assert "## References" in report and "**The Verrin Lighthouse**" in report and f"> {QUOTE}" in report


async def test_evidence_short_path_page_and_open_in_pager(make, tmp_path, monkeypatch):
    notes = tmp_path / "notes" / "docs" / "things"
    notes.mkdir(parents=True)
    md = notes / "light.md"
    md.write_text("# The Verrin Lighthouse\n\nIntro line.\n\n" + LIGHT + "\n")
    pdf = write_pdf(tmp_path / "notes" / "docs" / "report.pdf",
                    [["Annual report of the harbour."], ["The tower was built of pale granite from Skarra.",
                                                         "It was glazed with glass from Caskwell."]])
    pager, log = recorder(tmp_path, "pager")
    editor, elog = recorder(tmp_path, "editor")
    monkeypatch.setenv("PAGER", pager)
    monkeypatch.setenv("EDITOR", editor)
    report = "The tower was built of pale granite from Skarra. It was glazed with glass from Caskwell."
    citations = [cite(1, "The Verrin Lighthouse", LIGHT, doc_id="things/light.md", source=str(md)),
                 cite(2, "Harbour report", report, doc_id="report.pdf", source=str(pdf))]
    app = make(ScriptedSession([], answered(citations, answer="Oska Tamm [1][2].")))
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, "Who designed the Verrin lighthouse?")
        await pilot.press("tab")
        head = app.main.evidence.text.splitlines()[0]
        # at 80 columns the research tree is hidden: the evidence pane is wide enough for title and path
        assert head == "[1] The Verrin Lighthouse  docs/things/light.md"
        await pilot.press("o")
        await settle(app, pilot)
        assert log.read_text().splitlines() == [f"+5 {md}", "# The Verrin Lighthouse"]  # the passage's line
        await pilot.press("e")
        await settle(app, pilot)
        assert elog.read_text().splitlines()[0] == f"+5 {md}"
        await pilot.press("2")
        await settle(app, pilot)  # the PDF page is found in a worker
        assert app.main.evidence.text.splitlines()[0] == "[2] Harbour report  docs/report.pdf · p. 2"
        log.write_text("")
        await pilot.press("o")
        await settle(app, pilot)
        assert f"{pdf} · page 2 of 2" in log.read_text()  # the page's text, opened in the pager
        md.unlink()
        await pilot.press("1", "o")
        assert any("no longer exists" in n.message for n in app._notifications if n.severity == "error")


async def test_no_index_shows_an_empty_state_with_the_fix(make, config, tmp_path):
    config.index_dir = str(tmp_path / "empty")

    def factory(cfg):
        raise IndexNotFoundError(f"no index in {cfg.index_dir}; build one with `hopper index`")

    app = make(None, session_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main
        assert main.empty_state.display and not main.answer_view.display
        assert "Nothing to search yet" in main.empty_state.text and "No index in" in main.empty_state.text
        assert app.focused is main.empty_state.query_one("#empty-fix")
        await pilot.press("enter")
        assert app.screen.__class__.__name__ == "CorpusScreen"
        # the corpus grew (what indexing a folder does): the agent is built again, the answers come back
        app.session_factory = lambda cfg: ScriptedSession([], answered())
        app.reload_index()
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.session is not None and not main.empty_state.display and main.answer_view.display
        assert app.focused is main.question_input
        await ask(pilot, "Who designed the Verrin lighthouse?")
        assert "Oska Tamm" in main.answer_view.source


async def test_delete_asks_first_and_can_be_undone(make, store):
    sid = store.new_session("", "demo-index")
    turn = store.start_turn(sid, "Old question?")
    store.finish_turn(turn, "ok", {"answer": "Old answer.", "citations": []})
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r", "d")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")
        assert [s.id for s in store.list_sessions()] == [sid]
        await pilot.press("d", "y")
        await pilot.pause()
        assert store.list_sessions() == []
        await pilot.press("u")
        await pilot.pause()
        assert [s.id for s in store.list_sessions()] == [sid]
        [restored] = store.turns(sid)
        assert restored.question == "Old question?" and restored.answer["answer"] == "Old answer."
        assert app.screen.table.row_count == 1


async def test_settings_saved_to_hopper_toml(make, config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hopper.toml").write_text("# my project\n[agent]\nmode = \"agent\"  # keep\nk = 7\n")
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        app.screen.query_one("#set-rounds", Input).value = "3"
        await pilot.press("ctrl+s")  # save = write hopper.toml in Settings too
        await pilot.pause()
        assert app.screen is app.main and config.agent.max_rounds == 3
    text = (tmp_path / "hopper.toml").read_text()
    # only the changed setting is written; the file's lines keep their comments, other keys stay
    assert text == '# my project\n[agent]\nmode = "agent"  # keep\nk = 7\nmax_rounds = 3\n'
    assert "lm" not in tomllib.loads(text)
    reread = load_config(env={}, cwd=tmp_path, user_file=tmp_path / "none.toml")
    assert reread.agent.max_rounds == 3 and reread.agent.k == 7


async def test_escape_closes_the_keys_panel(make):
    app = make(ScriptedSession([], answered()))
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_show_help_panel()  # what the palette's "Keys" command does
        await pilot.pause()
        assert app.screen.query(HelpPanel)
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query(HelpPanel)
