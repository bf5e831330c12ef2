"""One turn of the transcript: the question and answer (Markdown), a verdict line coloured by the
answer's state, and the fallbacks folded into one line that expands on demand."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown, Static

from tui.widgets.turns import TurnView
from tui.widgets.verdict import answer_state, body_markdown, fallback_lines, fallback_summary, verdict

STATES = ("answered", "guess", "not-found", "unchecked", "error")


class TurnBox(Vertical):
    """A turn; `show(turn)` redraws it (a running turn becomes its answer)."""

    DEFAULT_CSS = """
    TurnBox { height: auto; margin: 0 1 1 0; padding: 0 0 0 1; border-left: blank; }
    TurnBox.-current { border-left: thick $accent 60%; }
    TurnBox > Markdown { margin: 0; padding: 0; }
    TurnBox > .verdict { height: auto; padding: 0 1; margin: 0 0 0 0; }
    TurnBox > .verdict.-answered { color: $text-success; }
    TurnBox > .verdict.-unchecked { color: $text-muted; }
    TurnBox > .verdict.-guess { color: $text-warning; background: $warning 15%; text-style: bold; }
    TurnBox > .verdict.-not-found { color: $text-secondary; background: $secondary 20%; text-style: bold; }
    TurnBox > .verdict.-error { color: $text-error; }
    TurnBox > Collapsible { border-top: none; padding: 0; margin: 0; background: transparent; }
    TurnBox > Collapsible > CollapsibleTitle { color: $text-warning; padding: 0 1; }
    TurnBox > Collapsible > Contents { padding: 0 0 0 3; }
    TurnBox > Collapsible .fallback-detail { color: $text-muted; }
    """

    def __init__(self, turn: TurnView, **kwargs: Any):
        super().__init__(id=f"turn-{turn.turn_id}", **kwargs)
        self.turn = turn

    def compose(self) -> ComposeResult:
        yield Markdown(body_markdown(self.turn), open_links=False)
        yield Static("", classes="verdict", markup=False)
        with Collapsible(title="", collapsed=True):
            yield Static("", classes="fallback-detail", markup=False)

    def on_mount(self) -> None:
        from textual.widgets._collapsible import CollapsibleTitle

        # Not a Tab stop in every turn: alt+d folds the current answer's details (a click works too).
        self.details.query_one(CollapsibleTitle).can_focus = False
        self._decorate()

    def toggle_details(self) -> bool:
        """Expand or fold the fallback details; False when this turn has none."""
        if not self.details.display:
            return False
        self.details.collapsed = not self.details.collapsed
        return True

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    @property
    def verdict(self) -> Static:
        return self.query_one(".verdict", Static)

    @property
    def details(self) -> Collapsible:
        return self.query_one(Collapsible)

    @property
    def state(self) -> str:
        return answer_state(self.turn)

    def show(self, turn: TurnView):
        """Redraw for `turn` (same id); returns the Markdown update to await (its height settles then)."""
        self.turn = turn
        self._decorate()
        return self.markdown.update(body_markdown(turn))

    def _decorate(self) -> None:
        turn, state = self.turn, self.state
        line = verdict(turn)
        self.verdict.update(Text(line))
        self.verdict.display = bool(line)
        for name in STATES:
            self.verdict.set_class(state == name, f"-{name}")
        lines = fallback_lines(turn)
        self.details.display = bool(lines)
        self.details.title = fallback_summary(turn)
        self.query_one(".fallback-detail", Static).update(Text("\n".join(lines)))
