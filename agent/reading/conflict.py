"""Conflicting evidence: passages that give the question different answers of the same type.

An answer is checked against the sentences it was read from ("the Tollan" in one passage); when
another sentence read for the same question states a different value of the same type for the
same subject ("... lies on the Pwnriver" in another), the run does not pick one silently: it says
"documents disagree: Tollan [1], Pwnriver [2]", cites both, and its confidence drops to at most an
even share between the values (with nothing to tell them apart, neither is likelier).

A sentence counts as a rival claim only when all of these hold (nothing here names an entity):
- it is about the question's subject: it names each of the question's names (`subjects`), in
  its own text or the context sentence that says whom its pronoun means;
- it says the question's predicate: it holds the question's other content words (stems:
  "designed" ~ "design"; "built" is not "rebuilt");
- it holds a span of the type the question asks for (`candidates`: a place for "where", a year
  for "when"; a person or a place by a name, not a description capitalised only because it opens
  the sentence, such as "The following year") that is not the answer, does not contain it or lie
  inside it, and is not a name of the question; for numbers and dates, a different number;
- the span stands where the answer stands: when a preposition comes just before both ("lies on
  the Sarn"), it is the same one ("lies on the Pwnriver"; not "lies near Brampton");
- the sentence does not state the answer itself (it would agree, and add something else).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from agent.reading.answer import Composed, answer_line
from agent.reading.candidates import candidates
from agent.reading.checks import normalize
from agent.reading.evidence import Sentence, content_words, passage_sentences
from agent.reading.lexicon import PREPOSITIONS
from agent.reading.question import QuestionInfo, subjects
from agent.result import Citation
from agent.trace import Trace
from tools.types import Hit

DISAGREE = "documents disagree: {values}"

TYPED = ("year", "date", "number", "person", "place")
"""Answer types whose values can be compared; a 'thing' counts only when the question names its
kind ("which river")."""
STEM = 5
MIN_PREDICATE_SHARE = 1.0
"""Share of the question's other content words a rival sentence must hold: all of them ("built",
so "rebuilt in 1902" or "widened in 1950" is another fact, not a rival date)."""
MAX_CLAIMS = 3
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def disagree(composed: Composed, info: QuestionInfo, read: Sequence[Sentence], own: Sequence[Sentence],
             hits: dict[str, Hit], nlp, min_confidence: float, trace: Trace | None = None) -> Composed:
    """`composed` as it stands when the passages read (`read`, and the whole passages they and the
    citations come from) agree with it; otherwise with the rival values cited, "documents
    disagree: A [1], B [2]" added to its text, and its confidence at most an even share."""
    if not composed.sufficient or not composed.short:
        return composed
    pool = read_pool(read, hits, [c.chunk_id for c in composed.citations])
    claims = rival_claims(info, composed.short, own, pool, nlp)
    if not claims:
        return composed
    citations = list(composed.citations)
    own_marks = [c.n for c in composed.citations[:1]]
    conflicts = [{"value": composed.short, "citations": own_marks,
                  "quote": composed.citations[0].quote if composed.citations else ""}]
    for claim in claims:
        s = claim.sentence
        n = next((c.n for c in citations if c.chunk_id == s.chunk_id), None)
        if n is None and s.chunk_id in hits:
            h = hits[s.chunk_id]
            n = len(citations) + 1
            citations.append(Citation(n, h.chunk_id, h.doc_id, h.title, h.source, h.text, s.text, s.context))
        conflicts.append({"value": claim.value, "citations": [n] if n else [], "quote": s.text})
    confidence = round(min(composed.confidence or 0.0, 1.0 / len(conflicts)), 3)
    abstained = confidence < min_confidence
    text = composed.answer if abstained == composed.abstained else \
        answer_line(composed.short, info, composed.citations, abstained)
    text = f"{text.rstrip('.')} ({DISAGREE.format(values=conflict_values(conflicts))})"
    if trace is not None:
        trace.emit("conflict", answer=composed.short, conflicts=conflicts, confidence=confidence,
                   was=composed.confidence)
    return replace(composed, answer=text, citations=citations, confidence=confidence, abstained=abstained,
                   conflicts=conflicts)


def conflict_values(conflicts: Sequence[dict]) -> str:
    """"Sarn [1], Pwnriver [2]": each value the documents give, with its citations."""
    return ", ".join(str(c.get("value", "")) + "".join(f" [{n}]" for n in c.get("citations") or [])
                     for c in conflicts)


@dataclass(frozen=True)
class Claim:
    """One value the evidence gives for the answer, and the sentence that gives it."""

    value: str
    sentence: Sentence


