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

if TYPE_CHECKING:
    from tui.app import HopperApp

# Keys that belong to widgets rather than screen bindings (so they are not found by walking BINDINGS).
WIDGET_KEYS = {
    "Main": [("tab / shift+tab", "Move between the input, the citations, the evidence and the run tree"),
             ("up / down (input)", "Earlier / later questions you asked"),
             ("? (empty input)", "This help"),
             ("up / down (citations)", "Move between citations; the evidence pane follows"),
             ("enter (run tree)", "Open a node: a query in full, a hit's passage, a citation"),
             ("left / right (run tree)", "Collapse / expand a node")],
    "Sessions": [("up / down", "Move between sessions")],
    "Corpus": [("enter (path)", "Add the folder or file typed"), ("enter (documents)", "Open the document")],
}


def _key_name(key: str) -> str:
    return {"question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]"}.get(key, key)


def _rows(screen_cls: type) -> list[tuple[str, str]]:
    """(keys, description) of a screen's bindings, numbered keys folded into one row."""
    rows: dict[str, list[str]] = {}
    for b in screen_cls.BINDINGS:
        binding = b if not isinstance(b, tuple) else Binding(*b)
        desc = binding.tooltip or binding.description or binding.action
        if desc.startswith("Citation "):
            desc = "Open citation n of the current answer (outside the input)"
        rows.setdefault(desc, []).extend(_key_name(k.strip()) for k in binding.key.split(","))
    out = []
    for desc, keys in rows.items():
        keys = list(dict.fromkeys(keys))
        shown = f"{keys[0]}-{keys[-1]}" if len(keys) > 3 and all(k.isdigit() for k in keys) else " / ".join(keys)
        out.append((shown, desc))
    return out


def help_tables() -> list[tuple[str, list[tuple[str, str]]]]:
    from tui.screens.corpus import CorpusScreen
    from tui.screens.main import MainScreen
    from tui.screens.sessions import SessionsScreen
    from tui.screens.settings import SettingsScreen

    out = []
    for name, cls in (("Main", MainScreen), ("Sessions", SessionsScreen), ("Corpus", CorpusScreen),
                      ("Settings", SettingsScreen)):
        out.append((name, _rows(cls) + WIDGET_KEYS.get(name, [])))
    out.append(("Everywhere", [("ctrl+p", "Command palette (settings, sessions, corpus, keys)"),
                               ("ctrl+q", "Quit")]))
    return out


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
