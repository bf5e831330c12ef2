"""Title links between documents, with the real embedder and FAISS vectors."""

from __future__ import annotations

import pytest

from tools.links import TitleLinks, follow_links, title_key

DOCS = {
    "film.md": "# Grey Harbour (film)\n"
               "Grey Harbour is a 1974 drama film directed by Mirela Vost and shot in Kessan.",
    "vost.md": "# Mirela Vost\nMirela Vost is a director born in the mountain village of Ardeny in 1931.",
    "kessan.md": "# Kessan\nKessan is a fishing port with a ferry to the outer islands.",
    "ardeny.md": "# Ardeny\nArdeny is a village known for its slate quarries.",
    "notes.md": "# Notes\nThe crew kept notes about the weather.",
}


@pytest.fixture(scope="module")
def index(small_index):
    return small_index("links", DOCS)


def test_title_key_drops_disambiguator_and_case():
    assert title_key("Grey Harbour (film)") == "grey harbour"
    assert title_key("  Mirela  VOST ") == "mirela vost"


def test_linked_finds_titles_in_order_and_skips_generic_ones(index):
    links = TitleLinks(index.store)
    text = index.store.get("film.md#0").text
    assert links.linked(text, exclude=["film.md"]) == ["vost.md", "kessan.md"]
    # "Notes" is too generic a title to count as a link; "weather" names no document.
    assert links.linked("Read the notes about the weather.") == []
    # Longest match wins and matching is word-aligned: "Ardenyville" is not "Ardeny".
    assert links.linked("Ardenyville lies east of Ardeny.") == ["ardeny.md"]


def test_follow_links_ranks_linked_documents_by_the_query(index):
    source = index.retriever("bm25").search("Grey Harbour film", 1)
    assert source[0].doc_id == "film.md"
    hits = follow_links(index, index.links, "Where was the director of Grey Harbour born?", source, k=5)
    assert [h.doc_id for h in hits] == ["vost.md", "kessan.md"]
    assert hits[0].retriever == "links" and hits[0].why["linked_from"] == "film.md#0"
    assert hits[0].score > hits[1].score
    # A question about the place ranks the port first.
    hits = follow_links(index, index.links, "Which port was Grey Harbour shot in?", source, k=1)
    assert [h.doc_id for h in hits] == ["kessan.md"]
    # A document that names nothing links nowhere.
    sources = index.retriever("bm25").search("slate quarries", 1)
    assert follow_links(index, index.links, "anything", sources) == []
