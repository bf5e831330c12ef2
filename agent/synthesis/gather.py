"""Broad, diversified evidence for a synthesis: many hits, grouped by document, chosen by MMR.

A list, comparison or summary needs several documents, not the one passage that best matches
the question. `gather` searches with the question (and, for a comparison, with each side; for a
summary, with its topic) at a larger depth, fuses the rankings by reciprocal rank, scores every
sentence of the candidate passages against the question (MiniLM cosine plus a small bonus for
shared words: `agent.reading.evidence.SentenceRanker`), groups the sentences by document, and
picks documents by maximal marginal relevance over the embeddings of their best sentences, so
that five passages of one document do not crowd out the others. A document is kept only when
its best sentence is close to the best document's score and contains enough of the question's
key words (`MARGIN`, `MIN_COVERAGE`, tuned on the demo TRAIN open questions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from agent.synthesis.shape import ShapeDecision
from agent.synthesis.support import content_words, names, numbers
from tools.fusion import rrf
from tools.types import Hit

BROAD_K = 20
"""Hits per search (the factoid path uses 5)."""
SIDE_K = 6
"""Hits per search for each side of a comparison."""
CANDIDATES = 30
"""Fused passages whose sentences are scored."""
MMR_LAMBDA = 0.7
"""Relevance against novelty when picking documents (1.0 = relevance only)."""
MAX_DOCS = {"list": 8, "explain": 8, "compare": 4}
MARGIN = 0.4
"""A document is kept when its best fitting sentence scores at least the best document's minus this
(the lexical fit is the main gate; this only cuts the long tail)."""
MIN_COVERAGE = 0.5
"""Share of the question's key words (stemmed) that a kept document's best sentence (with its
title) must hold."""
SENTENCES_PER_DOC = {"list": 1, "explain": 2, "compare": 2}
FRAME_WORDS = frozenset(
    content_words("""which what who list name names enumerate compare comparison compared
