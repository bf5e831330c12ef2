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
