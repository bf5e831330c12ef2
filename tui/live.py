"""A one-line live view of an agent run for terminals (`hopper ask`, `hopper eval`)."""

from __future__ import annotations

import sys
import time


class LiveLine:
    """Subscribes to trace events and keeps one status line on stderr up to date."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.perf_counter()
        self.tools = self.tokens = self.lm_calls = 0
        self.node = ""
        self.doing = "starting"
        self._status = None

    def __enter__(self) -> LiveLine:
        if self.enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status(self._text())
            self._status.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._status is not None:
            self._status.stop()

    def __call__(self, event) -> None:
        d = event.data
        if event.type == "tool_call":
            self.tools += 1
            arg = d["args"].get("query") or d["args"].get("entity") or d["args"].get("source") or ""
            self.doing = f"{d['tool']} {arg[:50]!r} → {len(d['hits'])} hits"
        elif event.type == "lm_call":
            self.lm_calls += 1
            self.tokens += d.get("prompt_tokens", 0) + d.get("completion_tokens", 0)
            self.doing = f"LM {d['step']} done"
        elif event.type == "decompose":
            self.doing = f"{len(d['nodes'])} sub-question(s)"
        elif event.type == "rewrite":
            self.node = f"sub-question {d['node']}"
        elif event.type == "judge":
            self.doing = f"judge round {d['round']}: " + (f"answer {d['answer']!r}" if d["answerable"] else "not yet")
        elif event.type == "answer":
            self.doing = "answered"
        if self._status is not None:
            self._status.update(self._text())

    def _text(self) -> str:
        elapsed = time.perf_counter() - self.t0
        node = f"{self.node} · " if self.node else ""
        return (f"[bold]{node}[/]{self.doing} [dim]· {self.tools} tool calls · {self.lm_calls} LM calls · "
                f"{self.tokens:,} tokens · {elapsed:.1f}s[/]")
