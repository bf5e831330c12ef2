"""The conversation (one Markdown per turn, citation markers as links) and the citations of one answer.

Every turn keeps its own citations, numbered 1..n. One turn is "current" (the latest, or the one
chosen with `[`/`]` or a click on its marker); its citations are listed under the transcript, so
every citation of every answer is reachable from the keyboard.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, OptionList
from textual.widgets.option_list import Option

from tui.messages import CitationSelected
from tui.widgets.turn_box import TurnBox
from tui.widgets.turns import TurnView, shown_source
from tui.widgets.verdict import turn_text

__all__ = ["AnswerView", "CitationList", "TurnView"]

WELCOME = ("Ask a question about your documents below. The answer appears here with its citation "
           "markers; **alt+1**-**alt+9** open a citation while you type, **ctrl+]** moves to the citations "
           "(then **[** and **]** move between answers), **F1** shows every key.")


class CitationList(OptionList):
    """The cited passages of the current turn; highlighting one shows it in the evidence pane."""

    DEFAULT_CSS = """
    CitationList, CitationList:focus { height: auto; max-height: 7; border: none;
                                       border-top: solid $primary 40%; padding: 0 1; background: $surface;
                                       text-wrap: nowrap; text-overflow: ellipsis;
                                       border-title-color: $text-muted; }
    CitationList:focus { background-tint: $foreground 8%; border-title-color: $accent; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.citations: list[dict[str, Any]] = []

    def show(self, citations: list[dict[str, Any]], title: str = "") -> None:
        self.citations = list(citations)
        self.clear_options()
        for c in self.citations:
            label = Text(f"[{c['n']}] ", style="bold")
            if c.get("injection"):
                label.append("⚠ ", style="bold red")
            label.append(c.get("title") or c.get("chunk_id", ""))
            label.append(f"  {shown_source(c)}", style="dim")
            self.add_option(Option(label, id=f"cite-{c['n']}"))
        self.border_title = title
        self.display = bool(self.citations)

    def citation(self, n: int) -> dict[str, Any] | None:
        return next((c for c in self.citations if int(c["n"]) == n), None)

    def choose(self, n: int) -> dict[str, Any] | None:
        """Highlight citation `n` (posts `CitationSelected` through the highlight)."""
        cite = self.citation(n)
        if cite is not None:
            index = self.citations.index(cite)
            if self.highlighted == index:
                self.post_message(CitationSelected(cite))
            self.highlighted = index
        return cite

    def on_focus(self) -> None:
        """Tab lands on the first citation, so Enter (or a look at the evidence pane) works at once."""
        if self.citations and self.highlighted is None:
            self.highlighted = 0

    @on(OptionList.OptionHighlighted)
    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionMessage) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.citations):
            self.post_message(CitationSelected(self.citations[event.option_index]))


