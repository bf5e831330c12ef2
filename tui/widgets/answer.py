"""The conversation as Markdown with clickable citation markers, and the citations under it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, OptionList
from textual.widgets.option_list import Option

from tui.messages import CitationSelected

CITE = re.compile(r"\[(\d+)\]")
WELCOME = ("Ask a question about your documents below. The answer appears here with its citation "
           "markers; press **Tab** to reach the citations (or click a marker) to read the evidence.")


@dataclass
class TurnView:
    turn_id: int
    question: str
    answer: str = ""
    status: str = "running"
    citations: list[dict[str, Any]] = field(default_factory=list)


def _escape(text: str) -> str:
    return text.replace("<", "&lt;")


def turn_markdown(turn: TurnView) -> str:
    """One turn as Markdown; `[n]` markers become `cite:TURN:N` links."""
    known = {int(c["n"]) for c in turn.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](cite:{turn.turn_id}:{n})" if n in known else m.group(0)

    head = f"**Q:** {_escape(turn.question)}\n\n"
    if turn.status == "running":
        return head + "_Researching…_"
    body = CITE.sub(link, _escape(turn.answer)) if turn.answer else "_(no answer)_"
    if turn.status == "cancelled":
        body = "_Cancelled._"
    elif turn.status == "error":
        body = f"_Failed: {_escape(turn.answer)}_"
    elif turn.status == "budget":
        body += "\n\n_(stopped at the run budget)_"
    return head + body


class CitationList(OptionList):
    """The cited passages of the current turn; highlighting one shows it in the evidence pane."""

    DEFAULT_CSS = """
    CitationList, CitationList:focus { height: auto; max-height: 9; border: none; padding: 0 1;
                                       background: $surface; text-wrap: nowrap; text-overflow: ellipsis; }
    CitationList:focus { background-tint: $foreground 8%; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.citations: list[dict[str, Any]] = []

    def show(self, citations: list[dict[str, Any]]) -> None:
        self.citations = list(citations)
        self.clear_options()
        for c in self.citations:
            label = Text(f"[{c['n']}] ", style="bold")
            label.append(c.get("title") or c.get("chunk_id", ""))
            label.append(f"  {c.get('source', '')}", style="dim")
            self.add_option(Option(label, id=f"cite-{c['n']}"))
        self.display = bool(self.citations)

    def citation(self, n: int) -> dict[str, Any] | None:
        return next((c for c in self.citations if int(c["n"]) == n), None)

    @on(OptionList.OptionHighlighted)
    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionMessage) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.citations):
            self.post_message(CitationSelected(self.citations[event.option_index]))


class AnswerView(VerticalScroll, can_focus=False):
    """Every turn of the session; the citations listed are those of the latest (or clicked) turn."""

    DEFAULT_CSS = """
    AnswerView { height: 1fr; }
    AnswerView > Markdown { margin: 0 1; padding: 0; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.turns: list[TurnView] = []
        self.current: TurnView | None = None

    def compose(self) -> ComposeResult:
        yield Markdown(WELCOME, open_links=False, id="answer-md")
        yield CitationList(id="citations")

    def on_mount(self) -> None:
        self.query_one(CitationList).display = False

    @property
    def markdown(self) -> Markdown:
        return self.query_one("#answer-md", Markdown)

    @property
    def citation_list(self) -> CitationList:
        return self.query_one(CitationList)

    @property
    def source(self) -> str:
        """The Markdown shown (tests read it)."""
        return self.markdown.source

    # -- turns ----------------------------------------------------------------------------------------
    def set_turns(self, turns: list[TurnView]) -> None:
        self.turns = list(turns)
        self.current = self.turns[-1] if self.turns else None
        self._refresh_view()

    def add_turn(self, turn: TurnView) -> None:
        self.turns.append(turn)
        self.current = turn
        self._refresh_view()

    def finish_turn(self, turn_id: int, answer: str, status: str, citations: list[dict[str, Any]]) -> None:
        for turn in self.turns:
            if turn.turn_id == turn_id:
                turn.answer, turn.status, turn.citations = answer, status, list(citations)
                self.current = turn
        self._refresh_view()

    def select_turn(self, turn_id: int) -> TurnView | None:
        turn = next((t for t in self.turns if t.turn_id == turn_id), None)
        if turn is not None and turn is not self.current:
            self.current = turn
            self.citation_list.show(turn.citations)
        return turn

    def _refresh_view(self) -> None:
        text = "\n\n---\n\n".join(turn_markdown(t) for t in self.turns) if self.turns else WELCOME
        self.citation_list.show(self.current.citations if self.current else [])
        self.call_later(self._show_end, self.markdown.update(text))

    async def _show_end(self, updated) -> None:
        """Once the Markdown is laid out, scroll to the end of the latest turn and its citations."""
        await updated
        self.call_after_refresh(self.scroll_end, animate=False)

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        m = re.fullmatch(r"cite:(\d+):(\d+)", event.href)
        if not m:
            self.notify(f"Not a citation link: {event.href}", severity="warning")
            return
        turn = self.select_turn(int(m.group(1)))
        cite = self.citation_list.citation(int(m.group(2))) if turn else None
        if cite is not None:
            self.citation_list.highlighted = self.citation_list.citations.index(cite)
            self.post_message(CitationSelected(cite))
