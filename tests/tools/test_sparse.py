"""`tools.sparse`: bm25s with stemming and stopwords, saved and loaded, on real text."""

from __future__ import annotations

import pytest

from tools.errors import IndexCorruptError
from tools.settings import BM25Settings
from tools.sparse import BM25Index

TEXTS = [
    "Otters swim in rivers and eat fish.",
    "The heron wades in the shallows, hunting frogs.",
    "Lighthouses guide ships past the rocky headland.",
    "A river otter was swimming near the old mill.",
]


def test_stemmed_query_finds_the_inflected_words(tmp_path):
    index = BM25Index(BM25Settings()).build(TEXTS)
    rows, scores = index.search("otter swimming", 4)
    assert set(rows.tolist()) == {0, 3}  # "otters swim" and "otter was swimming" share stems
    assert (scores > 0).all() and list(scores) == sorted(scores, reverse=True)
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25", BM25Settings())
    again_rows, again_scores = loaded.search("otter swimming", 4)
    assert again_rows.tolist() == rows.tolist() and again_scores == pytest.approx(scores)


def test_stopwords_and_unknown_words_find_nothing():
    index = BM25Index(BM25Settings()).build(TEXTS)
    for query in ("the and of", "zeppelin", ""):
        rows, scores = index.search(query, 3)
        assert len(rows) == 0 and len(scores) == 0, query


def test_k_larger_than_the_corpus_and_an_empty_index(tmp_path):
    index = BM25Index(BM25Settings()).build(TEXTS)
    rows, _ = index.search("river", 50)
    assert sorted(rows.tolist()) == [0, 3]
    empty = BM25Index(BM25Settings()).build([])
    empty.save(tmp_path / "empty")
    loaded = BM25Index.load(tmp_path / "empty", BM25Settings())
    assert loaded.search("river", 5)[0].size == 0


def test_without_stemmer_only_exact_words_match():
    index = BM25Index(BM25Settings(stemmer="")).build(TEXTS)
    rows, _ = index.search("otter", 4)
    assert rows.tolist() == [3]  # "Otters" no longer matches "otter"


def test_damaged_index_is_a_clear_error(tmp_path):
    (tmp_path / "bm25").mkdir()
    (tmp_path / "bm25" / "params.index.json").write_text("{broken")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        BM25Index.load(tmp_path / "bm25", BM25Settings())


_FRESH = """
import json, sys
from tools.settings import BM25Settings
from tools.sparse import BM25Index
path, texts = sys.argv[1], json.loads(sys.argv[2])
loaded = BM25Index.load(path + "/bm25", BM25Settings())
rows, scores = loaded.search("otter swimming", 4)
searched_without_scipy = "scipy" not in sys.modules
again = BM25Index(BM25Settings()).build(texts)
hits = {q: [a.tolist() for a in again.search(q, 4)] for q in ("river", "otter heron", "ships")}
print(json.dumps({"rows": rows.tolist(), "scores": scores.tolist(), "no_scipy": searched_without_scipy,
                  "hits": hits, "csc": again.model.csc_backend}))
"""


def test_a_cold_search_loads_no_scipy_and_a_later_build_writes_the_same_index(tmp_path):
    """A fresh process searching a saved index never imports scipy (bm25s's import without it is
    half as long); building afterwards in that process makes scipy's CSC (numpy's has a longer
    `indptr`) and finds what a normal build finds."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    index = BM25Index(BM25Settings()).build(TEXTS)
    index.save(tmp_path / "bm25")
    rows, scores = index.search("otter swimming", 4)
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path), json.dumps(TEXTS)], cwd=root,
                         capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["no_scipy"]
    assert got["rows"] == rows.tolist() and got["scores"] == pytest.approx(scores.tolist())
    assert got["csc"] == index.model.csc_backend == "scipy"
    for query, (rows, scores) in got["hits"].items():
        want_rows, want_scores = index.search(query, 4)
        assert rows == want_rows.tolist() and scores == pytest.approx(want_scores.tolist()), query
