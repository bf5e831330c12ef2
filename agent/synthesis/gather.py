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
from dataclasses import dataclass, field

import numpy as np

from agent.synthesis.shape import ShapeDecision
from agent.synthesis.support import content_words
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
MAX_DOCS = {"list": 8, "explain": 6, "compare": 4}
MARGIN = 0.25
"""A document is kept when its best sentence scores at least the best document's minus this."""
MIN_COVERAGE = 0.5
"""Share of the question's key words (stemmed) that a kept document's best sentence (with its title) must hold."""
SENTENCES_PER_DOC = {"list": 1, "explain": 2, "compare": 2}
FRAME_WORDS = frozenset(content_words("""which what who list name names enumerate compare comparison compared contrast
differ differs difference differences distinguish similar similarity similarities common versus summarise summarize
summary explain describe description outline discuss overview tell know known say says said mention mentions
document documents doc docs note notes paper papers source sources file files text texts article articles record
records corpus happened role play played history story significance people person persons"""))


@dataclass
class DocGroup:
    """The evidence of one document: its best sentences for the question, best first."""

    doc_id: str
    title: str
    hits: dict[str, Hit]
    sentences: list = field(default_factory=list)
    score: float = 0.0
    coverage: float = 0.0
    side: str = ""
    """For a comparison: the side this document is about."""


def key_terms(question: str, decision: ShapeDecision) -> set[str]:
    """The stemmed words a relevant sentence should hold: the question's content words without
    the words that only frame it ("which people", "what do the documents say about")."""
    if decision.shape == "compare" and decision.sides:
        return set().union(*(content_words(s) for s in decision.sides))
    text = decision.topic if decision.shape == "explain" and decision.topic else question
    words = content_words(text) - FRAME_WORDS
    target = decision.cue.split()[-1] if decision.shape == "list" and decision.cue.startswith(("which ", "what ")) \
        else ""
    return words - content_words(target) if target else words


def coverage(terms: set[str], text: str) -> float:
    return len(terms & content_words(text)) / len(terms) if terms else 1.0


def gather(question: str, decision: ShapeDecision, search: Callable[..., list[Hit]], ranker, *,
           has_graph: bool = False, over_budget: Callable[[], bool] = lambda: False) -> list[DocGroup]:
    """The documents a synthesis lines up, best first (see the module docstring)."""
    from agent.reading.evidence import passage_sentences

    first = "hybrid_graph_search" if has_graph else "hybrid_search"
    rankings = [search(first, query=question, k=BROAD_K)]
    extra = list(decision.sides) if decision.shape == "compare" else (
        [decision.topic] if decision.shape == "explain" and decision.topic and decision.topic != question else [])
    for query in extra:
        if over_budget():
            break
        rankings.append(search("hybrid_search", query=query, k=SIDE_K if decision.shape == "compare" else BROAD_K))
    fused = rrf([r for r in rankings if r], k=60, name="synthesis")[:CANDIDATES] if any(rankings) else []
    if not fused:
        return []
    pool = [s for h in fused for s in passage_sentences(h) if len(s.text) > 3]
    scored = ranker.score(question, pool)
    groups: dict[str, DocGroup] = {}
    for h in fused:
        groups.setdefault(h.doc_id, DocGroup(h.doc_id, h.title, {})).hits[h.chunk_id] = h
    for s in sorted(scored, key=lambda s: -s.score):
        groups[s.doc_id].sentences.append(s)
    terms = key_terms(question, decision)
    for g in groups.values():
        if g.sentences:
            g.score = g.sentences[0].score
            g.coverage = max(coverage(terms, f"{g.title}. {s.text}") for s in g.sentences[:3])
            g.sentences.sort(key=lambda s: (-coverage(terms, f"{g.title}. {s.text}"), -s.score))
    ordered = sorted((g for g in groups.values() if g.sentences), key=lambda g: -g.score)
    if decision.shape == "compare" and decision.sides:
        return _compare_groups(ordered, decision.sides, ranker)
    top = ordered[0].score if ordered else 0.0
    kept = [g for g in ordered if g.score >= top - MARGIN and g.coverage >= MIN_COVERAGE]
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


def _compare_groups(ordered: list[DocGroup], sides: list[str], ranker) -> list[DocGroup]:
    """For each side, the document most about it (its title and best sentences name it); then the
    best remaining document that names two sides, if any."""
    out: list[DocGroup] = []
    for side in sides:
        terms = content_words(side)
        best = max((g for g in ordered if g not in out),
                   key=lambda g: (coverage(terms, g.title), max(coverage(terms, s.text) for s in g.sentences[:3]),
                                  g.score), default=None)
        if best is not None and (coverage(terms, best.title) > 0 or any(coverage(terms, s.text) >= MIN_COVERAGE
                                                                        for s in best.sentences[:3])):
            best.side = side
            best.sentences.sort(key=lambda s: (-coverage(terms, s.text), -s.score))
            out.append(best)
    both = [g for g in ordered if g not in out and
            sum(any(coverage(content_words(side), s.text) >= MIN_COVERAGE for s in g.sentences[:3]) for side in sides)
            >= 2]
    return out + both[:1]
