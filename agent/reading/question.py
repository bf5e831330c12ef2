"""What a question asks for, read by code once: its form, the clause that asks, the noun it asks
for, the type of answer it expects, whether it asks for several things, the options it offers
and the names it is about (`QuestionInfo`). The chain of simpler questions behind a compositional
question is `agent.reading.tree`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.reading.lexicon import (
    FUNCTION_WORDS,
    MODAL_VERBS,
    NON_NOUNS_AFTER_WH,
    PERSON_NOUNS,
    PLACE_NOUNS,
    TIME_NOUNS,
    VALUE_NOUNS,
)
from agent.reading.terms import Term, question_terms

FORMS = ("wh", "yesno", "choice")
TYPES = ("year", "date", "number", "person", "place", "thing", "yesno", "choice")

_AUX = re.compile(
    r"^(are|is|was|were|do|does|did|can|could|has|have|had|will|would|should|shall|may|might)\b",
    re.IGNORECASE,
)
_WH = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how)\b", re.IGNORECASE)
_WH_PHRASE = re.compile(
    r"\b(what|when|where|how|which year)\b|\b(in|during|by|at|of|from|for|to|on)\s+which\b", re.IGNORECASE
)
"""A wh-phrase inside a question that opens like a yes/no question ("Do A, released in which year, ...")."""
_COMPARATIVES = (
    r"\w+er|\w+est|more \w+|less \w+|first|last|earlier|later|most|least|best|worst|"
    r"most recently|more recently"
)
_COMPARATIVE = re.compile(rf"\b({_COMPARATIVES})\b", re.IGNORECASE)


@dataclass
class QuestionInfo:
    """What the question asks for."""

    text: str
    form: str = "wh"
    """wh: a name, number or phrase; yesno: yes or no; choice: one of `options`."""
    answer_type: str = "thing"
    """year | date | number | person | place | thing | yesno | choice."""
    target: str = ""
    """The noun the wh-word asks about ("river" in "on which river"), if any."""
    options: list[str] = field(default_factory=list)
    """For a choice question, the alternatives it names ("A or B")."""
    subjects: list[str] = field(default_factory=list)
    """For a yes/no question, the names it asks about ("Are A and B both ...?"): each is read."""
    many: bool = False
    """The question asks for several things (its head noun is plural: "which encodings")."""
    terms: list[Term] = field(default_factory=list)
    """Its own numbers, identifiers and names (`agent.reading.terms.question_terms`)."""

    def as_dict(self) -> dict:
        return {
            "form": self.form,
            "answer_type": self.answer_type,
            "target": self.target,
            "options": self.options,
            "subjects": self.subjects,
            "many": self.many,
            "terms": [t.text for t in self.terms],
        }


_LEAD = re.compile(
    r"^(?:if|when|after|once|since|unless|although|though|while|before|until|besides|between|according to|"
    r"apart from|other than|in|on|for|with|without|by|from|given|roughly|about|of)\b[^,?]{0,120}?,\s+"
    r"(?=(?:who|whom|whose|what|which|when|where|how|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|has|have|had|may|might|must)\b)",
    re.IGNORECASE,
)
"""A clause before the question proper ("When told to follow redirects, how many ...", "After zstd
compresses a file, is ..."): its wh-word or auxiliary does not say what is asked."""
_BETWEEN = re.compile(r"^between\s+(.+?)\s+and\s+(.+?),\s+(?:which|who|what)\b", re.IGNORECASE)


def asking_clause(question: str) -> str:
    """The clause that asks: `question` without a leading clause that sets the scene."""
    q = " ".join(question.split())
    m = _LEAD.match(q)
    return q[m.end():] if m else q


def analyse(question: str, nlp=None) -> QuestionInfo:
    """Form, expected answer type and options of `question`, by rules over the words of the
    clause that asks (`asking_clause`); `text` keeps the whole question. With `nlp` (spaCy), the
    asked-for noun comes from the part-of-speech tags (`head_noun`)."""
    info = QuestionInfo(" ".join(question.split()))
    info.terms = question_terms(info.text)
    between = _BETWEEN.match(info.text)
    if between:  # "Between A and B, which one ...?": a choice
        info.form, info.answer_type = "choice", "choice"
        info.options = [_strip_option(x) for x in between.groups()]
        return info
    q = asking_clause(question)
    options = choice_options(q)
    last = re.split(r"(?<=[.?!;])\s+", q.rstrip("?").strip())[-1] if q else ""
    if options:
        info.form, info.answer_type, info.options = "choice", "choice", options
        return info
    asks_yes_no = bool(
        _AUX.match(q)
        or (_AUX.match(last) and not _WH.search(last))
        or re.search(r",\s*(is|are|was|were|did|does|do)\s+(it|they|he|she|both)\b", q, re.I)
    )
    if asks_yes_no and not _WH.match(q) and not _WH_PHRASE.search(q):
        info.form, info.answer_type = "yesno", "yesno"
        return info
    info.answer_type, info.target = _wh_type(q)
    head, info.many = head_noun(q, nlp) if nlp is not None else (None, False)
    if head is not None and info.answer_type in ("thing", "date"):
        info.target = head
        if (head in PLACE_NOUNS or head.removesuffix("s") in PLACE_NOUNS) and head not in VALUE_NOUNS:
            info.answer_type = "place"
        elif is_person_noun(head):
            info.answer_type = "person"
        elif info.answer_type == "date" and head and head not in TIME_NOUNS:
            info.answer_type = "thing"  # "which time zone database": a database, not a time
    return info


def head_noun(question: str, nlp) -> tuple[str | None, bool]:
    """The noun the question asks for, from its tags: the last noun of the words after
    "which/what/whose" ("which single-letter tar option" -> "option", "which company funded" ->
    "company"), or of the phrase after "what is the" ("what is the strongest compression level"
    -> "level"); "" when the wh-word names no noun; None without a wh-word. With it, whether the
    noun (or the subject of "who are/were") is plural."""
    doc = nlp(question)
    if re.match(r"^(?:who|what)\s+(?:are|were)\b", question, re.IGNORECASE):
        return "", True
    for tok in doc:
        if tok.lower_ not in ("which", "what", "whose"):
            continue
        rest = doc[tok.i + 1:]
        copular = (tok.lower_ == "what" and len(rest) > 2 and rest[0].lower_ in ("is", "are", "was", "were")
                   and rest[1].lower_ in ("the", "a", "an"))
        rest = rest[2:] if copular else rest
        head, plural = "", False
        for i, nxt in enumerate(rest):
            if nxt.pos_ not in ("ADJ", "NOUN", "PROPN", "NUM") and nxt.text != "-":
                break
            if copular and head and i + 1 < len(rest) and rest[i + 1].pos_ in ("AUX", "VERB"):
                break  # "what is the largest size the tool can write": "tool" opens a relative clause
            if nxt.pos_ == "NOUN":
                head, plural = nxt.lower_, nxt.tag_ == "NNS"
        return head, plural
    return None, False


def choice_options(question: str) -> list[str]:
    """["A", "B"] for "Which is older, A or B?" / "Who was born first, A or B?"; [] otherwise."""
    q = question.strip().rstrip("?").strip()
    if not re.match(r"^(which|who|what|whose)\b", q, re.IGNORECASE) and not re.search(
        r"\b(which|who)\b.*\bor\b", q, re.IGNORECASE
    ):
        return []
    m = re.search(r"(?:,|:|\bbetween)\s*([^,:]+?)\s*,?\s+(?:or|and)\s+([^,:]+)$", q)
    if not m and _COMPARATIVE.search(q):
        # "Which band was formed first The Reeds or Night Owls": the options follow the comparative
        m = re.search(rf"\b(?:{_COMPARATIVES})\b\s+(.+?)\s+or\s+(.+)$", q, re.IGNORECASE)
    if not m:
        return []
    a, b = (_strip_option(x) for x in m.groups())
    if not a or not b or len(a.split()) > 8 or len(b.split()) > 8:
        return []
    if not re.search(r"\bor\b", q[m.start() :], re.IGNORECASE):
        return []  # "A and B" without "or" asks for something else ("what do A and B have in common")
    return [a, b]


def _strip_option(text: str) -> str:
    text = re.sub(r"^(the|a|an)\s+(?=[A-Z])", "", text.strip().strip("\"'"))
    return text.strip(" ,.;\"'")


def _wh_type(q: str) -> tuple[str, str]:
    low = q.lower()
    if re.search(r"\b(what|which|in what|in which)\s+(year|decade|century)\b", low) or re.search(
        r"\bwhat\s+year\b", low
    ):
        return "year", "year"
    if re.search(r"^when\b|\bwhen\s+(was|were|did|is|does|do|had|has)\b|\bwhen\s*\?*$", low) or re.search(
        r"\b(what|which)\s+(date|day|month|time|period|era)\b", low
    ):
        return "date", ""
    if (
        re.search(r"\bhow\s+(many|much|tall|long|high|old|far|big|large|deep|wide|heavy|often)\b", low)
        or re.search(r"\bwhat\s+(is|was)\s+the\s+(population|number|height|length|area|capacity|age)\b", low)
        or re.search(r"\b(population|number of)\b.*\?$", low)
        and re.search(r"\bwhat\b", low)
    ):
        return "number", ""
    head = _wh_words(low)
    if head:
        # the noun phrase after the wh-word ends before "is", "the", "did" ...
        head = head[: next((i for i, w in enumerate(head) if i and w in NON_NOUNS_AFTER_WH), len(head))]
        for noun in head[::-1]:
            base = noun[:-1] if noun.endswith("s") and noun[:-1] in PLACE_NOUNS + PERSON_NOUNS else noun
            if base in PLACE_NOUNS and base not in VALUE_NOUNS:  # a "port" is also a number
                return "place", base
            if base in PERSON_NOUNS:
                return "person", base
        ends = (i for i, w in enumerate(head) if w in FUNCTION_WORDS or w in MODAL_VERBS)
        head = head[: next(ends, len(head))]
        if head and head[-1] not in NON_NOUNS_AFTER_WH:  # "which compression level": the level
            return "thing", head[-1]
    if re.search(
        r"^(who|whom)\b|\b(who|whom)\s+(is|was|were|are|did|does|had|has|wrote|directed|founded)\b", low
    ) or re.match(r"^who\b", low) or re.search(r"\b(who|whom)\s*\??$", low):
        return "person", ""
    if re.search(r"^where\b|\bwhere\s+(is|was|were|are|did|does)\b|\bwhere\s*\??$", low):
        return "place", ""
    return "thing", ""


def wh_head(question: str, nlp=None) -> str:
    """The noun a "which/what" asks about ("killer" in "which American contract killer did ..."), from
    its part-of-speech tags when `nlp` is given, else by rule; "" when the
    wh-word names no noun ("what was ...", "starred in what for seven years")."""
    if nlp is None:
        return _wh_head(question)
    doc = nlp(" ".join(question.split()))
    for tok in doc:
        if tok.lower_ not in ("which", "what"):
            continue
        head = ""  # the last noun of the adjectives and nouns that follow (the tags, not the parse:
        for nxt in doc[tok.i + 1 :]:  # a small parser often hangs "which" on a preposition)
            if nxt.pos_ not in ("ADJ", "NOUN", "PROPN") and nxt.text != "-":
                break
            head = nxt.lower_ if nxt.pos_ == "NOUN" else head
        return head
    return ""


def _wh_head(q: str) -> str:
    """By rule: the last word of up to three after "which/what", before a verb-like or function word."""
    words = _wh_words(q.lower())
    ends = (i for i, w in enumerate(words) if w in NON_NOUNS_AFTER_WH or w in FUNCTION_WORDS)
    words = words[: next(ends, len(words))]
    return words[-1] if words else ""


def _wh_words(low: str) -> list[str]:
    """Up to three words after the first "which"/"what" of a lower-cased question."""
    m = re.search(r"\b(?:which|what)\s+((?:[a-z-]+\s+){0,2}[a-z-]+)\b", low)
    return m.group(1).split() if m else []


_NAME = r"[A-Z][\w'’.&!-]*(?:\s+(?:of|the|de|la|von|van|[A-Z0-9][\w'’.&!-]*))*"
_PAIR = re.compile(rf"({_NAME})\s*,?\s+and\s+(?:the\s+)?({_NAME})")


def subjects(question: str, nlp, limit: int = 3) -> list[str]:
    """The named things a question is about, in order: a coordinated pair of names ("A and B"),
    else its entities or proper-noun phrases."""
    pair = _PAIR.search(question)
    if pair:
        names = [_AUX.sub("", n).strip() for n in pair.groups()]
        if all(names):
            return names
    doc = nlp(" ".join(question.split()))
    names = [e.text for e in doc.ents if e.label_ not in ("CARDINAL", "ORDINAL", "DATE", "TIME", "QUANTITY")]
    if len(names) < 2:
        names += [nc.text for nc in doc.noun_chunks if nc.root.pos_ == "PROPN"]
    out: list[str] = []
    for n in names:
        n = re.sub(r"^(the|a|an)\s+", "", n.strip(), flags=re.IGNORECASE)
        if n and all(n.lower() not in o.lower() and o.lower() not in n.lower() for o in out):
            out.append(n)
    return out[:limit]


def is_person_noun(word: str) -> bool:
    w = word.lower()
    return w in PERSON_NOUNS or (w.endswith("s") and w[:-1] in PERSON_NOUNS)


# -- deterministic decomposition --------------------------------------------------------------
