"""The question's own terms (numbers, identifiers, names) and whether the documents hold them.

A passage that answers a question is likely to repeat the question's specific terms: the year it
names, the function it asks about. A question whose number no document holds ("Who won the 2052
cup?" over documents that never mention 2052) is about something the documents do not cover, and
its best-matching passage answers another question. Whether a term is absent is looked up in the
text of every passage of the index (`index_text`), in any of its usual spellings; the answer
selector (`agent.reading.select`) weighs it with its other features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.reading.lexicon import STOP_WORDS

_TERM = re.compile(r"(?<![\w.-])(?:[A-Za-z_]\w*(?:[._-]\w+)+|\d+(?:[.,:]\d+)*|[A-Z]\w*)(?!\w)")
"""An identifier (dotted, hyphenated or underscored: `json.dumps`, `MET-amplified`), a number, or
a capitalised word."""
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
MIN_TERM_CHARS = 2
"""A one-character term is in every text."""


@dataclass(frozen=True)
class Term:
    """A term a passage that answers the question would repeat: a number, or a name (an
    identifier or a capitalised word)."""

    text: str
    kind: str  # "number" | "name"


def question_terms(question: str) -> list[Term]:
    """The question's own specific terms: its numbers, identifiers and the capitalised words after
    its first word (names), never function words. A passage that answers the question is likely to
    repeat them; a question whose terms no document holds is likely about something else."""
    lead = len(question) - len(question.lstrip(" \"'¿"))
    out: dict[str, Term] = {}
    for m in _TERM.finditer(question):
        text = m.group(0)
        if len(text) < MIN_TERM_CHARS or text.lower() in STOP_WORDS:
            continue
        if _NUMBER.fullmatch(text):
            out.setdefault(text.lower(), Term(text, "number"))
        elif m.start() != lead or not text[1:].islower():  # every sentence's first word is capitalised
            out.setdefault(text.lower(), Term(text, "name"))
    return list(out.values())


def spellings(term: Term) -> list[re.Pattern]:
    """Patterns a text holds `term` by: a number whole or as the start of a longer version
    ("3.11" in "3.11.7"), with or without thousands commas; a name from a word start (plurals and
    inflections follow); an identifier also by its last dotted part (`TextWrapper` of
    `textwrap.TextWrapper`), with its hyphens as spaces, underscores or nothing ("low-dose", "low
    dose"), and inside a longer identifier (`Z_BEST_COMPRESSION`)."""
    t = term.text.lower()
    if term.kind == "number":
        forms = {t, t.replace(",", "")}
        if t.isdigit() and len(t) >= 4 and not t.startswith("0"):
            forms.add(f"{int(t):,}")  # 1200 also as 1,200
        return [re.compile(rf"(?<![\d.,]){re.escape(f)}(?!\d|,\d)") for f in forms]
    forms = {t}
    if "." in t:
        forms.add(t.rsplit(".", 1)[1])
    joined = "-" in t or "_" in t
    if joined:
        forms |= {re.sub(r"[-_]", sep, t) for sep in (" ", "", "-", "_")}
    start = "" if joined else r"(?<!\w)"
    return [re.compile(start + re.escape(f)) for f in forms if len(f) >= MIN_TERM_CHARS]


def absent_terms(terms: Sequence[Term], text: str) -> list[Term]:
    """The terms that `text` (every passage of the index, lower-cased: `index_text`) holds in none
    of their `spellings`."""
    return [term for term in terms if not any(p.search(text) for p in spellings(term))]


_TEXTS: dict[tuple[str, int], str] = {}
"""The last index generation's text (`index_text`), by folder and generation."""


def index_text(index) -> str:
    """Every passage of `index` (title and text), lower-cased, in one string: built once per index
    generation (about 5 MB for 5 MB of documents), however often the index is opened again."""
    key = (str(index.dir), index.generation)
    text = _TEXTS.get(key)
    if text is None:
        text = "\n".join(f"{c.title}\n{c.text}" for c in index.store.chunks).lower()
        _TEXTS.clear()  # one index at a time: a new generation replaces the old one's text
        _TEXTS[key] = text
    return text


def absent_numbers(terms: Sequence[Term], index) -> list[str]:
    """The numbers among `terms` that no passage of `index` holds."""
    numbers = [t for t in terms if t.kind == "number"]
    return [t.text for t in absent_terms(numbers, index_text(index))] if numbers else []
