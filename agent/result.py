"""What a run returns: the answer, its citations and how sure Hopper is of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from agent.trace import Trace

INSUFFICIENT = "I could not find enough evidence in the indexed documents to answer this question."


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    text: str
    quote: str = ""
    """The sentence of the passage that states the answer (or supports the synthesis line)."""
    context: str = ""
    """The passage's first sentence, when the quote needs it ("He was born in ..." says who)."""


@dataclass
class AgentResult:
    question: str
    answer: str
    short_answer: str
    citations: list[Citation]
    evidence: list[str]
    evidence_docs: list[str]
    sufficient: bool
    status: str
    trace: Trace
    confidence: float | None = None
    """0-1: how sure the reader is of `short_answer` (None: not measured, e.g. closed book)."""
    abstained: bool = False
    """True when confidence is below the threshold: `answer` says so and shows the best guess."""
    checks: list[dict[str, Any]] = field(default_factory=list)
    """The answer checks run on the final answer: [{code, ok, reason}]."""
    not_found: bool = False
    """The documents were searched and read, and none of the passages states the answer."""
    shape: str = "factoid"
    """factoid | list | compare | explain."""
    items: list[dict[str, Any]] = field(default_factory=list)
    """Lines of a synthesis: [{text, citations: [n, ...]}] (empty for a factoid)."""
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    """When the documents give different answers of the asked type: [{value, citations: [n, ...],
    quote}], the answer first (empty when they agree)."""
    standalone: str = ""
    """The question as researched when the one asked refers back to the session (else empty)."""

    def to_dict(self, with_trace: bool = True) -> dict[str, Any]:
        out = {
            "question": self.question,
            "standalone": self.standalone,
            "shape": self.shape,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "confidence": self.confidence,
            "abstained": self.abstained,
            "not_found": self.not_found,
            "checks": self.checks,
            "conflicts": self.conflicts,
            "items": self.items,
            "citations": [asdict(c) for c in self.citations],
            "evidence": self.evidence,
            "sufficient": self.sufficient,
            "status": self.status,
        }
        if with_trace:
            out["trace"] = [asdict(e) for e in self.trace.events]
        return out
