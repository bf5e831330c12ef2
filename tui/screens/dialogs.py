"""Small modal screens: help (every key), confirm (yes/no), and a path prompt (export)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.screens.keys import help_tables

if TYPE_CHECKING:
    from tui.app import HopperApp


class HelpScreen(ModalScreen[None]):
    """Every key of every screen (built from the screens' bindings, so it cannot drift)."""

    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("Hopper keys (Escape closes)", classes="screen-title")
            for name, rows in help_tables():
                table = Table(title=name, title_justify="left", title_style="bold", show_header=False,
                              box=None, padding=(0, 1), expand=True)
                table.add_column(style="bold cyan", no_wrap=True, width=20)
                table.add_column()
                for keys, desc in rows:
                    table.add_row(keys, desc)
                yield Static(table, classes="help-table")

    @property
    def text(self) -> str:
        return "\n".join(f"{keys}  {desc}" for _, rows in help_tables() for keys, desc in rows)


class ConfirmScreen(ModalScreen[bool]):
    """Yes / no; Enter or `y` confirms, Escape or `n` declines."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, yes: str = "Yes", **kwargs: Any):
        super().__init__(**kwargs)
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class PathScreen(ModalScreen[str | None]):
    """Ask for a file path (prefilled); Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    app: HopperApp

    def __init__(self, prompt: str, value: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.prompt, self.value = prompt, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.prompt, classes="dialog-text", markup=False)
            yield Input(self.value, id="path-input")
            yield Static("Enter writes the file · Escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#path-input", Input).focus()

    @on(Input.Submitted, "#path-input")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.app.notify("Type a file path first.", severity="warning")
            return
        self.dismiss(value)
