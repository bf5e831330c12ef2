"""The status bar: state, LM, index, round, tool calls, tokens and elapsed time of the run."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.widgets.run_tree import event_parts


class StatusBar(Static):
    """Counts the events of the current run; the elapsed time ticks while it runs."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    state: reactive[str] = reactive("ready")
    lm: reactive[str] = reactive("")
    index: reactive[str] = reactive("")
    round: reactive[int] = reactive(0)
    max_rounds: reactive[int] = reactive(0)
    tool_calls: reactive[int] = reactive(0)
    tokens: reactive[int] = reactive(0)
    elapsed: reactive[float | None] = reactive(None)

    def __init__(self, *, live_clock: bool = True, **kwargs: Any):
        super().__init__("", **kwargs)
        self.live_clock = live_clock
        self._t0: float | None = None
        self._timer = None

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.5, self._tick, pause=True)

    def start_run(self, max_rounds: int) -> None:
        self.round, self.tool_calls, self.tokens, self.max_rounds = 0, 0, 0, max_rounds
        self.elapsed = 0.0 if self.live_clock else None
        self._t0 = time.perf_counter()
        self.state = "running"
        if self.live_clock and self._timer is not None:
            self._timer.resume()

    def stop_run(self, state: str) -> None:
        if self._timer is not None:
            self._timer.pause()
        self.state = state

    def replay(self, events: list[Any], state: str = "ready") -> None:
        """Counts of a finished (saved) run."""
        self.round, self.tool_calls, self.tokens, self.elapsed = 0, 0, 0, None
        for event in events:
            self.add_event(event)
        self.state = state

    def add_event(self, event: Any) -> None:
        kind, d = event_parts(event)
        if kind == "tool_call":
            self.tool_calls += 1
        elif kind == "lm_call":
            self.tokens += int(d.get("prompt_tokens") or 0) + int(d.get("completion_tokens") or 0)
        elif kind == "judge":
            self.round = max(self.round, int(d.get("round") or 0))
        elif kind == "run_start":
            self.max_rounds = int((d.get("settings") or {}).get("max_rounds") or self.max_rounds)
        elif kind == "run_end":
            self.elapsed = float(d.get("seconds") or 0.0)
            self.tool_calls = int(d.get("tool_calls", self.tool_calls))
            self.tokens = int(d.get("tokens", self.tokens))

    def _tick(self) -> None:
        if self._t0 is not None and self.state in ("running", "cancelling"):
            self.elapsed = time.perf_counter() - self._t0

    def render(self) -> Text:
        style = {"running": "bold cyan", "cancelling": "bold yellow", "loading": "bold yellow",
                 "indexing": "bold yellow", "error": "bold red"}.get(self.state, "bold green")
        text = Text()
        text.append(f"● {self.state}", style=style)
        parts = [f"round {self.round}/{self.max_rounds or '-'}", f"tools {self.tool_calls}",
                 f"tokens {self.tokens:,}", (f"{self.elapsed:.1f}s" if self.elapsed is not None else "-"),
                 f"LM {self.lm or '?'}", f"index {self.index or '-'}"]
        text.append(" │ " + " │ ".join(parts), style="dim")
        text.truncate(max(self.size.width - 2, 10), overflow="ellipsis")
        return text