def rival_claims(info: QuestionInfo, answer: str, own: Sequence[Sentence], pool: Sequence[Sentence],
                 nlp) -> list[Claim]:
    """The claims of `pool` that answer `info`'s question with a value other than `answer` (stated
    by the sentences `own`), one per value, best first; [] when the question's type is not one
    whose values compare."""
    if info.form != "wh" or not answer or not (info.answer_type in TYPED or info.target):
        return []
    names = [normalize(n) for n in subjects(info.text, nlp)]
    name_words = {w for n in names for w in n.split()}
    predicate = {w for w in content_words(info.text) if normalize(w) not in name_words}
    predicate -= {info.target.lower()} | _WH
    own_texts = {s.text for s in own}
    known = [normalize(s.text) for s in own]
    asked = content_words(info.text)
    slots = [w for s in own for w in _before(s.text, answer, asked)]
    about = [s for s in _unique(pool) if s.text not in own_texts
             and not _same(s.text, answer, info, within=True) and _about(s, names, predicate)]
    claims: dict[str, Claim] = {}
    scored = [replace(s, score=max(s.score, 1.0)) for s in about]  # `candidates` skips low-scored ones
    for cand in candidates(info, scored, nlp, limit=4 * len(scored) or 1):
        sentence = about[cand.sentence]
        value = cand.text
        key = normalize(value)
        if key in claims or any(c.sentence.text == sentence.text for c in claims.values()):
            continue
        if _same(value, answer, info) or any(f" {key} " in f" {k} " for k in known):
            continue  # the same value, or one the answer's own sentence also names
        slot = _before(sentence.text, value, asked)
        if slots and slot and not set(slot) & set(slots):
            continue
        if info.answer_type in ("person", "place") and _described(value, sentence.text):
            continue  # "The following year", "His best-known work": capitalised, but no name
        claims[key] = Claim(value, sentence)
    return list(claims.values())[:MAX_CLAIMS]


_WH = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "much", "many"}


def _described(value: str, text: str) -> bool:
    """`value` opens the sentence `text` and only its first word has a capital: the capital is the
    sentence's, and the words after it describe ("The following year") rather than name ("Ada
    Cole"). A single word keeps its chance: "Vos designed it"."""
    words = value.split()
    return (len(words) > 1 and text.lstrip(" \"'(“").startswith(value)
            and not any(w[:1].isupper() for w in words[1:]))


def _about(s: Sentence, names: list[str], predicate: set[str]) -> bool:
    text = normalize(f"{s.context} {s.text}")
    if names and not all(f" {n} " in f" {text} " for n in names):
        return False
    if not names and not predicate:
        return False
    have = content_words(f"{s.context} {s.text}")
    stems = {w[:STEM] for w in have}
    shared = sum(w in have or w[:STEM] in stems for w in predicate)
    return shared >= max(1.0, MIN_PREDICATE_SHARE * len(predicate)) if predicate else True


def _same(value: str, answer: str, info: QuestionInfo, within: bool = False) -> bool:
    """`value` states the same as `answer`: one holds the other's words ("Sarn" ~ "the Sarn
    river"), or, for numbers and dates, they give the same numbers. `within`: only `value`
    holding `answer` counts (`value` is a sentence)."""
    a, b = normalize(value), normalize(answer)
    if not a or not b:
        return not within
    if f" {b} " in f" {a} " or (not within and f" {a} " in f" {b} "):
        return True
    if info.answer_type in ("year", "date", "number"):
        na, nb = set(_NUMBER.findall(value)), set(_NUMBER.findall(answer))
        return bool(na and nb) and (nb <= na if within else (na <= nb or nb <= na))
    return False


SLOT_WORDS = 3


def _before(text: str, span: str, asked: set[str]) -> list[str]:
    """The prepositions among the SLOT_WORDS words just before `span` in `text` (not counting the
    question's content words): the role the span plays ("by", "on", "in"). [] when there is none
    or `span` is not found."""
    at = text.lower().find(span.lower())
    if at < 0:
        return []
    words = [w.lower() for w in re.findall(r"[\w'-]+", text[:at]) if w.lower() not in asked]
    return [w for w in words[-SLOT_WORDS:] if w in PREPOSITIONS]


def _unique(pool: Sequence[Sentence]) -> list[Sentence]:
    return list({s.text: s for s in pool}.values())


def read_pool(read: Sequence[Sentence], hits: dict[str, Hit], chunk_ids: Sequence[str]) -> list[Sentence]:
    """The sentences a rival claim may come from: those the reader was shown, and every sentence of
    the passages they and the citations come from."""
    pool = list(read)
    for cid in dict.fromkeys([s.chunk_id for s in read] + list(chunk_ids)):
        if cid in hits:
            pool += passage_sentences(hits[cid])
    return pool
