"""The settings screen: LM, fast LM, retriever, mode and rounds budget.

Enter in a field (or Apply) changes them for this run; ctrl+s (or "Save to hopper.toml") also writes them
to `./hopper.toml`, where the next start reads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

if TYPE_CHECKING:
    from tui.app import HopperApp

MODES = ("agent", "rag", "closed")


def retriever_choices() -> tuple[str, ...]:
    """The retriever names the configuration accepts (`auto` included), in its order."""
    import typing

    from agent.config import AgentSettings
    from agent.retrieval import RETRIEVERS

    allowed = typing.get_args(typing.get_type_hints(AgentSettings).get("retriever"))
    return tuple(allowed) or tuple(RETRIEVERS)


class SettingsScreen(ModalScreen[bool]):
    """Edits `app.config`; changing an LM reloads the agent in a worker."""

    app: HopperApp

    BINDINGS = [Binding("escape,q", "dismiss(False)", "Cancel"),
                Binding("ctrl+s", "save", "Save to hopper.toml", priority=True)]

    def __init__(self, focus: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.initial_focus = focus

    def compose(self) -> ComposeResult:
        cfg = self.app.config
        retrievers = retriever_choices()
        with VerticalScroll(id="settings-box"):
            yield Static("Settings", classes="screen-title")
            with Grid(id="settings-grid"):
                yield Label("LM", classes="setting-label")
                yield Input(cfg.lm.model, placeholder="local, local:1.5b, gguf:FILE or a LiteLLM id",
                            id="set-lm")
                yield Label("Fast LM", classes="setting-label")
                yield Input(cfg.lm.fast_model, placeholder="empty: same as LM", id="set-fast-lm")
                yield Label("Retriever", classes="setting-label")
                retriever = cfg.agent.retriever if cfg.agent.retriever in retrievers else retrievers[0]
                yield Select([(r, r) for r in retrievers], value=retriever, allow_blank=False,
                             id="set-retriever")
                yield Label("Mode", classes="setting-label")
                yield Select([(m, m) for m in MODES], value=cfg.agent.mode, allow_blank=False, id="set-mode")
                yield Label("Rounds budget", classes="setting-label")
                yield Input(str(cfg.agent.max_rounds), type="integer",
                            placeholder="search rounds per sub-question", id="set-rounds")
            yield Static(self._index_note(), classes="hint", id="settings-index")
            with Horizontal(id="settings-buttons"):
                yield Button("Apply", variant="primary", id="set-apply")
                yield Button("Save to hopper.toml", id="set-save")
                yield Button("Cancel", id="set-cancel")
            yield Static("Enter in a field or Apply: this run only · ctrl+s: also save to ./hopper.toml",
                         classes="hint")
        yield Footer()

    def _index_note(self) -> str:
        index = getattr(self.app.session, "index", None)
        components = getattr(getattr(index, "manifest", None), "components", None)
        if not components:
            return ""
        graph = ("" if "graph" in components
                 else " (no graph: graph retrievers need `hopper index` with the graph)")
        return f"Index components: {', '.join(components)}{graph}"

    def on_mount(self) -> None:
        target = {"lm": "#set-lm", "fast_lm": "#set-fast-lm", "retriever": "#set-retriever",
                  "mode": "#set-mode", "rounds": "#set-rounds"}.get(self.initial_focus, "#set-lm")
        self.query_one(target).focus()

    def values(self) -> dict[str, Any]:
        rounds = self.query_one("#set-rounds", Input).value.strip()
        return {
            "lm.model": self.query_one("#set-lm", Input).value.strip() or "local",
            "lm.fast_model": self.query_one("#set-fast-lm", Input).value.strip(),
            "agent.retriever": self.query_one("#set-retriever", Select).value,
            "agent.mode": self.query_one("#set-mode", Select).value,
            "agent.max_rounds": rounds,
        }

    def _checked(self) -> dict[str, Any] | None:
        values = self.values()
        try:
            rounds = int(values["agent.max_rounds"])
        except ValueError:
            rounds = 0
        if rounds < 1:
            self.app.notify("The rounds budget must be a whole number of at least 1.", title="Settings",
                            severity="error")
            return None
        values["agent.max_rounds"] = rounds
        return values

    def action_apply(self) -> None:
        values = self._checked()
        if values is not None and self.app.apply_settings(values):
            self.dismiss(True)

    def action_save(self) -> None:
        """Write only the settings changed here: hopper.toml keeps its other keys (and its defaults unset)."""
        values = self._checked()
        if values is None:
            return
        changed = {d: v for d, v in values.items() if v != self.app.config.get(d)}
        if not changed:
            self.app.notify("Nothing changed: hopper.toml is left as it is.", title="Settings")
            self.dismiss(False)
        elif self.app.save_settings(changed) is not None:
            self.dismiss(True)

    @on(Button.Pressed, "#set-apply")
    def _apply(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#set-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#set-cancel")
    def _cancel(self) -> None:
        self.dismiss(False)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()
