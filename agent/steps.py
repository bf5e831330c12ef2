"""How the research loop calls tools and LMs: run state, cancellation, budgets and accounting.

`ResearchAgent` (agent/research.py) inherits these steps, so the loop itself reads as the
algorithm: every tool and LM call goes through `_tool` / `_lm_step`, which check cancellation,
emit `step` events (what is happening now) and count tokens, calls and seconds for the budgets.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import dspy

from agent.lm.calls import cache_hit, record_calls
from agent.modules import Node
from agent.outcome import Stop
from agent.reading.evidence import SentenceRanker
from agent.reading.question import QuestionInfo
from agent.toolbox import ToolBox
from agent.trace import Trace
from tools.types import Hit


class RunCancelled(Exception):
    """The run was cancelled by the user (Escape in the TUI, Ctrl-C on the command line)."""


class _Shared:
    """Holds the runtime (index, LMs, hooks) by reference: DSPy copies programs, never this."""

    def __init__(self, **values: Any):
        self.__dict__.update(values)

    def __deepcopy__(self, memo):
        return self


@dataclass
class _RunState:
    trace: Trace
    tools: ToolBox
    started: float
    cancel: threading.Event | None
    info: QuestionInfo | None = None
    ranker: SentenceRanker | None = None
    tokens: int = 0
    lm_calls: int = 0
    stopped: str = ""
    context: str = ""
    nodes: list[Node] = field(default_factory=list)


class LoopSteps:
    """Tool and LM calls with cancellation, budgets and trace accounting (mixed into the agent)."""

    settings: Any
    runtime: Any

    def _seen(self, state: _RunState, label: str) -> list[Hit]:
        ev = state.tools.evidence
        return [ev.hits[c] for lab, ids in ev.rankings if lab == label for c in ids]

    def _rrf_k(self) -> int:
        index = self.runtime.index
        return int(getattr(getattr(getattr(index, "settings", None), "fusion", None), "rrf_k", 60) or 60)

    def _nlp(self):
        if self.runtime.nlp is None:
            from graphs.extract import load_spacy
            from graphs.settings import GraphSettings

            self.runtime.nlp = load_spacy(GraphSettings().spacy_model)
        return self.runtime.nlp

    def _tool(self, state: _RunState, tool: str, node: int | None, label: str, **args) -> list[Hit]:
        self._check_cancel(state)
        what = args.get("query") or args.get("entity") or args.get("source") or ""
        state.trace.emit("step", kind="tool", step=tool, node=node, text=f"{tool} {what}".strip())
        return state.tools.call(tool, node, label, **args)

    def _lm_step(
        self,
        state: _RunState,
        step: str,
        module: dspy.Module,
        light: bool = False,
        node: int | None = None,
        **inputs,
    ):
        self._check_cancel(state)
        lm = self.runtime.fast_lm if light and self.runtime.fast_lm is not None else None
        state.trace.emit(
            "step",
            kind="lm",
            step=step,
            node=node,
            text=f"{step} #{node} with the LM" if node else f"{step} with the LM",
        )
        t0 = time.perf_counter()
        with (
            dspy.context(**({"lm": lm} if lm is not None else {})),
            dspy.track_usage() as usage,
            record_calls() as calls,
        ):
            pred = module(**inputs)
        cached = bool(calls) and all(cache_hit(c) for c in calls)  # this thread's calls, not lm.history
        seconds = round(time.perf_counter() - t0, 3)
        model_name = str(getattr(lm or dspy.settings.lm, "model", "unknown"))
        totals = usage.get_total_tokens() or ({model_name: {}} if calls or cached else {})
        for model, u in totals.items():
            prompt, completion = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0)
            state.tokens += prompt + completion
            state.lm_calls += max(1, len(calls))
            state.trace.emit(
                "lm_call",
                step=step,
                model=model,
                prompt_tokens=prompt,
                completion_tokens=completion,
                seconds=seconds,
                cached=cached,
                calls=max(1, len(calls)),
            )
        fallback = getattr(pred, "fallback", None)
        if fallback:
            state.trace.emit("fallback", step=step, node=node, code=fallback.code, reason=fallback.reason)
        return pred

    def _end(self, state: _RunState, status: str, error: str | None) -> None:
        state.trace.emit(
            "run_end",
            status=status,
            seconds=round(time.perf_counter() - state.started, 3),
            lm_calls=state.lm_calls,
            tool_calls=state.tools.calls if state.tools else 0,
            tokens=state.tokens,
            error=error,
        )

    def _over_budget(self, state: _RunState, node: int | None = None) -> bool:
        if state.stopped:
            return True
        s = self.settings
        reason = ""
        if state.tools and state.tools.calls >= s.max_tool_calls:
            reason = Stop.TOOL_CALLS
        elif state.tokens >= s.max_tokens:
            reason = Stop.TOKENS
        elif time.perf_counter() - state.started >= s.max_seconds:
            reason = Stop.SECONDS
        if reason:
            state.stopped = reason
            state.trace.emit("budget", reason=reason, node=node)
        return bool(reason)

    @staticmethod
    def _check_cancel(state: _RunState) -> None:
        if state.cancel is not None and state.cancel.is_set():
            raise RunCancelled()


def _context_note(history) -> str:
    """Earlier turns of a session, appended to the question for decomposition and answering."""
    turns = [(q, a) for q, a in history if q and a][-3:]
    if not turns:
        return ""
    return "\n(Earlier in this session: " + " ".join(f"Q: {q} A: {a}" for q, a in turns) + ")"
