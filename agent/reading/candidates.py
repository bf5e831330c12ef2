"""Answer candidates: the names, numbers, dates and noun phrases of the evidence sentences that
could answer the question, found by spaCy (the same pipeline the graph uses).

When the reader's own answer fails a check, the answer is chosen among these instead of
generated, and every candidate is a span of a sentence by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.reading.checks import answer_checks, check_echo, check_type, failed, normalize
from agent.reading.evidence import Sentence
from agent.reading.lexicon import REPLY_EDGE_WORDS, WH_WORDS
from agent.reading.question import QuestionInfo

MAX_CANDIDATES = 6
MIN_SENTENCE_SCORE = 0.35
"""A candidate must come from a sentence at least this close to the question (cosine + word
bonus): when no sentence is about the question, no span is offered as its answer."""

_LABELS = {
    "person": ("PERSON", "ORG", "NORP"),
    "place": ("GPE", "LOC", "FAC", "ORG"),
    "year": ("DATE",),
    "date": ("DATE", "TIME", "EVENT"),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL", "DATE"),
}
_SKIP_LABELS = ("ORDINAL",)


@dataclass(frozen=True)
class Candidate:
    text: str
    sentence: int
    """Index of the evidence sentence it came from."""
    label: str
    """spaCy entity label, or NP for a noun chunk, NUM for a number token."""
    score: float


def candidates(
    info: QuestionInfo, sentences: Sequence[Sentence], nlp, limit: int = MAX_CANDIDATES
) -> list[Candidate]:
    """Spans of `sentences` that could answer `info`'s question, likeliest first: entities whose
    label fits the expected type before other entities and noun chunks; never a span that fails
    the type check or only repeats the question."""
    if info.form in ("yesno", "choice") or not sentences:
        return []
    wanted = _LABELS.get(info.answer_type, ())
    found: dict[str, Candidate] = {}
    docs = list(nlp.pipe([s.text for s in sentences]))
    for i, (s, doc) in enumerate(zip(sentences, docs, strict=True)):
        if s.score < MIN_SENTENCE_SCORE:
            continue
        spans = [(e.text, e.label_) for e in doc.ents if e.label_ not in _SKIP_LABELS]
        if info.answer_type in ("thing", "person", "place"):
            spans += [(nc.text, "NP") for nc in doc.noun_chunks if nc.root.pos_ in ("PROPN", "NOUN")]
        if info.answer_type == "number":
            spans += [(t.text, "NUM") for t in doc if t.like_num]
        for text, label in spans:
            text = grammar_safe(text).strip(" ,.;:'#")
            key = normalize(text)
            if not key or key in found or not check_type(text, info).ok or not check_echo(text, info).ok:
                continue
            if info.answer_type in ("person", "place") and not any(c.isupper() for c in text):
                continue  # "six months", "the time": a person or a place is named with a capital
            if normalize(text) in normalize(s.title) and info.answer_type not in ("year", "date", "number"):
                fit = 0.5  # the passage's own subject is seldom the answer to a question that led to it
            else:
                fit = 1.0
            fit += 1.0 if label in wanted else (0.3 if label != "NP" else 0.0)
            if info.target and info.target in text.lower():
                fit += 0.5
            found[key] = Candidate(text, i, label, round(s.score + 0.2 * fit - 0.02 * i, 4))
    return sorted(found.values(), key=lambda c: -c.score)[:limit]


def grammar_safe(text: str) -> str:
    """`text` without quotes or backslashes, spaces collapsed: a choice option must compile into the
    JSON grammar llama.cpp builds from the options."""
    return " ".join(text.replace('"', " ").replace("\\", " ").split())


MAX_PART_WORDS = 6
MIN_REPLY_WORDS = 2


def from_reply(reply: str, info: QuestionInfo, texts: Sequence[str]) -> str:
    """The part of a reply that failed the checks which is itself an answer: a span of `texts` of
    at most MAX_PART_WORDS words that names something (a capital or a digit), adds only words the
    question does not have, and passes every check ("The actress who starred in "Blue Harbour""
    -> "Blue Harbour"). Of several, the one standing where the question's wh-word stands
    ("X is based in Y" for "... is based where?" -> Y: `_before_wh`), then the longest, then the
    first. "" when no part of the reply is one."""
    words = reply.replace('"', " ").replace("\u201c", " ").replace("\u201d", " ").split()
    if len(words) < MIN_REPLY_WORDS or len(words) > 40:
        return ""
    asked = set(normalize(info.text).split()) | REPLY_EDGE_WORDS
    parts = sorted(
        ((i, j) for i in range(len(words)) for j in range(i + 1, min(len(words), i + MAX_PART_WORDS) + 1)),
        key=lambda ij: ij[0] - ij[1],
    )
    before = _before_wh(info.text)
    found = []
    for i, j in parts:
        part = " ".join(words[i:j]).strip(" ,.;:'()")
        if (
            j - i < len(words)
            and part
            and not any(_edge(w, asked) for w in (words[i], words[j - 1]))
            and not set(normalize(part).split()) & (asked - REPLY_EDGE_WORDS)  # new words only
            and _named(words[i:j])  # a name, number or date
            and not _splits_name(words, i, j)
            and not failed(answer_checks(part, info, texts))
        ):
            aligned = len(_content(words[max(0, i - ALIGN_WORDS):i]) & before)
            found.append((aligned, j - i, -i, part))
    return max(found)[3] if found else ""


ALIGN_WORDS = 3
"""How many words before a reply part, and before the question's wh-word, are compared."""


def _content(words: Sequence[str]) -> set[str]:
    """The normalised words of `words`, function words left out."""
    return {normalize(w) for w in words if w.lower().strip(",.;:'()\"?") not in REPLY_EDGE_WORDS} - {""}


def _before_wh(question: str) -> set[str]:
    """The content words just before the question's wh-word, when the question puts it after some
    words (its last one: "an actress who starred in what"): a reply part after the same words
    stands where the answer does ("is based in Y" for "... is based where?", not the reply's
    subject). Empty for a question that opens with its wh-word ("What is ...", "Who designed ...")."""
    q = question.split()
    marks = [k for k, w in enumerate(q) if w.lower().strip(",.;:'()\"?") in WH_WORDS]
    if not marks or marks[0] == 0:
        return set()
    return _content(q[max(0, marks[-1] - ALIGN_WORDS):marks[-1]])


def _edge(word: str, asked: set[str]) -> bool:
    """A part may not start or end with a word of the question or a function word ("Jonas Vellam
    for the": `normalize` drops articles, so they are looked up as written)."""
    return normalize(word) in asked or word.lower().strip(",.;:'()") in REPLY_EDGE_WORDS


def _splits_name(words: Sequence[str], i: int, j: int) -> bool:
    """words[i:j] cuts a run of capitalised words ("Mae Lind" out of "Ada Mae Lind
    Brook"): a piece of a name is not a name. An article before a name is not part of it."""
    def cap(w: str) -> bool:
        return w[:1].isupper() and w.lower() not in ("a", "an", "the")
    return (i > 0 and cap(words[i - 1]) and cap(words[i])) or (j < len(words) and cap(words[j - 1])
                                                              and cap(words[j]))


def _named(words: Sequence[str]) -> bool:
    """The words open (after an article) with a capital or a digit: "the Tay", "1846", not "the
    long race around the island"."""
    first = words[1] if len(words) > 1 and words[0].lower() in ("a", "an", "the") else words[0]
    return first[:1].isupper() or first[:1].isdigit()
