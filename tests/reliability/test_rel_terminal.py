"""Probes: control characters of documents (ESC [2J, ESC [31m, OSC 52) never reach the terminal raw,
in the CLI or in the TUI, and document text cannot inject Textual markup or actions."""

from __future__ import annotations

import pytest
from textual.app import App

from tui.cli import main

EVIL = "Lowbridge\x1b[2J lies\x1b[31m on the\x1b]52;c;aGk=\x07 Sarn [@click=app.quit]x[/] [b]river[/b]."


def _lines(widget) -> str:
    """Every line the widget renders, as the text that would be written to the terminal."""
    out = []
    for y in range(widget.size.height):
        out.append("".join(segment.text for segment in widget.render_line(y)))
    return "\n".join(out)


def _clean(rendered: str) -> None:
    assert "\x1b" not in rendered and "\x07" not in rendered
    assert "\\x1b[2J" in rendered or "\\x1b" in rendered


class Probe(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


CITATION = {"n": 1, "chunk_id": "evil.md#0", "doc_id": "evil.md", "title": "Evil\x1b[2J [b]title[/b]",
            "source": "/docs/evil.md", "text": EVIL, "quote": "Lowbridge\x1b[2J lies", "injection": []}


@pytest.mark.asyncio
async def test_the_evidence_pane_escapes_passages_and_titles():
    from tui.widgets.evidence import EvidencePane

    pane = EvidencePane()
    app = Probe(pane)
    async with app.run_test(size=(140, 30)) as pilot:
        pane.show(CITATION)
        await pilot.pause()
        rendered = "\n".join(_lines(part) for part in pane._parts())
        _clean(rendered)
        assert "[@click=app.quit]x[/]" in rendered and "[b]title[/b]" in rendered  # shown, not obeyed
        pane.show_text("Node\x1b[31m", EVIL, "note\x1b]52;c;aGk=\x07")
        await pilot.pause()
        _clean("\n".join(_lines(part) for part in pane._parts()))


@pytest.mark.asyncio
async def test_the_run_tree_escapes_titles_sentences_and_answers():
    from tui.widgets.run_tree import RunTree

    tree = RunTree()
    app = Probe(tree)
    async with app.run_test(size=(140, 30)) as pilot:
        tree.start_turn(1, "Where is\x1b[2J Lowbridge?")
        tree.add_event(1, {"type": "tool_call", "data": {"node": 1, "tool": "hybrid_search",
                                                         "args": {"query": "Sarn\x1b[31m"},
                                                         "hits": [{"chunk_id": "evil.md#0",
                                                                   "title": CITATION["title"], "score": 1.0}],
                                                         "new": ["evil.md#0"]}})
        tree.add_event(1, {"type": "answer", "data": {"short_answer": "Sarn\x1b]52;c;aGk=\x07",
                                                      "citations": [CITATION]}})
        tree.root.expand_all()
        await pilot.pause()
        labels = [str(n.label) for n in _walk(tree.root)]
        joined = "\n".join(labels)
        assert "\x1b" not in joined and "\x07" not in joined and "Evil\\x1b[2J [b]title[/b]" in joined
        _clean(_lines(tree))


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


@pytest.mark.asyncio
async def test_the_transcript_turn_escapes_the_answer_and_question():
    from tui.widgets.turn_box import TurnBox
    from tui.widgets.turns import TurnView

    answer = {"answer": EVIL + " [1]", "citations": [CITATION], "confidence": 0.9}
    turn = TurnView.from_saved(1, "Where is\x1b[2J Lowbridge?", answer, "ok")
    box = TurnBox(turn)
    app = Probe(box)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        rendered = "\n".join(_lines(w) for w in box.walk_children() if hasattr(w, "render_line"))
        assert "\x1b" not in rendered and "\x07" not in rendered and "\\x1b[2J" in rendered


@pytest.mark.asyncio
async def test_notifications_show_markup_and_escapes_as_text(tmp_path):
    from agent.config import HopperConfig
    from tui.app import make_app
    from tui.sessions import SessionStore

    bad = str(tmp_path / "[@click=app.quit]x[/]\x1b[2J.json")

    def broken(cfg):
        raise IsADirectoryError(21, "Is a directory", bad)

    store = SessionStore(tmp_path / "sessions.sqlite3")
    app = make_app(HopperConfig(), session=None, store=store, session_factory=broken, live_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if any(n.severity == "error" for n in app._notifications):
                break
        errors = [n for n in app._notifications if n.severity == "error"]
    store.close()
    assert errors and not errors[0].markup
    assert errors[0].message.startswith(str(tmp_path / "[@click=app.quit]x[/]\\x1b[2J.json"))


def test_cli_search_escapes_control_characters(tmp_path, clean_env, capsys):
    from rel_support import settings

    from tools.index import build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "evil.md").write_text(f"# Evil\x1b[2J title\n{EVIL}")
    build_index([docs], tmp_path / "idx", settings())
    assert main(["search", "Sarn river", "--index", str(tmp_path / "idx"), "-r", "bm25"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out

