"""Chunk text: split documents into chunks (llama-index's SentenceSplitter, keeping offsets), and
the text of a chunk that each index sees (`embed_text` for the embedder, `bm25_text` for BM25)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tools.settings import ChunkSettings
from tools.types import Chunk, Document


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def _splitter(settings: ChunkSettings):
    from llama_index.core.node_parser import SentenceSplitter  # heavy: llama-index, loaded when first needed

    return SentenceSplitter(chunk_size=settings.size, chunk_overlap=settings.overlap,
                            include_metadata=False, include_prev_next_rel=False)


def _locate(text: str, piece: str, hint: int) -> tuple[int, int]:
    """Character span of `piece` in `text`, searching from `hint` (splitters may trim)."""
    start = text.find(piece, max(0, hint))
    if start < 0:
        start = text.find(piece)
    if start < 0:  # whitespace was normalised: fall back to the first 40 characters
        head = piece[:40]
        start = text.find(head, max(0, hint))
        start = start if start >= 0 else max(0, hint)
    return start, min(len(text), start + len(piece))


def chunk_documents(docs: Iterable[Document], settings: ChunkSettings) -> list[Chunk]:
    """Chunk every document; chunk ids are `doc_id#index`, stable for unchanged documents."""
    splitter = _splitter(settings)
    chunks: list[Chunk] = []
    for doc in docs:
        pieces = [p for p in splitter.split_text(doc.text) if p.strip()] or [doc.text]
        cursor = 0
        for i, piece in enumerate(pieces):
            start, end = _locate(doc.text, piece, cursor)
            cursor = start + 1
            chunks.append(Chunk(
                chunk_id=f"{doc.doc_id}#{i}", doc_id=doc.doc_id, title=doc.title, text=piece,
                source=doc.source, start=start, end=end, content_hash=content_hash(piece),
            ))
    return chunks


def embed_text(chunk: Chunk) -> str:
    """What the embedder sees for a chunk: its title (unless the first 200 characters
    of its text already hold it), then its text."""
    if chunk.title and chunk.title not in chunk.text[:200]:
        return f"{chunk.title}\n{chunk.text}"
    return chunk.text


def bm25_text(chunk: Chunk) -> str:
    """What BM25 indexes for a chunk (local bm25s and Milvus alike): its title, then its text."""
    return f"{chunk.title}\n{chunk.text}"
