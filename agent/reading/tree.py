"""The query tree of a compositional question, from its spaCy parse.

"On which river lies the birthplace of the designer of the Verrin lighthouse?" is taken apart into
"Who is the designer of the Verrin lighthouse?" -> "What is the birthplace of #1?" -> "On which
river lies #2?": each relational noun phrase becomes a sub-question whose answer replaces it
(`#n`). `unsound_hop` says when a chain asks nothing a passage could answer, so that the whole
question is read instead.
"""

from __future__ import annotations

import re

from agent.reading.bridge import MODIFIER_DEPS, bridge, relative
from agent.reading.lexicon import RELATION_NOUNS, WH_WORDS
from agent.reading.question import is_person_noun

_RELATIONAL_DEPS = {"nsubj", "nsubjpass", "dobj", "pobj", "attr", "dative", "oprd", "appos", "npadvmod"}


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
    ("Night Shift; Day Watch"): the parse neither splits a question at a title's own punctuation
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
        self.wh = [t.i for t in doc if t.lower_ in WH_WORDS and not relative(t)]
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
        return tok.dep_ in MODIFIER_DEPS and (tok.i > self.end or not any(True for _ in tok.children))

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
        return (of and role) or any(c.dep_ in MODIFIER_DEPS and not self._dangling(c) for c in tok.children)

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


def _refs(text: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"#(\d+)", text)})
