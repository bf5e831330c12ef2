"""Fusion of retrievers that all speak `search(query, k) -> list[Hit]`.

The basic retrievers (`bm25`, `dense`, `hybrid`) come from an index's backend
(`Index.retriever(name)`, see `tools.backends`); the agent layer adds the graph ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.backends.base import BASIC
from tools.fusion import rrf, select_fuser, weighted
from tools.settings import FusionSettings
from tools.types import Hit, Retriever

__all__ = ["BASIC", "FusionRetriever"]


class FusionRetriever:
    """Fuses several retrievers by RRF or weighted normalised scores."""

    def __init__(self, retrievers: Sequence[Retriever], settings: FusionSettings, name: str = "hybrid",
                 weights: Sequence[float] | None = None):
        self.retrievers = list(retrievers)
        self.settings = settings
        self.name = name
        self.method = select_fuser(settings.method)
        self.weights = list(weights) if weights else None

    def search(self, query: str, k: int = 10) -> list[Hit]:
        depth = max(k, self.settings.depth)
        rankings = [r.search(query, depth) for r in self.retrievers]
        if self.method == "rrf":
            fused = rrf(rankings, k=self.settings.rrf_k, weights=self.weights, name=self.name)
        else:
            weights = self.weights or _default_weights(len(rankings), self.settings.dense_weight)
            fused = weighted(rankings, weights, name=self.name)
        return fused[:k]


def _default_weights(n: int, dense_weight: float) -> list[float]:
    if n == 2:  # (dense, bm25)
        return [dense_weight, 1.0 - dense_weight]
    return [1.0] * n
