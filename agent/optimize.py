"""Compile the research agent's DSPy predictors against an LM (`hopper optimize`).

The metric rewards a correct short answer and the right evidence: `answer_weight * F1 +
(1 - answer_weight) * recall@5` of the supporting documents. BootstrapFewShot keeps a run's
predictor calls as demonstrations when the run scores at least `threshold`; MIPROv2
(`auto="light"`) also proposes instructions. The result is saved as::

    {"hopper": {"format": 1, "lm": MODEL, "optimizer": ..., "train": ..., "created": ..., ...},
     "program": ResearchAgent.dump_state()}

which `agent.session.load_program_file` reads (`hopper ask/eval --program FILE`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import dspy

from agent.eval.datasets import Dataset
from agent.eval.metrics import evidence_ranking, f1_score
from agent.modules import clean_decomposition, norm_text

log = logging.getLogger(__name__)

PROGRAM_FORMAT = 1
Optimizer = Literal["bootstrap", "mipro"]
OPTIMIZERS: tuple[str, ...] = ("bootstrap", "mipro")


@dataclass
class OptimizeSettings:
    optimizer: Optimizer = "bootstrap"
    max_bootstrapped_demos: int = 2
    """Demonstrations per predictor taken from the agent's own successful runs."""
    max_labeled_demos: int = 0
    """Raw train examples per predictor; 0 because our examples carry none of the predictors' fields."""
    max_rounds: int = 1
    threshold: float = 0.5
    """A run's metric must reach this for its predictor calls to become demonstrations."""
    answer_weight: float = 0.7
    max_demo_chars: int = 1200
    """Long demo inputs (passages) are cut to this many characters, to fit a small model's context."""
    skip_demos: tuple[str, ...] = ()
    """Predictors (by name, e.g. `respond.predict`) that keep no demonstrations."""
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def evidence_recall(supporting: list[str], evidence_docs: list[str], k: int = 5) -> float:
    """Fraction of the supporting documents among the first `k` evidence documents."""
    if not supporting:
        return 0.0
    top = list(dict.fromkeys(evidence_docs))[:k]
    return len(set(top) & set(supporting)) / len(set(supporting))


def make_metric(answer_weight: float = 0.7, k: int = 5) -> Callable:
    """DSPy metric: answer F1 and evidence recall@k combined (a float in [0, 1]).

    Only a right answer that passed the checks earns the answer part: an answer some check
    refused (or one withheld as "not in your documents") scores 0 there, so a run that got the
    right words by luck does not become a demonstration."""

    def agent_metric(example, pred, trace=None) -> float:
        checks = list(getattr(pred, "checks", None) or [])
        passed = not getattr(pred, "not_found", False) and all(c.get("ok", True) for c in checks)
        f1 = f1_score(getattr(pred, "answer", "") or "", list(example.answers)) if passed else 0.0
        docs = list(getattr(pred, "evidence_docs", None) or [])
        if not docs and getattr(pred, "evidence", None):
            docs = list(evidence_ranking(pred.evidence))
        recall = evidence_recall(list(example.get("supporting_ids") or []), docs, k)
        if not example.get("supporting_ids"):
            return f1
        return answer_weight * f1 + (1 - answer_weight) * recall

    return agent_metric


def to_examples(dataset: Dataset, limit: int | None = None) -> list[dspy.Example]:
    questions = dataset.questions[:limit] if limit else dataset.questions
    return [dspy.Example(question=q.question, answers=list(q.answers), supporting_ids=list(q.supporting_ids),
                         qid=q.qid).with_inputs("question") for q in questions if q.answers]


def _trim(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit].rsplit(" ", 1)[0] + " …"
    return value


def tidy_demos(agent: dspy.Module, settings: OptimizeSettings) -> dict[str, int]:
    """Cut long demo inputs, drop demos of `skip_demos` predictors; returns demos per predictor."""
    counts = {}
    for name, predictor in agent.named_predictors():
        if name in settings.skip_demos or name.split(".")[0] in settings.skip_demos:
            predictor.demos = []
        predictor.demos = [d for d in predictor.demos if useful_demo(name, d)]
        cap = settings.max_demo_chars
        predictor.demos = [{k: _trim(v, cap) for k, v in d.items()} if isinstance(d, dict)
                           else dspy.Example({k: _trim(v, cap) for k, v in dict(d).items()})
                           for d in predictor.demos]
        predictor.lm = None  # the program records the LM's name only, never an LM object
        counts[name] = len(predictor.demos)
    return counts


def useful_demo(name: str, demo) -> bool:
    """Whether a bootstrapped demonstration teaches the step anything.

    A run can reach a right answer through the agent's fallbacks after a step went wrong; such a
    step's output (a decomposition that only repeats the question) would teach a small model to
    repeat the mistake, so it is dropped.
    """
    if name.split(".")[0] != "decompose":
        return True
    data = dict(demo)
    subs = data.get("sub_questions") or []
    if isinstance(subs, str) or len(subs) < 2:
        return False
    cleaned = clean_decomposition(str(data.get("question", "")), subs, len(subs))
    distinct = {norm_text(str(s)) for s in subs}
    return cleaned["fallback"] is None and len(cleaned["nodes"]) == len(subs) == len(distinct)


def compile_agent(agent: dspy.Module, trainset: list[dspy.Example], settings: OptimizeSettings,
                  valset: list[dspy.Example] | None = None) -> dspy.Module:
    """Run the optimizer; the caller provides the LM context (`lm_context`) and the agent's index."""
    metric = make_metric(settings.answer_weight)
    if settings.optimizer == "bootstrap":
        teleprompter = dspy.BootstrapFewShot(metric=metric, metric_threshold=settings.threshold,
                                             max_bootstrapped_demos=settings.max_bootstrapped_demos,
                                             max_labeled_demos=settings.max_labeled_demos,
                                             max_rounds=settings.max_rounds)
        compiled = teleprompter.compile(agent, trainset=trainset)
    elif settings.optimizer == "mipro":
        teleprompter = dspy.MIPROv2(metric=metric, auto="light", num_threads=1, seed=settings.seed,
                                    max_bootstrapped_demos=settings.max_bootstrapped_demos,
                                    max_labeled_demos=settings.max_labeled_demos, verbose=False)
        compiled = teleprompter.compile(agent, trainset=trainset, valset=valset, minibatch=False,
                                        requires_permission_to_run=False)
    else:
        raise ValueError(f"unknown optimizer {settings.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
    tidy_demos(compiled, settings)
    return compiled


def save_program(agent: dspy.Module, path: str | Path, *, lm: str, optimizer: str, train: str,
                 **meta: Any) -> Path:
    """Write the compiled predictors with a `hopper` header naming the LM they were compiled for."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": PROGRAM_FORMAT, "lm": lm, "optimizer": optimizer, "train": train,
              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "dspy": dspy.__version__, **meta}
    data = {"hopper": header, "program": agent.dump_state()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    tmp.replace(path)
    return path


def evaluate(agent: dspy.Module, examples: list[dspy.Example], answer_weight: float = 0.7) -> float:
    """Mean metric over `examples` (sequential; for reporting before/after on a small set)."""
    metric = make_metric(answer_weight)
    scores = [metric(ex, agent(question=ex.question)) for ex in examples]
    return sum(scores) / len(scores) if scores else 0.0
