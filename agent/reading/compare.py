"""Comparisons that code can settle: "Which was founded first, A or B?", "Who is older, A or B?".

When the question compares the options in time and the evidence gives a year for each, the
earlier (or later) year decides; the LM is not asked. Anything else is left to the reader.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.reading.checks import normalize
from agent.reading.evidence import Sentence

_EARLIER = re.compile(r"\b(first|earlier|earliest|older|oldest|before|sooner|longer ago|elder)\b", re.I)
_LATER = re.compile(r"\b(last|later|latest|younger|youngest|more recent(ly)?|most recent(ly)?"
                    r"|newer|newest)\b", re.I)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")


def direction(question: str) -> str:
    """"earlier", "later" or "" for a question that does not compare in time."""
    earlier, later = bool(_EARLIER.search(question)), bool(_LATER.search(question))
    return "earlier" if earlier and not later else "later" if later and not earlier else ""


def year_of(option: str, sentences: Sequence[Sentence]) -> tuple[int, Sentence] | None:
    """The first year stated in the best sentence about `option` (its title or text names it)."""
    key = normalize(option)
    for s in sentences:
        if key and (key in normalize(s.title) or key in normalize(s.text)):
            m = _YEAR.search(s.text)
            if m:
                return int(m.group(1)), s
    return None


def by_years(question: str, options: Sequence[str],
             sentences: Sequence[Sentence]) -> tuple[str, Sentence] | None:
    """(the option the years pick, the sentence that dates it), or None when code cannot tell."""
    way = direction(question)
    if not way or len(options) != 2:
        return None
    dated = [year_of(o, sentences) for o in options]
    if any(d is None for d in dated) or dated[0][0] == dated[1][0]:
        return None
    pick = min if way == "earlier" else max
    year, sentence = pick(dated, key=lambda d: d[0])
    return options[dated.index((year, sentence))], sentence


_LIFE = re.compile(r"\b(born|birth|die|died|death)\b", re.I)
_OPENING_PARENS = re.compile(r"^[^()]{0,80}?\(([^()]{4,80})\)")


def _opening(text: str) -> str:
    """What the parentheses that open `text` hold ("X (1824–1899) was ..." -> "1824–1899"); "" if none."""
    opening = _OPENING_PARENS.search(text)
    return opening.group(1) if opening else ""


def _asks_birth(life: re.Match) -> bool:
    """The question's `_LIFE` word asks for a birth (else a death)."""
    return life.group(1).lower() in ("born", "birth")


def life_year(question: str, sentences: Sequence[Sentence]) -> tuple[str, Sentence] | None:
    """For "In what year was X born?" ("died"): the year in the parentheses that open a sentence of
    X's own passage ("X (1824–1899) was ..."), first for a birth, last for a death; None otherwise."""
    m = _LIFE.search(question)
    if not m:
        return None
    asked = normalize(question)
    for s in sentences:
        title = normalize(s.title)
        if not title or f" {title} " not in f" {asked} ":
            continue
        years = _YEAR.findall(_opening(s.text))
        if years:
            birth = _asks_birth(m)
            if not birth and len(years) < 2:
                continue  # "(born 1924)": no death year stated
            return (years[0] if birth else years[-1]), s
    return None


def own_life_year(question: str, reply: str, sentence: Sentence) -> str | None:
    """For "In what year was the man who ... born?" ("died"), answered with a year its sentence
    states outside any parentheses ("... first elected in 1993"): the year of the life span that
    opens that sentence or its passage's first sentence ("Ivo Marr (15 June 1924 – 24 April
    2005) was ..." -> 1924), when it is another; None otherwise (no life span, or the reply is a
    year some parentheses give: someone's own dates)."""
    m = _LIFE.search(question)
    key = normalize(reply)
    if not m or not _YEAR.fullmatch(key) or key in " ".join(re.findall(r"\(([^()]*)\)", sentence.text)):
        return None
    birth = _asks_birth(m)
    for text in (sentence.text, sentence.context):
        span = _opening(text)
        years = _YEAR.findall(span)
        if len(years) >= 2 or (years and birth and re.search(r"\bborn\b", span, re.I)):
            year = years[0] if birth else years[-1]
            return year if year != key else None
    return None


_HOW_MANY_TIMES = re.compile(r"\bhow many times\b", re.I)
_TIMES = re.compile(
    r"\b(once|twice|thrice|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"
    r"(?:-time\b| times\b| occasions\b))", re.I)


def times(question: str, sentences: Sequence[Sentence]) -> tuple[str, Sentence] | None:
    """For "How many times was X ...?": the count of occurrences the best sentence that states one
    gives ("twice", "a two-time Pro Bowl selection" -> "two-time", "three times"); None otherwise."""
    if not _HOW_MANY_TIMES.search(question):
        return None
    for s in sentences:
        m = _TIMES.search(s.text)
        if m:
            return m.group(1), s
    return None
