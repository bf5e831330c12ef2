"""Indexing with the real embedder, FAISS and bm25s: search, incremental updates, crash safety."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tools.errors import IndexNotFoundError
from tools.index import Index, build_index
from tools.settings import IndexSettings

DOCS = {
    "lighthouse.md": "# Verrin Lighthouse\n"
                     "The Verrin lighthouse was designed by the engineer Oska Tamm in 1869.",
    "tamm.txt": "Oska Tamm\nOska Tamm was born in the river town of Lowbridge and trained as a mason.",
    "lowbridge.html": "<html><head><title>Lowbridge</title></head><body><p>Lowbridge is a market town "
                      "that lies on the Sarn river.</p></body></html>",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish and crustaceans.",
}


def settings() -> IndexSettings:
    s = IndexSettings()
    s.graph = False
    return s


@pytest.fixture
def corpus(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text)
    return docs


def top_doc(index: Index, retriever: str, query: str) -> str:
    return index.retriever(retriever).search(query, 3)[0].doc_id


def test_build_and_search_every_retriever(corpus, tmp_path):
    result = build_index([corpus], tmp_path / "idx", settings())
    assert result.manifest.counts["documents"] == 4
    assert result.embedded_chunks == result.manifest.counts["chunks"] >= 4
    index = Index(tmp_path / "idx")
    for name in ("bm25", "dense", "hybrid"):
        hits = index.retriever(name).search("Who designed the Verrin lighthouse?", 3)
        assert hits[0].doc_id == "lighthouse.md", name
        assert hits[0].retriever == name and hits[0].title == "Verrin Lighthouse"
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # Dense search finds paraphrases with no shared keywords.
    assert top_doc(index, "dense", "aquatic animals that hunt for food in rivers") == "otters.md"
    chunk = index.store.get(index.retriever("bm25").search("Sarn river", 1)[0].chunk_id)
    assert chunk.source.endswith("lowbridge.html") and chunk.end > chunk.start >= 0
    assert "Sarn" in chunk.text and len(chunk.content_hash) == 64
    assert index.retriever("bm25").search("zzzz qqqq", 3) == []


def test_incremental_add_change_delete(corpus, tmp_path):
    idx = tmp_path / "idx"
    build_index([corpus], idx, settings())
    (corpus / "new.txt").write_text("Kingfishers\nKingfishers nest in riverbanks along the Oller.")
    (corpus / "tamm.txt").write_text("Oska Tamm\nOska Tamm was born in the harbour town of Pellow.")
    (corpus / "otters.md").unlink()
    result = build_index([corpus], idx, settings())
    counts = (result.added_docs, result.changed_docs, result.removed_docs, result.unchanged_docs)
    assert counts == (1, 1, 1, 2)
    assert result.embedded_chunks == 2  # only the new and the changed document were embedded
    index = Index(idx)
    assert index.generation == 2
    assert set(index.store.docs) == {"lighthouse.md", "tamm.txt", "lowbridge.html", "new.txt"}
    for name in ("bm25", "dense", "hybrid"):
        hits = index.retriever(name).search("otters semi-aquatic mammals", 10)
        assert all(h.doc_id != "otters.md" for h in hits), name
        top = index.retriever(name).search("Where was Oska Tamm born? Pellow harbour", 1)[0]
        assert top.doc_id == "tamm.txt"
    assert "Pellow" in index.retriever("bm25").search("Pellow", 1)[0].text
    assert top_doc(index, "hybrid", "Where do kingfishers nest?") == "new.txt"
    # A third run with nothing changed embeds nothing and keeps every document.
    again = build_index([corpus], idx, settings())
    assert again.embedded_chunks == 0 and again.unchanged_docs == 4
    assert sorted(p.name for p in idx.iterdir() if p.name.startswith("gen-")) == ["gen-000002", "gen-000003"]


def test_rebuild_and_missing_index(corpus, tmp_path):
    with pytest.raises(IndexNotFoundError, match="hopper index"):
        Index(tmp_path / "nothing")
    build_index([corpus], tmp_path / "idx", settings())
    result = build_index([corpus], tmp_path / "idx", settings(), rebuild=True)
    assert result.embedded_chunks == result.manifest.counts["chunks"]


CRASH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from tools.index import build_index
    from tools.settings import IndexSettings

    class Crash:
        name = "crash"
        def build(self, ctx):
            assert any(ctx.gen_dir.iterdir())  # the new generation is half written
            os.kill(os.getpid(), signal.SIGKILL)

    s = IndexSettings(); s.graph = False
    build_index([Path(sys.argv[1])], Path(sys.argv[2]), s, components=[Crash()])
""")


def test_crash_mid_index_keeps_previous_index_and_next_run_recovers(corpus, tmp_path):
    idx = tmp_path / "idx"
    build_index([corpus], idx, settings())
    (corpus / "tamm.txt").write_text("Oska Tamm\nOska Tamm was born in the harbour town of Pellow.")
    script = tmp_path / "crash.py"
    script.write_text(CRASH)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.run([sys.executable, str(script), str(corpus), str(idx)], env=env, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert any(p.name.startswith(".tmp-gen-") for p in idx.iterdir())  # the killed run's leftovers
    index = Index(idx)  # still the previous, complete generation
    assert index.generation == 1
    hit = index.retriever("hybrid").search("Where was Oska Tamm born?", 1)[0]
    assert hit.doc_id == "tamm.txt" and "Lowbridge" in hit.text
    result = build_index([corpus], idx, settings())
    assert result.manifest.generation == 2 and result.changed_docs == 1
    assert not any(p.name.startswith(".tmp-gen-") for p in idx.iterdir())
    assert "Pellow" in Index(idx).retriever("hybrid").search("Where was Oska Tamm born?", 1)[0].text
    manifest = json.loads((idx / "manifest.json").read_text())
    assert manifest["format"] == "hopper-index" and manifest["version"] == 1


def test_corrupt_manifest_is_a_clear_error(corpus, tmp_path):
    from tools.errors import IndexCorruptError

    idx = tmp_path / "idx"
    build_index([corpus], idx, settings())
    (idx / "manifest.json").write_text("{half a manifest")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        Index(idx)
    # Indexing again starts a fresh, working index.
    build_index([corpus], idx, settings())
    assert Index(idx).retriever("bm25").search("otters", 1)[0].doc_id == "otters.md"
