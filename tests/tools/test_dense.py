"""`tools.dense`: FAISS flat and HNSW indexes on real vectors, saved and loaded."""

from __future__ import annotations

import numpy as np
import pytest

from tools.dense import build_faiss, load_faiss, save_faiss, search_faiss
from tools.errors import IndexCorruptError
from tools.settings import DenseSettings


def _unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_index_finds_each_vector_first_with_cosine_one(tmp_path):
    vectors = _unit(50)
    index = build_faiss(vectors, DenseSettings())
    assert type(index).__name__ == "IndexFlatIP" and index.ntotal == 50
    save_faiss(index, tmp_path / "dense.faiss")
    loaded = load_faiss(tmp_path / "dense.faiss", DenseSettings())
    scores, rows = search_faiss(loaded, vectors[[7, 31]], 3)
    assert rows[:, 0].tolist() == [7, 31]
    assert scores[:, 0] == pytest.approx([1.0, 1.0], abs=1e-5)
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_hnsw_above_the_threshold_keeps_ef_search(tmp_path):
    settings = DenseSettings(hnsw_threshold=20, hnsw_m=8, hnsw_ef_search=64)
    vectors = _unit(200, seed=1)
    index = build_faiss(vectors, settings)
    assert hasattr(index, "hnsw") and index.hnsw.efSearch == 64
    save_faiss(index, tmp_path / "dense.faiss")
    loaded = load_faiss(tmp_path / "dense.faiss", DenseSettings(hnsw_ef_search=100))
    assert loaded.hnsw.efSearch == 100  # a query-time knob: the setting now wins over the saved one
    _, rows = search_faiss(loaded, vectors[:20], 1)
    assert (rows[:, 0] == np.arange(20)).mean() >= 0.95


def test_k_is_clamped_to_the_index_size_and_empty_index_is_valid():
    index = build_faiss(_unit(3), DenseSettings())
    scores, rows = search_faiss(index, _unit(1, seed=5), 10)
    assert rows.shape == (1, 3) and sorted(rows[0].tolist()) == [0, 1, 2]
    empty = build_faiss(np.zeros((0, 384), np.float32), DenseSettings())
    assert empty.ntotal == 0 and empty.d == 384


def test_damaged_file_is_a_clear_error(tmp_path):
    path = tmp_path / "dense.faiss"
    path.write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        load_faiss(path)