contrast differ differs
difference differences distinguish similar similarity similarities common versus summarise
summarize summary explain describe description outline discuss overview tell know known say says
said mention mentions document documents doc docs note notes paper papers source sources file
files text texts article articles record records corpus happened role play played history story
significance people person persons""")
)


@dataclass
class Terms:
    """What a relevant sentence should hold: the question's names (capitalised words, numbers)
    and its other content words (the relation asked about: "born", "build", "died")."""

    names: set[str] = field(default_factory=set)
    relation: set[str] = field(default_factory=set)

    @property
    def all(self) -> set[str]:
        return self.names | self.relation


@dataclass
class DocGroup:
    """The evidence of one document: its best sentences for the question, best first."""

    doc_id: str
    title: str
    hits: dict[str, Hit]
    sentences: list = field(default_factory=list)
    score: float = 0.0
    fit: float = 0.0
    side: str = ""
    """For a comparison: the side this document is about."""


def key_terms(question: str, decision: ShapeDecision) -> Terms:
    """The stemmed words a relevant sentence should hold, without the words that only frame the
    question ("which people", "what do the documents say about")."""
    if decision.shape == "compare" and decision.sides:
        return Terms(names=set().union(*(content_words(s) for s in decision.sides)))
    text = decision.topic if decision.shape == "explain" and decision.topic else question
    target = (
        decision.cue.split()[-1]
        if decision.shape == "list" and decision.cue.startswith(("which ", "what "))
        else ""
    )
    words = content_words(text) - FRAME_WORDS - content_words(target)
    named = {w for w in words if w in content_words(" ".join(names(text)))} | numbers(text)
    if decision.shape == "explain":
        return Terms(names=words | numbers(text))  # a topic: its words, in the sentence or the title
    return Terms(names=named, relation=words - named)


def coverage(terms: set[str], text: str) -> float:
    return len(terms & (content_words(text) | numbers(text))) / len(terms) if terms else 1.0


def fit(terms: Terms, title: str, sentence: str, before: str = "") -> float:
    """How well a sentence answers: the relation's words must be in the sentence itself, the
    names may be in its title, or in the sentence before it when the sentence names nothing of
    its own (0 when either half is under `MIN_COVERAGE`, else the mean coverage)."""
    rel = coverage(terms.relation, sentence) if terms.relation else 1.0
    own = {n for n in names(sentence) if n not in title.lower()}
    # "He died there in 1934" borrows its place from the sentence before; "She was born in Highbridge"
    # names its own, so a "Caskwell" earlier in the passage does not count for it.
    context = f"{title}. {sentence}" if own else f"{title}. {before} {sentence}"
    if {t for t in terms.names if t[:1].isdigit()} - numbers(context):
        return 0.0  # a year or number the question names must be there
    named = coverage(terms.names, context) if terms.names else 1.0
    return 0.0 if rel < MIN_COVERAGE or named < MIN_COVERAGE else (rel + named) / 2


def candidate_sentences(hits: list[Hit]) -> list:
    """Sentences of the passages, without the title line a passage starts with and without the
    repeats that overlapping chunks share; each remembers the sentence before it (`context`)."""
    from agent.reading.evidence import passage_sentences  # heavy: imports spaCy (seconds)

    out, seen = [], set()
    for h in hits:
        before = ""
        for s in passage_sentences(h):
            text = _strip_title(" ".join(s.text.split()), h.title)
            key = (h.doc_id, text.lower())
            if len(text.split()) >= 4 and key not in seen:
                seen.add(key)
                out.append(replace(s, text=text, context=before))
            before = text or before
    return out


def _strip_title(text: str, title: str) -> str:
    """ "# Title Body ..." or "Title Body ..." (a heading glued to the first sentence) -> "Body ..."."""
    for prefix in (f"# {title}", title):
        if title and text.startswith(prefix) and len(text) > len(prefix) + 1:
            rest = text[len(prefix) :].lstrip()
            if rest[:1].isupper():
                return (
                    _strip_title(rest, title)
                    if rest.startswith(title)
                    and rest[len(title) : len(title) + 1] == " "
                    and rest[len(title) + 1 : len(title) + 2].isupper()
                    else rest
                )
    return "" if text in (title, f"# {title}") else text


def gather(
    question: str,
    decision: ShapeDecision,
    search: Callable[..., list[Hit]],
    ranker,
    *,
    has_graph: bool = False,
    over_budget: Callable[[], bool] = lambda: False,
) -> list[DocGroup]:
    """The documents a synthesis lines up, best first (see the module docstring)."""
    first = "hybrid_graph_search" if has_graph else "hybrid_search"
    rankings = [search(first, query=question, k=BROAD_K)]
    extra = (
        list(decision.sides)
        if decision.shape == "compare"
        else (
            [decision.topic]
            if decision.shape == "explain" and decision.topic and decision.topic != question
            else []
        )
    )
    for query in extra:
        if over_budget():
            break
        rankings.append(
            search("hybrid_search", query=query, k=SIDE_K if decision.shape == "compare" else BROAD_K)
        )
    fused = rrf([r for r in rankings if r], k=60, name="synthesis")[:CANDIDATES] if any(rankings) else []
    if not fused:
        return []
    scored = ranker.score(question, candidate_sentences(fused))
    groups: dict[str, DocGroup] = {}
    for h in fused:
        groups.setdefault(h.doc_id, DocGroup(h.doc_id, h.title, {})).hits[h.chunk_id] = h
    terms = key_terms(question, decision)
    for s in scored:
        groups[s.doc_id].sentences.append(s)
    for g in groups.values():
        fits = {id(s): fit(terms, g.title, s.text, s.context) for s in g.sentences}
        g.sentences.sort(key=lambda s: (-(fits[id(s)] > 0), -s.score))
        if g.sentences:
            g.fit = fits[id(g.sentences[0])]
            g.score = g.sentences[0].score
    ordered = sorted((g for g in groups.values() if g.sentences), key=lambda g: -g.score)
    if decision.shape == "compare" and decision.sides:
        return _compare_groups(ordered, decision.sides)
    fitting = [g for g in ordered if g.fit > 0]
    if decision.shape == "list" and terms.names:
        # The documents about the question's own subject ("Anhalt & Sons" for "which vessels did
        # Anhalt & Sons build?") give context, not items.
        fitting = [g for g in fitting if not content_words(g.title) <= terms.names] or fitting
    top = fitting[0].score if fitting else 0.0
    kept = [g for g in fitting if g.score >= top - MARGIN]
    return mmr(kept, ranker, MAX_DOCS.get(decision.shape, 6))


def mmr(groups: list[DocGroup], ranker, limit: int, lam: float = MMR_LAMBDA) -> list[DocGroup]:
    """Maximal marginal relevance over the embeddings of each document's best sentence."""
    if len(groups) <= 1:
        return groups[:limit]
    vecs = ranker.vectors([f"{g.title}. {g.sentences[0].text}" for g in groups])
    rel = np.array([g.score for g in groups], dtype=np.float32)
    chosen: list[int] = []
    left = list(range(len(groups)))
    while left and len(chosen) < limit:
        if chosen:
            redundancy = (vecs[left] @ vecs[chosen].T).max(axis=1)
            gains = lam * rel[left] - (1 - lam) * redundancy
        else:
            gains = rel[left]
        best = left[int(np.argmax(gains))]
        chosen.append(best)
        left.remove(best)
    return [groups[i] for i in chosen]


def _compare_groups(ordered: list[DocGroup], sides: list[str]) -> list[DocGroup]:
    """For each side, the document most about it (its title and best sentences name it); then the
    best remaining document whose sentences name every side, if any."""
    out: list[DocGroup] = []
    for side in sides:
        terms = content_words(side)
        best = max(
            (g for g in ordered if g not in out),
            key=lambda g: (
                coverage(terms, g.title),
                max(coverage(terms, s.text) for s in g.sentences[:3]),
                g.score,
            ),
            default=None,
        )
        if best is not None and (
            coverage(terms, best.title) > 0
            or any(coverage(terms, s.text) >= MIN_COVERAGE for s in best.sentences[:3])
        ):
            best.side = side
            best.sentences.sort(key=lambda s: (-coverage(terms, s.text), -s.score))
            out.append(best)
    both = [
        g
        for g in ordered
        if g not in out
        and any(all(coverage(content_words(side), s.text) == 1.0 for side in sides) for s in g.sentences[:3])
    ]
    for g in both[:1]:
        g.sentences.sort(
            key=lambda s: (-sum(coverage(content_words(side), s.text) for side in sides), -s.score)
        )
    return out + both[:1]
