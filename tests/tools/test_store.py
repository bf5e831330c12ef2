"""The chunk store reads rows lazily: a query parses the rows it returns, not the whole file."""

from __future__ import annotations

import json

import pytest

from tools.errors import IndexCorruptError
from tools.store import ChunkStore, LazyChunks, write_chunks
from tools.types import Chunk

TEXTS = ["The Verrin lighthouse stands on a basalt spur.", "It was designed by Ada Thorsen in 1871.",
         "Its first keeper was Jonas Bray.", "The tower is 31 metres tall."]


def _chunks() -> list[Chunk]:
    return [Chunk(chunk_id=f"lighthouse.md#{i}", doc_id="lighthouse.md", title="The Verrin Lighthouse", text=text,
                  source="/docs/lighthouse.md", start=i * 50, end=i * 50 + len(text),
                  content_hash=f"h{i}") for i, text in enumerate(TEXTS)]


def test_rows_are_parsed_on_first_access_only(tmp_path):
    write_chunks(tmp_path / "chunks.jsonl", _chunks())
    (tmp_path / "docs.json").write_text(json.dumps({"lighthouse.md": {"title": "The Verrin Lighthouse"}}))
    store = ChunkStore.load(tmp_path)
    assert len(store) == 4
    assert sum(c is not None for c in store.chunks._chunks) == 0
    assert store.chunks[2].text == TEXTS[2]
    assert sum(c is not None for c in store.chunks._chunks) == 1  # only the row asked for
    assert [c.text for c in store.chunks[1:3]] == TEXTS[1:3] and store.chunks[-1].text == TEXTS[-1]
    assert [c.chunk_id for c in store.chunks] == [c.chunk_id for c in _chunks()]
    assert store.get("lighthouse.md#3").text == TEXTS[3] and store.row("lighthouse.md#1") == 1
    assert "lighthouse.md#9" not in store and store.docs["lighthouse.md"]["title"] == "The Verrin Lighthouse"


def test_a_damaged_row_is_reported_with_its_line_when_reached(tmp_path):
    path = tmp_path / "chunks.jsonl"
    write_chunks(path, _chunks())
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:30]  # a torn write
    path.write_text("\n".join(lines) + "\n")
    chunks = LazyChunks(path)
    assert chunks[0].text == TEXTS[0]  # rows before it still read
    with pytest.raises(IndexCorruptError, match=r"chunks.jsonl line 3: unreadable chunk store"):
        chunks[2]
