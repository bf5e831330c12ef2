"""What the reader makes of a question (`Reading`): the answer, trimmed to the name its sentence
gives, and its confidence, from how it was found and how well its sentence matches the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.outcome import Fallback
from agent.reading.candidates import Candidate
from agent.reading.checks import Verdict
from agent.reading.evidence import Sentence

BASE_CONFIDENCE = {"free": 0.6, "part": 0.45, "option": 0.5, "yesno": 0.45, "choice": 0.3, "candidate": 0.3,
                   "years": 0.7, "predicate": 0.5, "values": 0.5, "scored": 0.3, "times": 0.6,
                   "alone": 0.45}
"""Starting confidence by how the answer was found. On the tuning questions (demo train, HotpotQA
1-50) the reader's own checked reply was right about half the time when these were set (40 of 49
final answers at c2ec7b7: kept, as the held-out HotpotQA answers are right less often), a choice
among spans about one time in ten (scored: 1 of 8)."""
TOP_SENTENCE_BONUS = 0.12
"""The answer is in the sentence that matches the question best (right 58% of the time vs 30%)."""
STRONG_MATCH = 0.8
STRONG_MATCH_BONUS = 0.1
"""Its sentence scores at least STRONG_MATCH (cosine + word bonus) against the question."""


@dataclass
class Reading:
    """What the reader made of a question over some sentences."""

    answer: str = ""
    """A span of the evidence ("" when nothing passed the checks); "yes"/"no" for yes/no questions."""
    sentence: Sentence | None = None
    """The sentence that states the answer (None for yes/no answers drawn from several)."""
    confidence: float = 0.0
    method: str = ""
    """free | part | years | times | option | predicate | values | yesno | scored | choice | candidate
    | alone | none."""
    raw: str = ""
    """The LM's own reply, before checks."""
    checks: list[Verdict] = field(default_factory=list)
    """The checks of the LM's own reply (a failed one is why the answer was chosen instead)."""
    candidates: list[Candidate] = field(default_factory=list)
    fallback: Fallback | None = None
    read: list[Sentence] = field(default_factory=list)
    """The sentences the reader was shown."""
    support: list[Sentence] = field(default_factory=list)
    """For a yes/no answer: the best sentence about each name it is about."""

    @property
    def quotes(self) -> list[Sentence]:
        """The sentences that support the answer: its own, or for yes/no the best one per subject."""
        if self.sentence is not None:
            return [self.sentence]
        return (self.support or self.read[:2]) if self.answer else []

    @property
    def ok(self) -> bool:
        return bool(self.answer)


def picked(answer: str, sentence: Sentence | None, method: str, raw: str, fallback: Fallback | None,
           why_none: Fallback) -> Reading:
    """The reading of a yes/no or choice question: `answer` found by `method`, or none (`why_none`)."""
    if not answer:
        return Reading("", sentence, 0.0, "none", raw, [], fallback=why_none)
    return Reading(answer, sentence, BASE_CONFIDENCE[method], method, raw, [], fallback=fallback)


def confidence(method: str, sentence: Sentence, sentences: Sequence[Sentence]) -> float:
    """How sure: the method's base, more when the answer's sentence is the best-matching one and
    matches the question strongly (both measured on the tuning questions)."""
    conf = BASE_CONFIDENCE[method]
    if sentences and sentence is sentences[0]:
        conf += TOP_SENTENCE_BONUS
    if sentence.score >= STRONG_MATCH:
        conf += STRONG_MATCH_BONUS
    return round(min(conf, 1.0), 3)


_TITLED = re.compile(r'(?:(?:the|a|an)\s+)?[a-z][a-z -]{0,30}?\s*["\u201c]([^"\u201c\u201d]{2,})["\u201d]')
"""A lower-case kind before a quoted title: 'the sitcom "Blue Harbour"'."""


_SUFFIX = re.compile(r",?\s+(?:Jr|Sr)\.?|,?\s+(?:II|III|IV)\b")
"""A generational suffix that belongs to the name before it ("Ada Brook, Jr.")."""


def trim(span: str, sentence: Sentence) -> str:
    """The span without a trailing full stop or surrounding punctuation; a quoted title without
    the kind of thing it is ('the sitcom "Blue Harbour"' -> 'Blue Harbour'); a name with the
    generational suffix the sentence gives it ("Ada Brook" -> "Ada Brook, Jr.")."""
    span = span.strip().strip(",;:").rstrip(".").strip() or span
    titled = _TITLED.fullmatch(span)
    if titled:
        return titled.group(1).strip()
    at = sentence.text.find(span)
    suffix = _SUFFIX.match(sentence.text, at + len(span)) if at >= 0 and span[-1:].isalpha() else None
    return span + suffix.group(0) if suffix else span
