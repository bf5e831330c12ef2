"""Linking a query's entities to graph nodes: exact (n-grams), fuzzy (rapidfuzz), embedding.

`link_query` returns scored `Link`s; `seed_weights` turns them into PageRank restart weights,
discounting nodes that occur in many chunks (HippoRAG's node specificity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from graphs.extraction import NOUN
from graphs.kg import KnowledgeGraph
from graphs.normalize import normalize

STOP = frozenset("""a an and are as at be by did do does for from has have he her his how in is it its of on
or she that the their them they this to was were what when where which who whom whose why will
with""".split())
MAX_NGRAM = 6


@dataclass(slots=True)
class Link:
    key: str
    score: float
    """Confidence in [0, 1]: 1 for exact, the rapidfuzz ratio / 100, or the cosine."""
    mention: str
    how: Literal["exact", "fuzzy", "embedding"]


def ngram_links(kg: KnowledgeGraph, text: str) -> list[Link]:
    """Every word n-gram of `text` (up to six words) that is exactly a node key."""
    words = normalize(text).split()
    out: dict[str, Link] = {}
    covered = [False] * len(words)
    for n in range(min(MAX_NGRAM, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            gram = words[i:i + n]
            if gram[0] in STOP or gram[-1] in STOP or all(covered[i:i + n]):
                continue  # longest match wins: "nolan" inside "christopher nolan" is not a seed
            key = " ".join(gram)
            if key in kg.row and key not in out:
                out[key] = Link(key, 1.0, key, "exact")
                covered[i:i + n] = [True] * n
    return list(out.values())


def fuzzy_link(kg: KnowledgeGraph, mention: str, threshold: float) -> Link | None:
    key = normalize(mention)
    if len(key) < 4 or not kg.keys:
        return None
    best = process.extractOne(key, kg.keys, scorer=fuzz.ratio, score_cutoff=threshold)
    return Link(best[0], best[1] / 100.0, mention, "fuzzy") if best else None


def embedding_links(kg: KnowledgeGraph, mentions: list[str], embedder, threshold: float) -> list[Link]:
    vectors = kg.vectors
    if vectors is None or not len(vectors) or embedder is None or not mentions:
        return []
    q = embedder.encode(mentions)
    sims = q @ vectors.T
    out = []
    for m, row in zip(mentions, sims, strict=True):
        j = int(np.argmax(row))
        if row[j] >= threshold:
            out.append(Link(kg.vector_keys[j], float(row[j]), m, "embedding"))
    return out


def link_query(kg: KnowledgeGraph, query: str, extractor=None, embedder=None) -> list[Link]:
    """Nodes the query names: exact n-grams, then fuzzy and embedding links for the query's
    named-entity mentions that matched nothing exactly."""
    s = kg.settings
    links = {lk.key: lk for lk in ngram_links(kg, query)}
    # Noun chunks ("the film") link only exactly: spelling or embedding links are for names.
    mentions = [m.text for m in extractor.mentions(query, nouns=False)] if extractor is not None else []
    unmatched = [m for m in dict.fromkeys(mentions) if normalize(m) not in kg.row]
    rest = []
    for m in unmatched:
        lk = fuzzy_link(kg, m, s.link_fuzzy_threshold)
        if lk is not None:
            links.setdefault(lk.key, lk)
        else:
            rest.append(m)
    for lk in embedding_links(kg, rest, embedder, s.link_embed_threshold):
        links.setdefault(lk.key, lk)
    return list(links.values())


Specificity = Literal["inverse", "idf", "none"]


def seed_weights(kg: KnowledgeGraph, links: list[Link], max_seeds: int, max_share: float,
                 specificity: Specificity = "idf", noun_weight: float = 0.5) -> dict[str, float]:
    """PageRank restart weights: link score x node specificity, the `max_seeds` best.

    Noun-chunk nodes count `noun_weight` times less than named entities and titles. Nodes in more
    than `max_share` of all chunks are dropped unless nothing else links.
    """
    n_chunks = max(1, len(kg.chunk_ids))
    weights: dict[str, float] = {}
    generic: dict[str, float] = {}
    for lk in links:
        df = kg.df(lk.key)
        if specificity == "inverse":
            spec = 1.0 / df
        elif specificity == "idf":
            spec = math.log(1.0 + n_chunks / df)
        else:
            spec = 1.0
        if kg.label(lk.key) == NOUN:
            spec *= noun_weight
        (generic if df > max_share * n_chunks and n_chunks >= 20 else weights)[lk.key] = lk.score * spec
    weights = weights or generic
    best = sorted(weights.items(), key=lambda kv: -kv[1])[:max_seeds]
    return dict(best)
