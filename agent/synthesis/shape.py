"""Answer shapes: is a question a factoid, a list, a comparison, or a request to explain?

Rules first (question words and the spaCy parse of the wh-phrase), because they are instant,
deterministic and right on the question forms people type:

- **compare**: "compare A and B", "how do A and B differ", "the difference(s) between A and B",
  "A versus B", "what do A and B have in common", "how is A similar to B". A choice question with
  a comparative ("which is older, A or B?") stays a factoid: its answer is one of two names.
- **explain**: "what do my notes/documents/papers say about X", "summarise/summarize/explain/
  describe X", "tell me about X", "what is known about X", "an overview of X", "what happened
  (during|in|to|at) X", "what role did X play", "why ...".
- **list**: "list/enumerate ...", "name all/the <plural> ...", a wh-determiner on a plural noun
  ("which people", "what towns", "in which papers" — spaCy tags the head noun NNS/NNPS), "which
  of the <plural> ... were", "who were/are the ...", "what are the ...".
- everything else is a **factoid** (today's path).

An explicit cue decides. When no rule fires and the LM is capable (not the embedded model),
the LM is asked once with a `Literal` choice; the embedded 0.5B model is never asked, since
its guess is worse than the default.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Literal

log = logging.getLogger(__name__)

Shape = Literal["factoid", "list", "compare", "explain"]
SHAPES: tuple[str, ...] = ("factoid", "list", "compare", "explain")

_COMPARE = re.compile(
    r"\b(compare|compared|comparing|comparison|contrast|contrasting|versus|vs\.?|differ|differs|differed|"
    r"difference|differences|different from|distinguish|similarit(?:y|ies)|similar to|alike|in common)\b",
    re.IGNORECASE,
)
_EXPLAIN_START = re.compile(
    r"^(please\s+)?(summari[sz]e|explain|describe|outline|discuss|review|tell me "
    r"(?:about|what|how)|give me an? "
    r"(?:overview|summary)|(?:an?\s+)?(?:overview|summary) of|why\b)",
    re.IGNORECASE,
)
_EXPLAIN_ANY = re.compile(
    r"\bwhat (?:do|does|did) (?:my |the |these |those |our |all )?(?:\w+ "
    r")?(?:notes?|documents?|docs|papers?|sources?|"
    r"files?|texts?|articles?|records?|corpus)\s+(?:say|tell|report|mention|show)\b|"
    r"\bwhat (?:is|was) (?:known|said|written) about\b|\bwhat happened (?:during|in|to|at|on|after)\b|"
    r"\bwhat role did\b|\bwhat (?:is|was|are|were) the (?:history|story|significance) of\b|"
    r"\bhow (?:does|did|do) .+ work\b",
    re.IGNORECASE,
)
_LIST_START = re.compile(
    r"^(please\s+)?(list|enumerate|name (?:all|every|each|some|the (?:\w+ ){0,2}\w+s\b)|"
    r"give (?:me )?(?:a list|all|every)|find all|show all)\b",
    re.IGNORECASE,
)
_LIST_ANY = re.compile(
    r"\b(?:who|what) (?:were|are) (?:the|all|some)\b|\bwhich of (?:the|these|those|my)\b.*"
    r"\b(?:were|are|have)\b|\b(?:all|every) (?:the )?\w+ (?:that|who|which)\b",
    re.IGNORECASE,
)
_WH_DET = re.compile(r"\b(which|what)\s+((?:[a-z-]+\s+){0,2}?)([a-z-]+)\b", re.IGNORECASE)
_NOT_PLURAL = {
    "is",
    "was",
    "does",
    "has",
    "us",
    "this",
    "his",
    "its",
    "as",
    "less",
    "process",
    "class",
    "business",
    "series",
    "species",
    "news",
    "physics",
    "mathematics",
    "genius",
    "status",
    "bus",
    "gas",
    "always",
    "address",
    "access",
    "success",
    "press",
    "glass",
    "analysis",
    "basis",
    "thesis",
    "crisis",
    "chess",
}
_VERBS_AFTER_WH = {
    "is",
    "was",
    "are",
    "were",
    "did",
    "does",
    "do",
    "has",
    "had",
    "of",
    "the",
    "a",
    "an",
    "year",
    "kind",
    "type",
    "sort",
}


@dataclass
class ShapeDecision:
    shape: str
    source: str
    """`rules` (a cue matched, or the default), `lm` (a capable LM chose), `forced` (--shape)."""
    cue: str = ""
    """What decided it (the matched words), for the trace."""
    sides: list[str] = field(default_factory=list)
    """For a comparison: the things compared, when the question names them ("A", "B")."""
    topic: str = ""
    """For explain: what the question is about ("the 1894 flood")."""

    def as_dict(self) -> dict:
        return {
            "shape": self.shape,
            "source": self.source,
            "cue": self.cue,
            "sides": self.sides,
            "topic": self.topic,
        }


def classify_rules(question: str, nlp=None) -> ShapeDecision | None:
    """The shape an explicit cue gives, else None (no rule fired: a factoid by default)."""
    q = " ".join(question.split()).strip()
    if not q:
        return None
    if _choice(q):
        return None  # "Which is older, A or B?": one of two names
    m = _COMPARE.search(q)
    if m and not _asks_for_one(q, m.start(), nlp):
        return ShapeDecision("compare", "rules", m.group(0).lower(), sides=compare_sides(q))
    m = _EXPLAIN_START.search(q) or _EXPLAIN_ANY.search(q)
    if m:
        return ShapeDecision("explain", "rules", m.group(0).lower(), topic=explain_topic(q))
    m = _LIST_START.search(q) or _LIST_ANY.search(q)
    if m:
        return ShapeDecision("list", "rules", m.group(0).lower())
    plural = plural_wh_noun(q, nlp)
    if plural:
        return ShapeDecision("list", "rules", plural)
    return None


def _asks_for_one(question: str, cue_at: int, nlp) -> bool:
    """The question opens by asking for one thing ("Which survey ship was used to compare
    A and B?": a singular noun after "which/what"), and the comparison word comes after it, in a
    clause that says what the thing was for: the answer is that one thing, not a comparison."""
    if nlp is None or not re.match(r"(?i)(which|what)\s", question):
        return False
    from agent.reading.question import head_noun  # spaCy's tags; the reading package's own parse

    head, plural = head_noun(question, nlp)
    if not head or plural or _COMPARE.fullmatch(head):
        return False
    at = question.lower().find(head)
    return 0 <= at < cue_at


def classify(question: str, forced: str = "auto", nlp=None, ask_lm=None) -> ShapeDecision:
    """The question's shape: `forced` when not "auto", else the rules, else `ask_lm(question)`
    (a capable LM's choice; pass None for the embedded model), else factoid."""
    if forced and forced != "auto":
        if forced not in SHAPES:
            raise ValueError(f"unknown answer shape {forced!r}: choose one of auto, {', '.join(SHAPES)}")
        q = " ".join(question.split())
        return ShapeDecision(
            forced,
            "forced",
            sides=compare_sides(q) if forced == "compare" else [],
            topic=explain_topic(q) if forced == "explain" else "",
        )
    decision = classify_rules(question, nlp)
    if decision is not None:
        return decision
    if ask_lm is not None:
        try:
            shape = ask_lm(question)
        except Exception as exc:  # noqa: BLE001 - a failed opinion is no opinion
            log.info("shape: the LM's opinion failed (%s); rules decide", exc)
            shape = None
        q = " ".join(question.split())
        sides = compare_sides(q) if shape == "compare" else []
        if shape == "compare" and len(sides) < 2:  # checked: a comparison names what it compares
            return ShapeDecision("factoid", "rules", "the LM chose compare; the question names no two sides")
        if shape in SHAPES:
            return ShapeDecision(shape, "lm", "the LM's choice", sides=sides,
                                 topic=explain_topic(q) if shape == "explain" else "")
    return ShapeDecision("factoid", "rules", "no list, comparison or summary cue")


def plural_wh_noun(question: str, nlp=None) -> str:
    """ "which people" when a wh-determiner modifies a plural noun, else ""; the spaCy parse
    decides when `nlp` is given, a suffix rule otherwise."""
    if nlp is not None:
        # The noun phrase right after the wh-word ("which shipbuilding and boatbuilding firms"):
        # its last noun is the head. The small English model often attaches "which" elsewhere,
        # so the phrase is read from the tags, not from the dependency arcs.
        doc = nlp(question)
        for tok in doc:
            if tok.lower_ not in ("which", "what") or tok.tag_ != "WDT":
                continue
            head = None
            for nxt in doc[tok.i + 1 :]:
                if nxt.tag_ in ("NN", "NNS", "NNP", "NNPS"):
                    head = nxt
                elif nxt.tag_ not in ("JJ", "JJR", "JJS", "VBG", "VBN", "CC", "HYPH", ","):
                    break
            if head is not None and head.tag_ in ("NNS", "NNPS") and head.lower_ not in _NOT_PLURAL:
                return f"{tok.text} {head.text}".lower()
            return ""
        return ""
    for m in _WH_DET.finditer(question):
        words = (m.group(2) + m.group(3)).lower().split()
        if words[0] in _VERBS_AFTER_WH:
            continue
        head = words[-1]
        if (
            head.endswith("s")
            and not head.endswith(("ss", "us", "is"))
            and head not in _NOT_PLURAL
            or head in ("people", "men", "women", "children")
        ):
            return f"{m.group(1)} {' '.join(words)}".lower()
        break
    return ""


def compare_sides(question: str) -> list[str]:
    """The two (or more) things a comparison names: "between A and B", "A and B differ",
    "compare A with/and/to B", "A versus B"; [] when they cannot be told apart."""
    q = question.strip().rstrip("?.!").strip()
    patterns = [
        r"\bbetween\s+(.+?)\s+and\s+(.+?)(?:\s+(?:in|on|regarding|as to|with respect to)\b.*)?$",
        r"\bcompare\s+(.+?)\s+(?:and|with|to|against)\s+(.+?)(?:\s+(?:in|on|regarding)\b.*)?$",
        (
            r"^(?:how|in what ways?|in which "
            r"ways?)\s+(?:do|does|did|is|are|was|were)\s+(.+?)\s+(?:and|from)\s+(.+?)\s+"
            r"(?:differ|compare|contrast|resemble|relate)\b.*$"
        ),
        r"^(?:how|in what ways?)\s+(?:is|was|are|were)\s+(.+?)\s+(?:different from|similar to|like)\s+(.+)$",
        r"^what\s+(?:do|did|does)\s+(.+?)\s+and\s+(.+?)\s+have in common\b.*$",
        r"^(.+?)\s+(?:versus|vs\.?)\s+(.+)$",
    ]
    for pattern in patterns:
        m = re.search(pattern, q, re.IGNORECASE)
        if m:
            sides = [_clean_side(s) for s in m.groups()]
            if all(sides) and all(len(s.split()) <= 8 for s in sides):
                return sides
    return []


def explain_topic(question: str) -> str:
    """What an explain question is about: the words after "about"/"of"/the verb, else the question."""
    q = question.strip().rstrip("?.!").strip()
    for pattern in (
        r"\babout\s+(.+)$",
        (
            r"\b(?:happened|overview|summary|history|story|significance)\s+"
            r"(?:during|in|to|at|on|of)\s+(.+)$"
        ),
        r"^(?:please\s+)?(?:summari[sz]e|explain|describe|outline|discuss|review)\s+(.+)$",
        r"\bwhat role did\s+(.+?)\s+play\b",
    ):
        m = re.search(pattern, q, re.IGNORECASE)
        if m:
            return _clean_side(m.group(1))
    return q


def _clean_side(text: str) -> str:
    text = re.sub(r"^(?:the|a|an)\s+", "", text.strip(" ,;:\"'"), flags=re.IGNORECASE)
    text = re.sub(r"\s+(?:differ|compare|in|as)$", "", text, flags=re.IGNORECASE)
    return text.strip(" ,;:\"'")


def _choice(q: str) -> bool:
    """A choice between named options with a comparative ("which is older, A or B")."""
    if not re.search(r"\bor\b", q, re.IGNORECASE) or not re.match(
        r"^(which|who|what|whose|is|was|are|were|did|does)\b", q, re.IGNORECASE
    ):
        return False
    return bool(
        re.search(
            r"\b(\w+er|\w+est|more|less|most|least|first|last|earlier|later|older|younger)\b",
            q,
            re.IGNORECASE,
        )
        and re.search(r",\s*[^,]+\s+or\s+[^,]+\??$", q)
    )
