"""The local backend: a FAISS index (`dense.faiss`) and a bm25s index (`bm25/`) in the generation folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tools.backends.base import BASIC, BuildContext, IndexComponent
from tools.chunking import bm25_text
from tools.dense import build_faiss, save_faiss, search_faiss
from tools.errors import RetrieverUnavailableError
from tools.retrievers import FusionRetriever
from tools.settings import IndexSettings
from tools.sparse import BM25Index
from tools.types import Chunk, Hit, Retriever


class DenseComponent:
    """Writes `dense.faiss` from the chunk vectors."""

    name = "dense"

    def build(self, ctx: BuildContext) -> dict[str, int]:
        index = build_faiss(ctx.vectors, ctx.settings.dense)
        save_faiss(index, ctx.gen_dir / "dense.faiss")
        return {"vectors": int(index.ntotal)}


class BM25Component:
    """Writes the bm25s index `bm25/` over each chunk's `bm25_text`."""

    name = "bm25"

    def build(self, ctx: BuildContext) -> dict[str, int]:
        ctx.progress.start("bm25", None)
        bm25 = BM25Index(ctx.settings.bm25).build([bm25_text(c) for c in ctx.chunks])
        bm25.save(ctx.gen_dir / "bm25")
        ctx.progress.finish("bm25")
        return {}


class BM25Retriever:
    """BM25 over the index's bm25s files."""

    name = "bm25"

    def __init__(self, index):
        self.index = index

    def search(self, query: str, k: int = 10) -> list[Hit]:
        rows, scores = self.index.bm25.search(query, k)
        chunks = self.index.store.chunks
        return [Hit.from_chunk(chunks[int(r)], float(s), self.name)
                for r, s in zip(rows, scores, strict=True)]


class DenseRetriever:
    """Inner product of the query embedding with the chunk embeddings in FAISS."""

    name = "dense"

    def __init__(self, index):
        self.index = index

    def search(self, query: str, k: int = 10) -> list[Hit]:
        if self.index.faiss.ntotal == 0 or not query.strip():
            return []
        scores, rows = search_faiss(self.index.faiss, self.index.embedder.encode_query(query), k)
        chunks = self.index.store.chunks
        return [Hit.from_chunk(chunks[int(r)], float(s), self.name)
                for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


class LocalBackend:
    """Dense and BM25 indexes as files beside the chunk store."""

    kind = "local"

    def check(self, settings: IndexSettings, index_dir: Path) -> None:
        """Nothing to check: the index folder is created and locked by the build."""

    def components(self) -> list[IndexComponent]:
        return [DenseComponent(), BM25Component()]

    def retriever(self, index, name: str) -> Retriever:
        if name == "bm25":
            return BM25Retriever(index)
        if name == "dense":
            return DenseRetriever(index)
        if name == "hybrid":
            return FusionRetriever([DenseRetriever(index), BM25Retriever(index)], index.settings.fusion)
        raise RetrieverUnavailableError(f"unknown retriever {name!r}; choose one of: {', '.join(BASIC)}")

    def vectors(self, index, chunks: list[Chunk]) -> np.ndarray | None:
        try:
            faiss_index = index.faiss
            return np.stack([faiss_index.reconstruct(index.store.row(c.chunk_id)) for c in chunks])
        except (RuntimeError, AttributeError):  # an index type that cannot reconstruct
            return None

    def warm(self, index) -> None:
        _ = index.bm25, index.faiss
