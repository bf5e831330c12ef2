"""Yes/no and choice questions that code can settle from what the evidence says of each name.

"Are A and B both film directors?" and "Which singer is American, A or B?" ask whether a
predicate ("film directors", "American singer") holds of each name. The embedded model answers
"yes" to nearly every such question and tends to pick the first option, so code compares the
predicate's words (stemmed) with the sentences read about each name instead:

- both/also questions: "yes" when every name's sentences state the same predicate words, "no"
  when one name's sentences state words that another's lack;
- choice questions without a comparison ("larger", "older", ...): the option whose sentences
  state more of the predicate's words.

When there is no signal (no sentence about a name, no predicate word found, a tie, or a "same"
question that compares values) nothing is decided here and the reader asks the LM.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

from agent.reading.checks import normalize
from agent.reading.evidence import Sentence
from agent.reading.lexicon import FRAME_WORDS, OVERLAP_STOP_WORDS

_COMPARES = frozenset("JJR JJS RBR RBS".split())
_COMPARE_WORDS = re.compile(r"\b(first|last|earlier|later|before|after|more|most|less|least)\b", re.I)


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


def _stems(text: str) -> set[str]:
    words = [w for w in normalize(text).split() if len(w) > 1 and w not in OVERLAP_STOP_WORDS]
    return set(_stemmer().stemWords(words))


def predicate_terms(question: str, names: Sequence[str]) -> set[str]:
    """Stems of the question's content words that are not the names and do not frame it."""
    named = set().union(*(_stems(n) for n in names)) if names else set()
    words = [w for w in normalize(question).split() if w not in FRAME_WORDS]
    return _stems(" ".join(words)) - named


def stated(name: str, sentences: Sequence[Sentence], terms: set[str]) -> set[str] | None:
    """The predicate stems that the sentences about `name` state; None when none is about it."""
    own = about(name, sentences)
    if not own:
        return None
    return terms & set().union(*(_stems(f"{s.title} {s.text}") for s in own))


def yes_no(question: str, names: Sequence[str], sentences: Sequence[Sentence]) -> str:
    """"yes"/"no" for a question about two or more names, or "" when the evidence gives no signal."""
    words = set(normalize(question).split())
    titled = [n for n in names if any(normalize(n) in normalize(s.title) for s in sentences)]
    names = titled if len(titled) >= 2 else names  # "A has an OBE. Does B?": OBE is not a subject
    if len(names) < 2 or words & {"same", "different", "than"}:
        return ""
    joined = normalize(f"{names[0]} and {names[1]}") in normalize(question)
    if not joined and not words & {"both", "also", "too", "either", "neither"}:
        return ""  # "Was X designed by Y?" asks a relation between the names, not a shared predicate
    terms = predicate_terms(question, names)
    found = [stated(n, sentences, terms) for n in names]
    if not terms or any(f is None for f in found) or not any(found):
        return ""
    return "yes" if all(f == found[0] for f in found) else "no"


def comparative(question: str, nlp=None) -> bool:
    """The question compares the options on a scale ("larger", "first", "most") rather than asking
    which of them a predicate fits."""
    if _COMPARE_WORDS.search(question):
        return True
    return nlp is not None and any(t.tag_ in _COMPARES for t in nlp(question))


def option_by_predicate(question: str, options: Sequence[str], sentences: Sequence[Sentence],
                        nlp=None) -> str:
    """The option whose sentences state most of the predicate ("" on a tie, no signal, or a comparison)."""
    if len(options) < 2 or comparative(question, nlp):
        return ""
    terms = predicate_terms(question, options)
    counts = [len(stated(o, sentences, terms) or ()) for o in options]
    best = max(counts)
    if not terms or best == 0 or counts.count(best) > 1:
        return ""
    return options[counts.index(best)]


_SAME = re.compile(r"\b(?:the\s+)?same\s+([a-z]+)", re.I)


def same_attribute(question: str) -> str:
    """"state" for "Are A and B in the same state?": the attribute whose values are compared."""
    m = _SAME.search(question)
    return m.group(1).lower() if m and m.group(1).lower() not in OVERLAP_STOP_WORDS else ""


def about(name: str, sentences: Sequence[Sentence]) -> list[Sentence]:
    """The sentences whose title or text names `name`, those of its own passage (title) first."""
    key = normalize(name)
    found = [s for s in sentences if key and key in normalize(f"{s.title} {s.text}")]
    return sorted(found, key=lambda s: key not in normalize(s.title))


def same_value(a: str, b: str) -> bool:
    """Two answers name the same thing: one contains the other, or they share most words."""
    x, y = normalize(a), normalize(b)
    if not x or not y:
        return False
    if f" {x} " in f" {y} " or f" {y} " in f" {x} ":
        return True
    wx, wy = set(x.split()), set(y.split())
    return len(wx & wy) * 2 >= min(len(wx), len(wy)) + 1
