"""`tools.retrievers` and the local backend's retrievers over a real index (embedder, FAISS, bm25s)."""

from __future__ import annotations

import numpy as np
import pytest

from tools.backends import select_backend
from tools.errors import ConfigError, RetrieverUnavailableError
from tools.fusion import rrf, weighted
from tools.index import Index, build_index
from tools.ingest import make_document
from tools.retrievers import FusionRetriever
from tools.settings import FusionSettings, IndexSettings

DOCS = {
    "otters": ("Otters", "Otters are semi-aquatic mammals that eat fish and crabs."),
    "heron": ("Grey heron", "The grey heron wades in shallow water and spears frogs with its bill."),
    "mill": ("Old mill", "The old watermill on the Sarn ground flour until 1921."),
    "kestrel": ("Kestrel", "A kestrel hovers over meadows looking for voles."),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Index:
    settings = IndexSettings(graph=False)
    docs = [make_document(d, title, text, f"{d}.txt") for d, (title, text) in DOCS.items()]
    path = tmp_path_factory.mktemp("retrievers") / "idx"
    build_index([], path, settings, documents=docs)
    return Index(path)


def test_bm25_and_dense_find_the_right_document(index):
    bm25, dense = index.retriever("bm25"), index.retriever("dense")
    assert [h.doc_id for h in bm25.search("frogs heron", 2)][:1] == ["heron"]
    assert bm25.search("zeppelin", 3) == []
    hits = dense.search("Which animal catches fish?", 4)
    assert hits[0].doc_id == "otters" and len(hits) == 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert dense.search("   ", 3) == []
    assert {h.retriever for h in hits} == {"dense"}


def test_rrf_fusion_equals_rrf_of_its_parts(index):
    parts = [index.retriever("dense"), index.retriever("bm25")]
    settings = FusionSettings(rrf_k=10, depth=4)
    fused = FusionRetriever(parts, settings).search("heron eating frogs", 3)
    expected = rrf([p.search("heron eating frogs", 4) for p in parts], k=10)[:3]
    assert [h.chunk_id for h in fused] == [h.chunk_id for h in expected]
    assert [h.score for h in fused] == pytest.approx([h.score for h in expected])
    assert fused[0].doc_id == "heron" and fused[0].retriever == "hybrid"


def test_weighted_fusion_uses_the_dense_weight(index):
    parts = [index.retriever("dense"), index.retriever("bm25")]
    settings = FusionSettings(method="weighted", dense_weight=0.8, depth=4)
    fused = FusionRetriever(parts, settings).search("flour mill", 4)
    expected = weighted([p.search("flour mill", 4) for p in parts], [0.8, 0.2])[:4]
    assert [h.chunk_id for h in fused] == [h.chunk_id for h in expected]
    assert fused[0].doc_id == "mill"


def test_index_hybrid_is_the_fusion_of_dense_and_bm25(index):
    hybrid = index.retriever("hybrid")
    assert isinstance(hybrid, FusionRetriever) and hybrid.name == "hybrid"
    assert hybrid.search("kestrel voles", 1)[0].doc_id == "kestrel"


def test_local_backend_returns_the_stored_vectors(index):
    chunks = index.store.chunks[:2]
    stored = np.load(index.gen_dir / "vectors.npy")
    assert index.backend.vectors(index, chunks) == pytest.approx(stored[:2], abs=1e-6)


def test_unknown_names_are_clear_errors(index):
    with pytest.raises(RetrieverUnavailableError, match="bm25, dense, hybrid"):
        index.retriever("sparse")
    with pytest.raises(ConfigError, match="local, milvus"):
        select_backend("elastic")
