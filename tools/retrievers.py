"""Retrievers over an opened `Index`, all speaking `search(query, k) -> list[Hit]`."""

from __future__ import annotations

from collections.abc import Sequence

from tools.errors import RetrieverUnavailableError
from tools.fusion import rrf, select_fuser, weighted
from tools.settings import FusionSettings
from tools.types import Hit, Retriever


class BM25Retriever:
    name = "bm25"

    def __init__(self, index):
        self.index = index

    def search(self, query: str, k: int = 10) -> list[Hit]:
        rows, scores = self.index.bm25.search(query, k)
        chunks = self.index.store.chunks
        return [Hit.from_chunk(chunks[int(r)], float(s), self.name) for r, s in zip(rows, scores)]


class DenseRetriever:
    name = "dense"

    def __init__(self, index):
        self.index = index

    def search(self, query: str, k: int = 10) -> list[Hit]:
        from tools.dense import search_faiss

        if self.index.faiss.ntotal == 0 or not query.strip():
            return []
        scores, rows = search_faiss(self.index.faiss, self.index.embedder.encode_query(query), k)
        chunks = self.index.store.chunks
        return [Hit.from_chunk(chunks[int(r)], float(s), self.name)
                for r, s in zip(rows[0], scores[0]) if r >= 0]


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


BASIC = ("bm25", "dense", "hybrid")


def make_retriever(index, name: str) -> Retriever:
    """Build a basic retriever on a local or Milvus-backed index."""
    if index.settings.backend.kind == "milvus":
        from tools.milvus import make_milvus_retriever

        return make_milvus_retriever(index, name)
    if name == "bm25":
        return BM25Retriever(index)
    if name == "dense":
        return DenseRetriever(index)
    if name == "hybrid":
        return FusionRetriever([DenseRetriever(index), BM25Retriever(index)], index.settings.fusion)
    raise RetrieverUnavailableError(f"unknown retriever {name!r}; choose one of: {', '.join(BASIC)}")
