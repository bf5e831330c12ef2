"""What a question asks for, read by code: its form, the type of answer it expects, the options it
offers, and (for compositional questions) the chain of simpler questions behind it.

The embedded 0.5B model rarely writes a query tree, so "the river of the birthplace of the designer
of X" is taken apart here from the spaCy parse: each relational noun phrase ("the designer of X",
"the film that was shot in Leland") becomes a sub-question whose answer replaces it (`#1`).
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
    RELATION_NOUNS,
    TIME_NOUNS,
    WH_WORDS,
)

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

    def as_dict(self) -> dict:
        return {
            "form": self.form,
            "answer_type": self.answer_type,
            "target": self.target,
            "options": self.options,
            "subjects": self.subjects,
            "many": self.many,
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
        if head in PLACE_NOUNS or head.removesuffix("s") in PLACE_NOUNS:
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
        if (tok.lower_ == "what" and len(rest) > 2 and rest[0].lower_ in ("is", "are", "was", "were")
                and rest[1].lower_ in ("the", "a", "an")):
            rest = rest[2:]
        head, plural = "", False
        for nxt in rest:
            if nxt.pos_ not in ("ADJ", "NOUN", "PROPN", "NUM") and nxt.text != "-":
                break
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
        # "Which band was formed first The Exies or Circus Diablo": the options follow the comparative
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
            if base in PLACE_NOUNS:
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
_RELATIONAL_DEPS = {"nsubj", "nsubjpass", "dobj", "pobj", "attr", "dative", "oprd", "appos", "npadvmod"}
_MODIFIER_DEPS = {"relcl", "acl"}


def decompose(question: str, nlp, max_nodes: int = 4) -> list[tuple[str, list[int]]]:
    """The chain of simpler questions behind a compositional question, innermost first, each with
    the sub-questions it depends on (`#n` in its text); [] when the question is not compositional.

    "On which river lies the birthplace of the designer of the Verrin lighthouse?" ->
    [("Who is the designer of the Verrin lighthouse?", []), ("What is the birthplace of #1?", [1]),
     ("On which river lies #2?", [2])]
    """
    text = " ".join(question.split())
    chain = _Chain(parse_titles(nlp, text), max_nodes).plan()
    if chain:
        return chain
    from agent.reading.bridge import bridge  # it imports `_relative` from this module

    split = bridge(parse_titles(nlp, text))
    if split is None:
        return []
    outer, inner = split
    nodes = _Chain(parse_titles(nlp, outer), max_nodes - 1).plan() or [(outer, [])]
    return [*nodes, (inner.replace("#1", f"#{len(nodes)}"), [len(nodes)])]


def unsound_hop(chain: list[tuple[str, list[int]]], nlp) -> str:
    """Why a parsed chain makes no sense as a query tree ("" when it does): a hop before the last
    must name something to search for (a proper name, a number, a quoted title, an identifier
    such as `--auto` or `json.dumps`, or an earlier hop's answer) and no pronoun, whose antecedent
    is in another hop ("What is the program it runs?" or "Which command line file names?" asks
    nothing a passage could answer)."""
    for text, deps in chain[:-1]:
        doc = nlp(re.sub(r"#\d+", "", text))
        if any(t.tag_ in ("PRP", "PRP$") for t in doc):
            return f"the sub-question {text!r} has a pronoun whose antecedent it does not carry"
        named = deps or any(t.pos_ in ("PROPN", "NUM") or t.like_num or re.search(r"\w[-_.]\w|^-", t.text)
                            for t in doc) or any(q in text for q in _QUOTES)
        if not named:
            return f"the sub-question {text!r} names nothing to search for"
    return ""


_QUOTES = frozenset('"“”„')


def parse_titles(nlp, text: str):
    """`text` parsed, with each quoted title of two or more tokens merged into one proper-noun token
    ("Act of War; Direct Action"): the parse neither splits a question at a title's own punctuation
    nor finds "the X of Y" phrases inside it. The merged token keeps the place in the tree of the
    title's first word that hangs outside it."""
    doc = nlp(text)
    spans, opened = [], None
    for tok in doc:
        if tok.text not in _QUOTES:
            continue
        if opened is None:
            opened = tok.i
            continue
        if tok.i - opened > 2:
            spans.append((opened, tok.i))
        opened = None
    if not spans:
        return doc
    for a, b in spans:
        outside = [t for t in doc[a + 1 : b] if not t.is_punct and not a <= t.head.i <= b]
        root = outside[0] if outside else doc[a + 1]
        for tok in doc[a : b + 1]:
            if tok.i != root.i:
                tok.head = root  # the span's root is the token the merge keeps the head of
    with doc.retokenize() as retok:
        for a, b in spans:
            retok.merge(doc[a : b + 1], attrs={"POS": "PROPN", "TAG": "NNP"})
    return doc


class _Chain:
    """Finds the relational noun phrases of one parsed question and turns each into a sub-question."""

    def __init__(self, doc, max_nodes: int):
        self.doc = doc
        self.max_nodes = max_nodes
        self.wh = [t.i for t in doc if t.lower_ in WH_WORDS and not _relative(t)]
        self.nodes: list[tuple[str, list[int]]] = []
        self.end = self._predicate_start()

    def _predicate_start(self) -> int:
        """The last token that may belong to a noun phrase: the question's own predicate often
        ends it ("... was the designer of X born?"), and a small parser hangs it inside the last
        noun phrase; it never belongs to a sub-question."""
        doc, end = self.doc, len(self.doc) - 1
        while end > 0 and (doc[end].is_punct or doc[end].lower_ in ("today", "now", "currently", "nowadays")):
            end -= 1
        while end > 0 and doc[end].pos_ in ("ADP", "PART", "ADV"):  # "born in?", "come from?"
            end -= 1
        do_support = any(t.lower_ in ("do", "does", "did") for t in doc[:end])
        if _own_clause(doc[end]):
            return end  # "the town where X was born?": the verb ends a relative clause, not the question
        if doc[end].pos_ in ("VERB", "AUX") or (do_support and doc[end].pos_ in ("NOUN", "ADJ")):
            end -= 1  # "... born?", "did the bridge ... open?"
        return end

    def plan(self) -> list[tuple[str, list[int]]]:
        last = len(self.doc) - 1
        if not self.wh:
            return []  # no question word but relative pronouns: nothing to ask of a chain
        swaps = self._plan(0, last)
        if not self.nodes:
            return []
        final = self._render(0, last, swaps)
        final = final if final.endswith("?") else final.rstrip(".") + "?"
        deps = _refs(final)
        if not deps or re.fullmatch(r"#\d+\??", final.strip()):
            return []
        if re.search(r"(?i)\b(do|does|did)\s+#\d+\s*\??$", final):
            return []  # "At which college did #1?": the parse swallowed the verb
        if re.fullmatch(r"(?i)(what|who) (is|was|are|were) (the (full |real )?name of )?#\d+\s*\??", final):
            return self.nodes if len(self.nodes) > 1 else []  # "What is the name of #2?": #2 answers it
        return [*self.nodes, (final, deps)]

    def _dangling(self, tok) -> bool:
        return tok.dep_ in _MODIFIER_DEPS and (tok.i > self.end or not any(True for _ in tok.children))

    def _bounds(self, tok) -> tuple[int, int]:
        right = tok.i
        for c in tok.children:
            if c.i > tok.i and not self._dangling(c):
                right = max(right, min(self._bounds(c)[1], self.end))
        return tok.left_edge.i, right

    def _relational(self, tok) -> bool:
        """A definite common-noun phrase that names something by its relation to something else:
        "the designer of X" (a role or relation noun with "of"), "the film that was shot in Y"."""
        if tok.pos_ != "NOUN" or tok.dep_ not in _RELATIONAL_DEPS:
            return False
        if tok.dep_ == "pobj" and tok.head.lower_ == "as":
            return False  # "resigned as the president of X": a role, not a thing to look up
        a, b = self._bounds(tok)
        if any(a <= w <= b for w in self.wh):
            return False
        definite = any(c.dep_ in ("det", "poss") and c.lower_ not in WH_WORDS for c in tok.children)
        if not definite:
            return False
        of = any(c.dep_ == "prep" and c.lower_ == "of" and any(g.dep_ == "pobj" for g in c.children)
                 for c in tok.children)
        role = is_person_noun(tok.text) or tok.lower_ in RELATION_NOUNS
        return (of and role) or any(c.dep_ in _MODIFIER_DEPS and not self._dangling(c) for c in tok.children)

    def _render(self, lo: int, hi: int, swaps: dict[tuple[int, int], str]) -> str:
        parts, i = [], lo
        while i <= hi:
            span = next(((a, b) for (a, b) in swaps if a == i), None)
            if span is None:
                parts.append(self.doc[i].text_with_ws)
                i += 1
                continue
            parts.append(swaps[span] + self.doc[span[1]].whitespace_)
            i = span[1] + 1
        return "".join(parts).strip()

    def _ask_of(self, tok, a: int, b: int, swaps: dict[tuple[int, int], str]) -> str:
        """The sub-question for the phrase a..b headed by `tok`: "Which shipyard built X?" for "the
        shipyard that built X", "X founded which shipyard?" for "the shipyard that X founded", "X was
        born in which town?" for "the town where X was born", else "What is <phrase>?" / "Who is
        <phrase>?"."""
        rel = next((c for c in tok.children if c.dep_ == "relcl" and a <= c.left_edge.i <= b), None)
        pron = self.doc[rel.left_edge.i] if rel is not None else None
        det = next((c for c in tok.children if c.dep_ == "det" and c.i == a), None)
        if pron is not None and det is not None and pron.lower_ in ("where", "when") and pron.i > tok.i:
            noun = self._render(a + 1, pron.i - 1, swaps).rstrip(" ,")
            rest = self._render(pron.i + 1, min(rel.right_edge.i, b), swaps)
            return f"{rest} in which {noun}?"  # "the town where X was born": "X was born in which town?"
        if pron is None or det is None or pron.lower_ not in ("that", "which", "who") or pron.i <= tok.i:
            pron = None
        if pron is None or pron.dep_ not in ("nsubj", "nsubjpass", "dobj"):
            return f"{'Who' if is_person_noun(tok.text) else 'What'} is {self._render(a, b, swaps)}?"
        noun = self._render(a + 1, pron.i - 1, swaps).rstrip(" ,")
        rest = self._render(pron.i + 1, min(rel.right_edge.i, b), swaps)
        if pron.dep_ in ("nsubj", "nsubjpass"):  # the noun does what the clause says
            who = "Who" if tok.lower_ in ("man", "woman", "person", "people") else f"Which {noun}"
            return f"{who} {rest}?"
        return f"{rest} which {noun}?"  # "the shipyard that X founded": the clause does it to the noun

    def _plan(self, lo: int, hi: int, exclude_root: int | None = None) -> dict[tuple[int, int], str]:
        """Sub-questions for the relational phrases inside tokens lo..hi (outermost found first,
        innermost planned first); returns the spans to replace with `#n`."""
        swaps: dict[tuple[int, int], str] = {}
        i = lo
        while i <= hi:
            tok = self.doc[i]
            a, b = self._bounds(tok)
            if tok.i == exclude_root or not (lo <= a and b <= hi) or not self._relational(tok):
                i += 1
                continue
            inner = self._plan(a, b, exclude_root=tok.i)
            if len(self.nodes) >= self.max_nodes - 1:
                return swaps
            text = self._ask_of(tok, a, b, inner)
            self.nodes.append((text, _refs(text)))
            swaps[(a, b)] = f"#{len(self.nodes)}"
            i = b + 1
        return swaps


def _own_clause(tok) -> bool:
    """`tok` heads a relative clause with a relative word and a subject of its own ("the town
    *where* X was born"), not the question's predicate that the parser hung on a noun phrase."""
    return (tok.dep_ in ("relcl", "acl") and tok.left_edge.lower_ in ("where", "when", "that", "which", "who")
            and any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.children))


def _relative(tok) -> bool:
    """A relative pronoun ("the chancellor *who* presented ..."), not a question word."""
    return any(a.dep_ in _MODIFIER_DEPS and a.left_edge.i == tok.i for a in tok.ancestors)


def _refs(text: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"#(\d+)", text)})
