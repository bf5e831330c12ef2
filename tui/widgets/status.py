"""The status bar: state, LM, index, round, tool calls, tokens and elapsed time of the run."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.common import printable
from tui.live import describe_event
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
    doing: reactive[str] = reactive("")
    """What the run is doing now (from the latest event); empty when idle."""

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
        self.doing = "starting…"
        if self.live_clock and self._timer is not None:
            self._timer.resume()

    def stop_run(self, state: str) -> None:
        if self._timer is not None:
            self._timer.pause()
        self.state = state
        self.doing = ""

    def replay(self, events: list[Any], state: str = "ready") -> None:
        """Counts of a finished (saved) run."""
        self.round, self.tool_calls, self.tokens, self.elapsed = 0, 0, 0, None
        for event in events:
            self.add_event(event)
        self.state = state
        self.doing = ""

    def add_event(self, event: Any) -> None:
        kind, d = event_parts(event)
        doing = describe_event(kind, d)
        if doing is not None and self.state in ("running", "cancelling"):
            self.doing = doing
        if kind == "tool_call":
            self.tool_calls += 1
        elif kind == "lm_call":
            self.tokens += int(d.get("prompt_tokens") or 0) + int(d.get("completion_tokens") or 0)
        elif kind == "round":
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
        """State, what is happening, then the counts.

        Parts that do not fit are left out, least useful first."""
        style = {"running": "bold cyan", "cancelling": "bold yellow", "loading": "bold yellow",
                 "indexing": "bold yellow", "error": "bold red",
                 "no agent": "bold red"}.get(self.state, "bold green")
        width = max(self.size.width - 2, 10)
        rounds = f"round {self.round}/{self.max_rounds or '-'}"
        elapsed = f"{self.elapsed:.1f}s" if self.elapsed is not None else ""
        # (priority: lower is dropped first, text)
        parts = [(6, rounds), (5, f"tools {self.tool_calls}"), (3, f"tokens {self.tokens:,}"), (7, elapsed),
                 (2, f"LM {self.lm or '?'}"), (8, f"index {self.index or '-'}")]
        parts = [(p, t) for p, t in parts if t]
        head = Text(f"● {self.state}", style=style)
        if self.doing:
            room = max(20, width // 2)
            doing = printable(self.doing)
            doing = doing if len(doing) <= room else doing[: room - 1] + "…"
            head.append(" " + doing, style="bold")

        def line(kept) -> Text:
            text = head.copy()
            if kept:
                text.append(" │ " + " │ ".join(t for _, t in kept), style="dim")
            return text

        kept = list(parts)
        while kept and line(kept).cell_len > width:
            kept.remove(min(kept, key=lambda pt: pt[0]))
        text = line(kept)
        text.truncate(width, overflow="ellipsis")
        return text
