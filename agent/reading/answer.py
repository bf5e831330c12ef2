"""The final answer: the short answer, citations to the sentences that state it, the checks it
passed, its confidence, and abstention below the threshold.

Code writes the answer text ("Sarn [1]"), so every citation points at a passage that states
what it is cited for; a capable LM may phrase the answer itself (`free_text`), and its text is
kept only when it states the same checked answer and cites only passages that were read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.reading.checks import Verdict, answer_checks, check_citation, find_span, normalize
from agent.reading.evidence import Sentence
from agent.reading.question import QuestionInfo
from agent.result import INSUFFICIENT, Citation
from tools.types import Hit

NOT_SURE = "Not sure: the evidence is weak. Best guess: {answer}"
NOT_FOUND = ("Not in your documents: the passages closest to the question (cited) do not state its "
             "answer.")


@dataclass
class Composed:
    answer: str
    short: str
    citations: list[Citation] = field(default_factory=list)
    checks: list[Verdict] = field(default_factory=list)
    confidence: float | None = None
    abstained: bool = False
    sufficient: bool = False
    not_found: bool = False
    """The selector judged that no read passage states the answer: nothing is answered."""
    conflicts: list[dict] = field(default_factory=list)
    """When passages disagree: [{value, citations}] for the answer, then each rival value
    (`agent.reading.conflict`)."""


def compose(
    info: QuestionInfo,
    short: str,
    quotes: Sequence[Sentence],
    hits: dict[str, Hit],
    confidence: float,
    min_confidence: float,
) -> Composed:
    """The answer to `info`'s question from a checked `short` answer and the sentences that state
    it (and the earlier hops' sentences), best first. Empty `short`: the evidence is insufficient."""
    if not short:
        return Composed(INSUFFICIENT, "", confidence=0.0)
    citations: list[Citation] = []
    for s in quotes:
        if s.chunk_id in hits and all(c.chunk_id != s.chunk_id for c in citations):
            h = hits[s.chunk_id]
            citations.append(Citation(len(citations) + 1, h.chunk_id, h.doc_id, h.title, h.source, h.text,
                                      s.text, s.context))
    cited_texts = [f"{c.title}. {c.text}" for c in citations]
    checks = answer_checks(short, info, cited_texts)
    if info.form == "wh":
        checks.append(check_citation(short, cited_texts))
    if any(not v.ok for v in checks):
        return Composed(INSUFFICIENT, "", [], checks, round(confidence, 3), False, False)
    abstained = confidence < min_confidence
    return Composed(answer_line(short, info, citations, abstained), short, citations, checks,
                    round(confidence, 3), abstained, True)


def answer_line(short: str, info: QuestionInfo, citations: Sequence[Citation], abstained: bool) -> str:
    """The answer as shown: `short` (or "Not sure ... Best guess: short") and its first three marks."""
    marks = "".join(f" [{c.n}]" for c in citations[:3])
    return ((NOT_SURE.format(answer=short) if abstained else _sentence_case(short, info)) + marks).strip()


def withhold(composed: Composed, info: QuestionInfo, probability: float, floor: float,
             min_confidence: float, absent: Sequence[str] = ()) -> Composed:
    """`composed` with the selector's `probability` as its confidence; below `floor`, "not in your
    documents" instead of an answer (the closest passages stay cited, so the reader can check),
    saying which of the question's own terms (`absent`) no document mentions."""
    confidence = round(probability, 3)
    if probability < floor:
        why = NOT_FOUND
        if absent:
            names = ", ".join(f"“{t}”" for t in absent)
            why = NOT_FOUND.replace(": ", f": no document mentions {names}, and ", 1)
        return Composed(why, "", composed.citations, composed.checks, confidence, False, False, True)
    abstained = probability < min_confidence
    return Composed(answer_line(composed.short, info, composed.citations, abstained), composed.short,
                    composed.citations, composed.checks, confidence, abstained, True)


def _sentence_case(short: str, info: QuestionInfo) -> str:
    return short[:1].upper() + short[1:] if info.form == "yesno" else short


def free_text(text: str, short: str, citations: Sequence[Citation]) -> str | None:
    """A capable LM's own answer sentence, kept only when it states `short` and each `[n]` it
    cites is one of `citations` and states the answer; None otherwise."""
    text = " ".join((text or "").split())
    if not text or len(text) > 600 or normalize(short) not in normalize(text):
        return None
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    by_n = {c.n: c for c in citations}
    if not numbers or any(n not in by_n for n in numbers):
        return None
    if not any(find_span(short, [f"{by_n[n].title}. {by_n[n].text}"]) for n in numbers):
        return None
    return text
