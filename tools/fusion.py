"""Rank fusion: pure functions over ranked hit lists."""

from __future__ import annotations

from collections.abc import Sequence

from tools.types import Hit


def rrf(rankings: Sequence[Sequence[Hit]], k: int = 60, weights: Sequence[float] | None = None,
        name: str = "hybrid") -> list[Hit]:
    """Reciprocal rank fusion (Cormack et al. 2009): score = sum_i w_i / (k + rank_i)."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    first: dict[str, Hit] = {}
    ranks: dict[str, dict[str, int]] = {}
    for w, ranking in zip(weights, rankings, strict=True):
        for rank, hit in enumerate(ranking, 1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + w / (k + rank)
            first.setdefault(hit.chunk_id, hit)
            ranks.setdefault(hit.chunk_id, {})[hit.retriever] = rank
    return _emit(scores, first, ranks, name)


def _minmax(values: list[float]) -> list[float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        return [1.0 for _ in values]
    return [(v - lo) / (hi - lo) for v in values]


def weighted(rankings: Sequence[Sequence[Hit]], weights: Sequence[float], name: str = "hybrid") -> list[Hit]:
    """Weighted sum of min-max normalised scores; a list missing a hit contributes 0."""
    scores: dict[str, float] = {}
    first: dict[str, Hit] = {}
    ranks: dict[str, dict[str, int]] = {}
    for w, ranking in zip(weights, rankings, strict=True):
        if not ranking:
            continue
        for rank, (hit, norm) in enumerate(zip(ranking, _minmax([h.score for h in ranking]), strict=True), 1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + w * norm
            first.setdefault(hit.chunk_id, hit)
            ranks.setdefault(hit.chunk_id, {})[hit.retriever] = rank
    return _emit(scores, first, ranks, name)


def _emit(scores: dict[str, float], first: dict[str, Hit], ranks: dict[str, dict[str, int]],
          name: str) -> list[Hit]:
    out = []
    for cid in sorted(scores, key=lambda c: (-scores[c], c)):
        hit = first[cid]
        why = dict(hit.why)
        why["ranks"] = ranks[cid]
        out.append(Hit(hit.chunk_id, hit.doc_id, hit.title, hit.text, scores[cid], name, hit.source, why))
    return out


FUSERS = {"rrf", "weighted"}


def select_fuser(method: str) -> str:
    if method not in FUSERS:
        raise ValueError(f"unknown fusion method {method!r}; choose one of: {', '.join(sorted(FUSERS))}")
    return method
