"""Dense retrieval: a FAISS index over L2-normalised embeddings (inner product = cosine)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from tools.errors import IndexCorruptError
from tools.settings import DenseSettings

log = logging.getLogger(__name__)


def build_faiss(vectors: np.ndarray, settings: DenseSettings):
    """Exact inner-product index, or HNSW above `settings.hnsw_threshold` vectors."""
    import faiss  # heavy: faiss, loaded when first needed

    dim = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.size else 384
    if len(vectors) > settings.hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, settings.hnsw_m * 2)
        index.hnsw.efSearch = settings.hnsw_ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_faiss(index, path: Path) -> None:
    """Write a FAISS index, flushed to disk; a failed write is an `OSError` naming the file.

    The bytes are written by Python rather than `faiss.write_index`, which only prints a failed
    final flush (a full disk) to stderr and leaves a cut file behind.
    """
    import faiss  # heavy: faiss, loaded when first needed

    data = faiss.serialize_index(index)
    try:
        with open(path, "wb") as fh:
            fh.write(memoryview(data))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def load_faiss(path: Path, settings: DenseSettings | None = None):
    import faiss  # heavy: faiss, loaded when first needed

    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path}: unreadable FAISS index ({str(exc).splitlines()[0]}); "
                                "rebuild with `hopper index ... --rebuild`") from exc
    if settings is not None and hasattr(index, "hnsw"):
        index.hnsw.efSearch = settings.hnsw_ef_search
    return index


def search_faiss(index, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = max(1, min(k, index.ntotal))
    scores, rows = index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
    return scores, rows
