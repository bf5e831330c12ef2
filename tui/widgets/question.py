"""The question input (Up/Down walk earlier questions; `?` in an empty input opens help) and the
empty state shown in place of the answer when there is no agent (no index, no LM)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static

ALT_DIGITS = {"inverted_exclamation_mark": 1, "trade_mark_sign": 2, "pound_sign": 3, "cent_sign": 4,
              "infinity": 5, "section_sign": 6, "pilcrow_sign": 7, "bullet": 8, "ª": 9}
"""What Textual reports for alt+1 ... alt+9 in most terminals: ESC 1 arrives as "¡" (the character of
macOS Option-1), and so on."""


class QuestionInput(Input):
    """An Input with a shell-like history of questions."""

    BINDINGS = [Binding("up", "history(-1)", "Earlier question", show=False),
                Binding("down", "history(1)", "Later question", show=False)]

    class HelpRequested(Message):
        """`?` typed into the empty input (a question never starts with `?`)."""

    @dataclass
    class CiteRequested(Message):
        """alt+N in the empty input: open citation N of the current answer."""

        n: int

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.history: list[str] = []
        self._pos: int | None = None  # index into history while walking it
        self._draft = ""

    def remember(self, question: str) -> None:
        """Add an asked question (newest last, no repeats next to each other)."""
        if question and (not self.history or self.history[-1] != question):
            self.history.append(question)
        self._pos = None

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        if self._pos is None:
            if delta > 0:
                return
            self._draft, self._pos = self.value, len(self.history)
        self._pos = max(0, min(len(self.history), self._pos + delta))
        self.value = self._draft if self._pos == len(self.history) else self.history[self._pos]
        if self._pos == len(self.history):
            self._pos = None
        self.cursor_position = len(self.value)

    async def _on_key(self, event: events.Key) -> None:
        if event.character == "?" and not self.value:
            event.stop()
            event.prevent_default()
            self.post_message(self.HelpRequested())
            return
        if event.key in ALT_DIGITS and not self.value:  # "£" typed within a question stays text
            event.stop()
            event.prevent_default()
            self.post_message(self.CiteRequested(ALT_DIGITS[event.key]))
            return
        await super()._on_key(event)


class EmptyState(Vertical):
    """What to do when no agent could be built: the reason and the one action that fixes it."""

    DEFAULT_CSS = """
    EmptyState { height: 1fr; padding: 1 2; align: center middle; }
    EmptyState > #empty-title { text-style: bold; color: $warning; height: auto; width: 100%; }
    EmptyState > #empty-text { height: auto; margin: 1 0; width: 100%; }
    EmptyState > Button { width: auto; }
    """

    class Fix(Message):
        """The empty state's button was pressed: run `action` (an app action name)."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.action = "app.corpus"

    def compose(self) -> ComposeResult:
        yield Static("", id="empty-title", markup=False)
        yield Static("", id="empty-text", markup=False)
        yield Button("", id="empty-fix", variant="primary")

    def show(self, title: str, text: str, button: str, action: str) -> None:
        self.action = action
        self.query_one("#empty-title", Static).update(title)
        self.query_one("#empty-text", Static).update(text)
        self.query_one("#empty-fix", Button).label = button

    @property
    def text(self) -> str:
        """Plain text shown (tests read it)."""
        parts = [str(self.query_one(f"#empty-{k}", Static).render()) for k in ("title", "text")]
        return "\n".join(parts + [str(self.query_one("#empty-fix", Button).label)])

    @on(Button.Pressed, "#empty-fix")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Fix(self.action))
