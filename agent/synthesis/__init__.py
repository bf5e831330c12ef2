"""Cited syntheses for open questions: list, compare and explain answers.

`classify_question` decides the answer shape (`shape.py`); for a factoid the agent keeps its
usual path. For the other shapes `synthesize` gathers broad evidence diversified by document
(`gather.py`), writes one extractive, cited line per document and an overview (`compose.py`),
and checks every sentence against the passages it cites (`support.py`).

The agent reaches this package through one small branch in `ResearchAgent.run`; everything the
synthesis needs from the run (searching, LM calls, the budget) comes in as callables, so this
package does not depend on the research loop's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.lm.models import is_local
from agent.report import renumber
from agent.synthesis.shape import SHAPES, ShapeDecision, classify

__all__ = ["SHAPES", "ShapeDecision", "Synthesis", "classify_question", "lm_is_capable", "synthesize"]


@dataclass
class Synthesis:
    """A finished synthesis, ready to become an `AgentResult`."""

    answer: str
    """Markdown: the overview, then one `- line [n]` per item."""
    items: list[dict[str, Any]]
    """[{text, citations: [n, ...]}]"""
    overview: dict[str, Any]
    """{text, citations, source}"""
    dropped: list[dict[str, Any]]
    cited: list[tuple[int, Any, str]]
    """(n, hit, quote) per citation number."""
    ranked: list[str] = field(default_factory=list)
    """Chunk ids in the order they bear on the answer (the cited ones first)."""
    rewrites: dict[str, int] = field(default_factory=dict)

    @property
    def event(self) -> dict[str, Any]:
        """The `synthesis` trace event's data."""
        return {
            "items": self.items,
            "dropped": self.dropped,
            "overview": self.overview,
            "rewrites": self.rewrites,
        }


def lm_is_capable(lm) -> bool:
    """False for the embedded models (and no LM); True for any other configured LM."""
    if lm is None:
        return False
    name = str(getattr(lm, "hopper_name", "") or getattr(lm, "model", "") or "")
    return not is_local(name)


def _nlp():
    """The spaCy pipeline when installed (it is, for the graph); None otherwise."""
    try:
        from graphs.extract import load_spacy  # heavy: spaCy, and optional here
        from graphs.settings import GraphSettings

        return load_spacy(GraphSettings().spacy_model)
    except Exception:  # noqa: BLE001 - the suffix rule covers a missing model
        return None


def classify_question(
    question: str, forced: str = "auto", ask_lm: Callable[[str], str] | None = None, nlp=None
) -> ShapeDecision:
    """The question's shape: forced, by rules over the spaCy parse (`nlp`, else the shared
    pipeline), or by `ask_lm` when given and no rule fires."""
    if forced and forced != "auto":
        return classify(question, forced)
    return classify(question, "auto", nlp=nlp if nlp is not None else _nlp(), ask_lm=ask_lm)


def synthesize(
    question: str,
    decision: ShapeDecision,
    *,
    search: Callable[..., list],
    embedder=None,
    ranker=None,
    has_graph: bool = False,
    shorten: Callable[[str, str], str] | None = None,
    overview: Callable[[str, str], str] | None = None,
    over_budget: Callable[[], bool] = lambda: False,
) -> Synthesis:
    """Gather, compose and check a synthesis for `question` (see the package docstring).

    `search(tool, query=, k=)` runs one retrieval tool and records it; `shorten(question,
    sentence)` and `overview(question, numbered_lines)` call the LM (None: no LM call)."""
    # heavy: agent.reading.evidence imports spaCy (seconds); classify_question alone must not
    from agent.reading.evidence import SentenceRanker
    from agent.synthesis.compose import compose
    from agent.synthesis.gather import gather

    ranker = ranker if ranker is not None else SentenceRanker(embedder)
    groups = gather(question, decision, search, ranker, has_graph=has_graph, over_budget=over_budget)
    draft = compose(
        question, decision, groups, ranker, shorten=shorten, overview=overview, over_budget=over_budget
    )
    ov = draft.overview
    used = sorted({n for ln in draft.lines for n in ln.citations} | set(ov.citations if ov else []))
    remap = {old: new for new, old in enumerate(used, 1)}  # dropped lines leave no gaps in the numbering
    items = [{"text": ln.text, "citations": [remap[n] for n in ln.citations]} for ln in draft.lines]
    overview_data = (
        {"text": renumber(ov.text, remap), "citations": [remap[n] for n in ov.citations], "source": ov.source}
        if ov
        else {}
    )
    body = "\n".join(f"- {it['text']}" + "".join(f" [{n}]" for n in it["citations"]) for it in items)
    answer = f"{overview_data['text']}\n\n{body}" if ov and body else body
    cited = sorted(
        ((remap[n], hit, quote) for n, hit, quote in draft.cited if n in remap), key=lambda c: c[0]
    )
    cited_ids = [hit.chunk_id for _, hit, _ in cited]
    others = [h.chunk_id for g in groups for h in g.hits.values() if h.chunk_id not in cited_ids]
    return Synthesis(answer, items, overview_data, draft.dropped, cited, cited_ids + others, draft.rewrites)
