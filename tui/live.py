"""What an agent run is doing now, in words: one status line for terminals (`hopper ask`, `hopper eval`)
and the same words for the TUI's status bar (`describe_event`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

STEP_WORDS = {"decompose": "splitting the question", "rewrite": "writing search queries",
              "answer": "writing the answer", "read": "reading the passages",
              "shape": "choosing the answer's shape", "synthesis": "writing the synthesis"}


def _step_text(d: dict[str, Any]) -> str:
    """`step` events carry their own text; a known step name reads better ("reading the passages #1
    with the LM…")."""
    step, node, kind = str(d.get("step") or ""), d.get("node"), d.get("kind")
    if kind == "lm" and step in STEP_WORDS:
        return f"{STEP_WORDS[step]}{f' #{node}' if node else ''} with the LM…"
    text = str(d.get("text") or step or "working")
    return text if text.endswith("…") else text + "…"


def _tool_call_text(d: dict[str, Any]) -> str:
    args = d.get("args") or {}
    arg = args.get("query") or args.get("entity") or args.get("source") or ""
    if d.get("error"):
        return f"{d.get('tool')} failed: {d['error']}"
    return f"{d.get('tool')} {str(arg)[:50]!r} → {len(d.get('hits') or [])} hits"


def _round_text(d: dict[str, Any]) -> str:
    verdict = f"answer {d.get('answer')!r}" if d.get("answered") else "not yet"
    return f"read #{d.get('node')} round {d.get('round')}: {verdict}"


# One describer per event kind; a kind not listed is not worth a status line.
_DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "step": _step_text,
    "run_start": lambda d: "starting…",
    "tool_call": _tool_call_text,
    "lm_call": lambda d: f"LM {d.get('step')} done",
    "decompose": lambda d: f"{len(d.get('nodes') or [])} sub-question(s)",
    "queries": lambda d: f"#{d.get('node')}: {len(d.get('queries') or [])} queries",
    "rewrite": lambda d: f"#{d.get('node')}: {len(d.get('queries') or [])} rewritten queries",
    "round": _round_text,
    "check": lambda d: f"check {d.get('code')}: {'passed' if d.get('ok') else 'failed'}",
    "fallback": lambda d: f"fallback ({d.get('step')}): {d.get('reason')}",
    "injection": lambda d: f"ignored instructions in {d.get('title') or d.get('chunk_id')}",
    "conflict": lambda d: f"documents disagree: {len(d.get('conflicts') or [])} different answers",
    "budget": lambda d: f"budget reached ({d.get('reason')})",
    "answer": lambda d: "answered",
    "run_end": lambda d: "",
}


def describe_event(kind: str, d: dict[str, Any]) -> str | None:
    """One line saying what an event means for the run (None: nothing worth saying)."""
    describe = _DESCRIBERS.get(kind)
    return describe(d) if describe is not None else None


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
        elif event.type == "lm_call":
            self.lm_calls += 1
            self.tokens += d.get("prompt_tokens", 0) + d.get("completion_tokens", 0)
        elif event.type == "queries":  # a sub-question's research starts with its searches
            self.node = f"sub-question {d['node']}"
        doing = describe_event(event.type, d)
        if doing:
            self.doing = doing
        if self._status is not None:
            self._status.update(self._text())

    def _text(self) -> str:
        from rich.markup import escape

        elapsed = time.perf_counter() - self.t0
        node = f"{self.node} · " if self.node else ""
        return (f"[bold]{node}[/]{escape(self.doing)} [dim]· {self.tools} tool calls · "
                f"{self.lm_calls} LM calls · {self.tokens:,} tokens · {elapsed:.1f}s[/]")
