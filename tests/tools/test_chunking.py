"""`tools.chunking`: real llama-index splitting, offsets that point into the document, chunk text."""

from __future__ import annotations

from tools.chunking import bm25_text, chunk_documents, content_hash, embed_text
from tools.ingest import make_document
from tools.settings import ChunkSettings
from tools.types import Chunk

SENTENCES = [f"Sentence number {i} tells of the lighthouse keeper Linnea Brask and her tide clock."
             for i in range(60)]


def test_long_document_splits_into_ordered_chunks_with_true_offsets():
    text = " ".join(SENTENCES)
    doc = make_document("notes/brask.md", "Linnea Brask", text, "/docs/notes/brask.md")
    chunks = chunk_documents([doc], ChunkSettings(size=64, overlap=8))
    assert len(chunks) > 5
    assert [c.chunk_id for c in chunks] == [f"notes/brask.md#{i}" for i in range(len(chunks))]
    for c in chunks:
        assert (c.doc_id, c.title, c.source) == ("notes/brask.md", "Linnea Brask", "/docs/notes/brask.md")
        assert text[c.start:c.end] == c.text  # the offsets address the chunk inside the document
        assert c.content_hash == content_hash(c.text)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in zip(chunks, chunks[1:], strict=False):  # in order, and no text falls between two chunks
        assert a.start < b.start <= a.end + 1, (a.start, a.end, b.start)


def test_short_and_blank_documents_make_one_chunk_each():
    short = make_document("a", "A", "One short line.", "a.txt")
    blank = make_document("b", "B", "   ", "b.txt")
    chunks = chunk_documents([short, blank], ChunkSettings())
    assert [(c.chunk_id, c.text) for c in chunks] == [("a#0", "One short line."), ("b#0", "   ")]


def test_unchanged_text_gives_the_same_chunk_ids_and_hashes():
    doc = make_document("d", "D", " ".join(SENTENCES[:20]), "d.txt")
    first = chunk_documents([doc], ChunkSettings(size=48, overlap=4))
    again = chunk_documents([doc], ChunkSettings(size=48, overlap=4))
    assert [(c.chunk_id, c.content_hash) for c in first] == [(c.chunk_id, c.content_hash) for c in again]


def test_content_hash_separates_its_parts():
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash("x") == content_hash("x") and len(content_hash("x")) == 64


def _chunk(title: str, text: str) -> Chunk:
    return Chunk("d#0", "d", title, text, "d.md", 0, len(text), content_hash(text))


def test_embed_text_adds_the_title_unless_the_text_opens_with_it():
    assert embed_text(_chunk("Oska Tamm", "He was born there.")) == "Oska Tamm\nHe was born there."
    assert embed_text(_chunk("Oska Tamm", "Oska Tamm was born there.")) == "Oska Tamm was born there."
    assert embed_text(_chunk("", "No title here.")) == "No title here."


def test_bm25_text_always_carries_the_title():
    assert bm25_text(_chunk("Oska Tamm", "Oska Tamm was born.")) == "Oska Tamm\nOska Tamm was born."
