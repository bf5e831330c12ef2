"""The Milvus backend against a real Milvus Lite file in `tmp_path` (no mocks)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from tools.backends import milvus_conn
from tools.errors import BackendError, ConfigError
from tools.index import Index, build_index
from tools.settings import IndexSettings

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

DOCS = {
    "volcano.md": "# Volcanoes\n\nMount Keldor erupted in 1883 and buried the port town of Sarn under ash.",
    "bakery.md": "# Bakery\n\nThe Ostrava bakery sells rye bread and poppy seed pastries every morning.",
    "river.md": "# Rivers\n\nThe river Vell floods the valley every spring when the snow melts.",
}


@pytest.fixture
def settings(tmp_path: Path) -> IndexSettings:
    s = IndexSettings(graph=False)
    s.backend.kind = "milvus"
    s.backend.milvus_uri = str(tmp_path / "m.db")
    return s


@pytest.fixture(autouse=True)
def _release_milvus():
    yield
    milvus_conn.release()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text)
    return root


def _docs(index: Index, retriever: str, query: str, k: int = 3) -> list[str]:
    return [h.doc_id for h in index.retriever(retriever).search(query, k)]


def test_index_and_search_each_retriever(tmp_path: Path, corpus: Path, settings: IndexSettings):
    result = build_index([corpus], tmp_path / "idx", settings)
    assert "milvus" in result.manifest.components
    assert result.manifest.counts["milvus_rows"] == result.manifest.counts["chunks"] == 3
    meta = json.loads((tmp_path / "idx" / result.manifest.path / "milvus.json").read_text())
    assert meta["collection"].startswith("hopper_idx_")
    assert meta["uri"] == str(Path(settings.backend.milvus_uri).resolve())
    assert not (tmp_path / "idx" / result.manifest.path / "dense.faiss").exists()

    index = Index(tmp_path / "idx")
    assert index.settings.backend.kind == "milvus"
    for name in ("bm25", "dense", "hybrid"):
        hits = index.retriever(name).search("When did the volcano erupt?", 2)
        assert hits and hits[0].doc_id == "volcano.md", name
        assert hits[0].retriever == name and "Keldor" in hits[0].text and hits[0].title == "Volcanoes"
        assert hits[0].score > 0
    # Stemming and stopwords match the local bm25s analysis: "eruptions" finds "erupted".
    assert _docs(index, "bm25", "the eruptions")[:1] == ["volcano.md"]
    assert index.retriever("bm25").search("the of and", 3) == []


def test_reopen_in_fresh_client_loads_collection(tmp_path: Path, corpus: Path, settings: IndexSettings):
    build_index([corpus], tmp_path / "idx", settings)
    milvus_conn.release()  # as if a new process opened the file: Milvus Lite starts with it released
    assert _docs(Index(tmp_path / "idx"), "hybrid", "rye bread")[0] == "bakery.md"


def test_relative_lite_path_works_from_another_folder(tmp_path: Path, corpus: Path, settings: IndexSettings,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    settings.backend.milvus_uri = "store/m.db"
    build_index([corpus], tmp_path / "idx", settings)
    milvus_conn.release()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _docs(Index(tmp_path / "idx"), "bm25", "rye bread")[0] == "bakery.md"
    assert not (elsewhere / "store").exists()


def test_incremental_update_and_delete(tmp_path: Path, corpus: Path, settings: IndexSettings):
    build_index([corpus], tmp_path / "idx", settings)
    (corpus / "bakery.md").write_text("# Bakery\n\nThe Ostrava bakery closed; "
                                      "it now sells bicycles and tyres.")
    (corpus / "river.md").unlink()
    (corpus / "moon.md").write_text("# Moon\n\nA lunar eclipse was seen over Sarn in 1901.")
    result = build_index([corpus], tmp_path / "idx", settings)
    assert (result.added_docs, result.changed_docs, result.removed_docs) == (1, 1, 1)
    # a new generation is a new collection: every chunk inserted (vectors reused, none embedded again)
    assert result.manifest.counts["milvus_written"] == result.manifest.counts["milvus_rows"] == 3

    index = Index(tmp_path / "idx")
    for name in ("bm25", "dense", "hybrid"):
        assert "river.md" not in _docs(index, name, "river Vell floods the valley"), name
        assert _docs(index, name, "bicycles and tyres")[0] == "bakery.md", name
        assert _docs(index, name, "lunar eclipse")[0] == "moon.md", name
    assert _docs(index, "bm25", "rye bread poppy pastries") == []
    texts = [h.text for h in index.retriever("dense").search("bakery", 3)]
    assert not any("poppy" in t for t in texts)


def test_a_rebuild_writes_beside_the_served_collection(tmp_path: Path, corpus: Path, settings: IndexSettings):
    first = build_index([corpus], tmp_path / "idx", settings)
    served = json.loads((tmp_path / "idx" / first.manifest.path / "milvus.json").read_text())["collection"]
    reader = Index(tmp_path / "idx", settings)  # opened on generation 1: it holds that generation
    assert _docs(reader, "bm25", "rye bread")[0] == "bakery.md"
    (corpus / "bakery.md").write_text("# Bakery\n\nThe Ostrava bakery now sells bicycles.")
    second = build_index([corpus], tmp_path / "idx", settings, rebuild=True)
    new = json.loads((tmp_path / "idx" / second.manifest.path / "milvus.json").read_text())["collection"]
    client = milvus_conn.connect(settings.backend.milvus_uri)
    assert new != served and client.has_collection(served) and client.has_collection(new)
    assert _docs(reader, "bm25", "rye bread")[0] == "bakery.md"  # the open reader still reads its own
    assert _docs(Index(tmp_path / "idx", settings), "bm25", "bicycles")[0] == "bakery.md"
    reader.close()
    third = build_index([corpus], tmp_path / "idx", settings, rebuild=True)
    names = set(client.list_collections())
    latest = json.loads((tmp_path / "idx" / third.manifest.path / "milvus.json").read_text())["collection"]
    assert served not in names and latest in names  # unused ones are dropped at a later build


def test_collection_missing_is_recreated_on_next_build(tmp_path: Path, corpus: Path, settings: IndexSettings):
    result = build_index([corpus], tmp_path / "idx", settings)
    name = json.loads((tmp_path / "idx" / result.manifest.path / "milvus.json").read_text())["collection"]
    milvus_conn.connect(settings.backend.milvus_uri).drop_collection(name)
    (corpus / "moon.md").write_text("# Moon\n\nA lunar eclipse was seen over Sarn in 1901.")
    result = build_index([corpus], tmp_path / "idx", settings)
    assert result.manifest.counts["milvus_rows"] == 4
    assert _docs(Index(tmp_path / "idx"), "bm25", "volcano")[0] == "volcano.md"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_uri_is_a_clear_error(tmp_path: Path, corpus: Path, settings: IndexSettings):
    uri = f"http://127.0.0.1:{_closed_port()}"
    settings.backend.milvus_uri = uri
    t0 = time.perf_counter()
    with pytest.raises(BackendError) as err:
        build_index([corpus], tmp_path / "idx", settings)
    assert time.perf_counter() - t0 < 10
    message = str(err.value)
    assert uri in message and "\n" not in message
    assert "--milvus-uri" in message and "start the server" in message
    assert not (tmp_path / "idx" / "manifest.json").exists()


def test_uri_credentials_never_recorded(tmp_path: Path):
    assert milvus_conn.redact("https://bob:s3cret@milvus.example:19530/db") == "https://milvus.example:19530/db"
    with pytest.raises(ConfigError, match=r"\.db"):
        milvus_conn.resolve_uri(str(tmp_path / "store.sqlite"), tmp_path)
    assert milvus_conn.resolve_uri("", tmp_path) == str((tmp_path / "milvus.db").resolve())


def test_unknown_retriever(tmp_path: Path, corpus: Path, settings: IndexSettings):
    from tools.errors import RetrieverUnavailableError

    build_index([corpus], tmp_path / "idx", settings)
    with pytest.raises(RetrieverUnavailableError, match="bm25, dense, hybrid"):
        Index(tmp_path / "idx").retriever("splade")


def test_weighted_fusion_empty_queries_and_links(tmp_path: Path, corpus: Path, settings: IndexSettings):
    from tools.links import follow_links

    settings.fusion.method = "weighted"
    settings.fusion.dense_weight = 0.7
    (corpus / "guide.md").write_text("# Guide\n\nBefore you travel, read about volcanoes and the bakery.")
    build_index([corpus], tmp_path / "idx", settings)
    index = Index(tmp_path / "idx", settings)
    assert _docs(index, "hybrid", "rye bread pastries", 1) == ["bakery.md"]
    for name in ("bm25", "dense", "hybrid"):
        assert index.retriever(name).search("   ", 3) == [], name
    # Milvus keeps its vectors in the collection: link ranking encodes the candidates again.
    assert index.backend.vectors(index, index.store.chunks) is None
    index.warm()
    sources = index.retriever("bm25").search("travel guide", 1)
    assert sources[0].doc_id == "guide.md"
    linked = follow_links(index, index.links, "When did Mount Keldor erupt?", sources)
    assert [h.doc_id for h in linked] == ["volcano.md", "bakery.md"]  # both named, ranked by the query
    assert linked[0].why == {"linked_from": "guide.md#0"}