class AnswerView(Vertical):
    """Every turn of the session above the citations of the current one."""

    DEFAULT_CSS = """
    AnswerView { height: 1fr; }
    AnswerView > #transcript { height: 1fr; }
    AnswerView #transcript > #welcome { margin: 0 1 1 0; padding: 0 0 0 1; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.turns: list[TurnView] = []
        self.current: TurnView | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="transcript", can_focus=False):
            yield Markdown(WELCOME, open_links=False, id="welcome")
        yield CitationList(id="citations")

    def on_mount(self) -> None:
        self.citation_list.display = False

    @property
    def transcript(self) -> VerticalScroll:
        return self.query_one("#transcript", VerticalScroll)

    @property
    def citation_list(self) -> CitationList:
        return self.query_one(CitationList)

    @property
    def source(self) -> str:
        """The Markdown of every turn (tests read it)."""
        return "\n\n---\n\n".join(turn_text(t) for t in self.turns) if self.turns else WELCOME

    def box_of(self, turn_id: int) -> TurnBox | None:
        found = self.transcript.query(f"#turn-{turn_id}")
        return found.first(TurnBox) if found else None

    def markdown_of(self, turn_id: int) -> Markdown | None:
        box = self.box_of(turn_id)
        return box.markdown if box is not None else None

    # -- turns ----------------------------------------------------------------------------------------
    def set_turns(self, turns: list[TurnView]) -> None:
        self.turns = list(turns)
        widgets = ([TurnBox(t) for t in self.turns] if self.turns
                   else [Markdown(WELCOME, open_links=False, id="welcome")])
        removed = self.transcript.remove_children()
        self._set_current(self.turns[-1] if self.turns else None, scroll=False)

        async def remount() -> None:  # the new widgets reuse ids: mount them once the old are gone
            await removed
            if self.turns and not turns:  # a question was asked meanwhile: no welcome above it
                return
            await self.transcript.mount_all(widgets)
            if self.current is not None:
                self._set_current(self.current, scroll=True)

        self.call_next(remount)

    def add_turn(self, turn: TurnView) -> None:
        self.transcript.query("#welcome").remove()
        self.turns.append(turn)
        self.transcript.mount(TurnBox(turn))
        self._set_current(turn, scroll=True)

    def update_turn(self, turn: TurnView) -> None:
        """Replace a turn (the finished run of a running one) and make it current; once its Markdown
        has rendered, the answer is scrolled into view."""
        self.turns = [turn if t.turn_id == turn.turn_id else t for t in self.turns]
        box = self.box_of(turn.turn_id)
        self._set_current(turn, scroll=box is None)
        if box is not None:
            rendered = box.show(turn)

            async def scroll_when_rendered() -> None:
                await rendered
                self.call_after_refresh(self._scroll_to, turn.turn_id)

            self.call_next(scroll_when_rendered)

    def select_turn(self, turn_id: int) -> TurnView | None:
        turn = next((t for t in self.turns if t.turn_id == turn_id), None)
        if turn is not None and turn is not self.current:
            self._set_current(turn, scroll=False)
        return turn

    def step(self, delta: int) -> TurnView | None:
        """Make the previous (-1) or next (+1) answer current and scroll it into view."""
        if not self.turns:
            return None
        index = self.turns.index(self.current) if self.current in self.turns else len(self.turns) - 1
        turn = self.turns[max(0, min(len(self.turns) - 1, index + delta))]
        self._set_current(turn, scroll=True)
        if self.citation_list.citations:  # the evidence pane follows: that answer's first citation
            self.citation_list.highlighted = 0
        else:
            self.post_message(CitationSelected(None))
        return turn

    def _set_current(self, turn: TurnView | None, scroll: bool) -> None:
        self.current = turn
        for box in self.transcript.query(TurnBox):
            box.set_class(turn is not None and box.id == f"turn-{turn.turn_id}", "-current")
        where = ""
        if turn is not None and len(self.turns) > 1:
            where = f" of answer {self.turns.index(turn) + 1}/{len(self.turns)} ([ ] other answers)"
        self.citation_list.show(turn.citations if turn else [], f"citations{where}" if turn else "")
        if scroll and turn is not None:
            self.call_after_refresh(self._scroll_to, turn.turn_id)

    def _scroll_to(self, turn_id: int, tries: int = 5) -> None:
        """Show the whole turn when it fits; else its top (the question, then as much answer as fits)."""
        box = self.box_of(turn_id)
        if box is None:
            return
        if not box.virtual_region.height and tries:  # not laid out yet: its place is not known
            self.call_after_refresh(self._scroll_to, turn_id, tries - 1)
            return
        t = self.transcript
        fits = box.outer_size.height <= t.scrollable_content_region.height
        if fits:  # its last line at the bottom of the pane (or less, when it is near the top)
            bottom = box.virtual_region.bottom + box.styles.margin.bottom
            t.scroll_to(y=max(0, bottom - t.scrollable_content_region.height), animate=False)
        else:
            t.scroll_to_widget(box, animate=False, top=True)

    def scroll_current(self) -> None:
        """Bring the current answer back into view (after the pane changed width)."""
        if self.current is not None:
            self.call_after_refresh(self._scroll_to, self.current.turn_id)

    def scroll_page(self, direction: int) -> None:
        t = self.transcript
        (t.scroll_page_down if direction > 0 else t.scroll_page_up)(animate=False)

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        m = re.fullmatch(r"cite:(\d+):(\d+)", event.href)
        if not m:
            self.notify(f"Not a citation link: {event.href}", severity="warning")
            return
        turn = self.select_turn(int(m.group(1)))
        if turn is not None:
            self.citation_list.choose(int(m.group(2)))
