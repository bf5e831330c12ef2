"""How a run calls tools and LMs: its context, cancellation, budgets and accounting.

`ResearchAgent.run` (agent/research.py) makes one `RunContext` per run and hands it to every
stage that works for the run, the research loop and the synthesis (agent/synthesis/route.py)
alike. Every tool and LM call goes through `RunContext.tool` / `RunContext.lm_step`, which check
cancellation, emit `step` events (what is happening now) and count tokens, calls and seconds for
the budgets (`RunContext.over_budget`).
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
from agent.synthesis import lm_is_capable
from agent.toolbox import ToolBox
from agent.trace import Trace
from graphs.extract import load_spacy
from graphs.settings import GraphSettings
from tools.types import Hit


class RunCancelled(Exception):
    """The run was cancelled by the user (Escape in the TUI, Ctrl-C on the command line)."""


class SpacyLoader:
    """The spaCy pipeline, loaded on first use and once, whichever thread asks first (the workers
    of an evaluation share one agent, hence one loader)."""

    def __init__(self, model: str | None = None):
        self.model = model or GraphSettings().spacy_model
        self._nlp = None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if self._nlp is None:
                self._nlp = load_spacy(self.model)
            return self._nlp


class Runtime:
    """What every run of one agent shares, held by reference (DSPy copies programs, never this):
    the index, the LMs, trace subscribers, the spaCy loader.

    `embedded` says the LM is one of the small embedded models: the run takes the small-model paths
    (no LM query tree, extractive answers). `Session` sets it from the configured model; left None,
    it is read from the LM the run uses (`lm`, else DSPy's configured one) each time it is asked.
    """

    def __init__(self, index=None, lm=None, fast_lm=None, *, embedded: bool | None = None, lm_name: str = "",
                 meta: dict[str, Any] | None = None, subscribers: list | None = None,
                 nlp: SpacyLoader | None = None):
        self.index = index
        self.lm = lm
        self.fast_lm = fast_lm
        self.embedded = embedded
        self.lm_name = lm_name
        self.meta = meta or {}
        self.subscribers = subscribers if subscribers is not None else []
        self.nlp = nlp or SpacyLoader()

    @property
    def embedded(self) -> bool:
        if self._embedded is not None:
            return self._embedded
        return not lm_is_capable(self.lm if self.lm is not None else dspy.settings.lm)

    @embedded.setter
    def embedded(self, value: bool | None) -> None:
        self._embedded = value

    def __deepcopy__(self, memo):
        return self


@dataclass
class RunContext:
    """One run: its trace, tools, budget and LM steps, and what the stages learn along the way."""

    trace: Trace
    tools: ToolBox | None
    """None in closed-book mode (no index)."""
    settings: Any
    """The agent's `AgentSettings` (budgets, k)."""
    runtime: Runtime
    started: float = field(default_factory=time.perf_counter)
    cancel: threading.Event | None = None
    info: QuestionInfo | None = None
    ranker: SentenceRanker | None = None
    tokens: int = 0
    lm_calls: int = 0
    stopped: str = ""
    """The `Stop` code of the budget that ran out ("" while none has)."""
    context: str = ""
    """Earlier turns of a session, appended to the question for the LM steps that see it."""
    nodes: list[Node] = field(default_factory=list)

    def nlp(self):
        """The shared spaCy pipeline (loaded on first use)."""
        return self.runtime.nlp()

    def seen(self, label: str) -> list[Hit]:
        """The hits of every ranking recorded under `label`, in order."""
        ev = self.tools.evidence
        return [ev.hits[c] for lab, ids in ev.rankings if lab == label for c in ids]

    def rrf_k(self) -> int:
        """The index's reciprocal-rank-fusion constant (60 when it has none)."""
        index = self.runtime.index
        return int(getattr(getattr(getattr(index, "settings", None), "fusion", None), "rrf_k", 60) or 60)

    def tool(self, tool: str, node: int | None, label: str, **args) -> list[Hit]:
        """Run one retrieval tool, recorded under `label` (see `agent.toolbox.ToolBox.call`)."""
        self.check_cancel()
        what = args.get("query") or args.get("entity") or args.get("source") or ""
        self.trace.emit("step", kind="tool", step=tool, node=node, text=f"{tool} {what}".strip())
        return self.tools.call(tool, node, label, **args)

    def lm_step(self, step: str, module: dspy.Module, light: bool = False, node: int | None = None,
                **inputs):
        """Call `module(**inputs)` as the run's step `step` (the fast LM when `light`), counting its
        tokens and calls and tracing its fallback."""
        self.check_cancel()
        fast = self.runtime.fast_lm
        lm = fast if light and fast is not None else None
        self.trace.emit("step", kind="lm", step=step, node=node,
                        text=f"{step} #{node} with the LM" if node else f"{step} with the LM")
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
            self.tokens += prompt + completion
            self.lm_calls += max(1, len(calls))
            self.trace.emit("lm_call", step=step, model=model, prompt_tokens=prompt,
                            completion_tokens=completion, seconds=seconds, cached=cached,
                            calls=max(1, len(calls)))
        fallback = getattr(pred, "fallback", None)
        if fallback:
            self.trace.emit("fallback", step=step, node=node, code=fallback.code, reason=fallback.reason)
        return pred

    def over_budget(self, node: int | None = None) -> bool:
        """True once a budget (tool calls, tokens, seconds) has run out; the first time, a `budget`
        event says which."""
        if self.stopped:
            return True
        s = self.settings
        reason = ""
        if self.tools and self.tools.calls >= s.max_tool_calls:
            reason = Stop.TOOL_CALLS
        elif self.tokens >= s.max_tokens:
            reason = Stop.TOKENS
        elif time.perf_counter() - self.started >= s.max_seconds:
            reason = Stop.SECONDS
        if reason:
            self.stopped = reason
            self.trace.emit("budget", reason=reason, node=node)
        return bool(reason)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise RunCancelled()

    def end(self, status: str, error: str | None) -> None:
        self.trace.emit("run_end", status=status, seconds=round(time.perf_counter() - self.started, 3),
                        lm_calls=self.lm_calls, tool_calls=self.tools.calls if self.tools else 0,
                        tokens=self.tokens, error=error)


def context_note(history) -> str:
    """Earlier turns of a session, appended to the question for decomposition and answering."""
    turns = [(q, a) for q, a in history if q and a][-3:]
    if not turns:
        return ""
    return "\n(Earlier in this session: " + " ".join(f"Q: {q} A: {a}" for q, a in turns) + ")"
