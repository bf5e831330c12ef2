"""`tools.store` and `tools.jsonfile`: the chunk store, the manifest and generations, on disk."""

from __future__ import annotations

import json

import pytest

from tools.errors import DataFormatError, IndexCorruptError, IndexNotFoundError
from tools.jsonfile import iter_jsonl, json_object, read_versioned
from tools.store import (
    ChunkStore,
    GenerationWriter,
    LazyChunks,
    current_generation_dir,
    read_chunks,
    read_manifest,
    write_chunks,
)
from tools.types import Chunk

CHUNKS = [Chunk(f"doc{i}.md#0", f"doc{i}.md", f"Doc {i}", f"Text ünïcode {i}", f"/d/doc{i}.md", 0, 16,
                f"h{i}") for i in range(3)]


def _publish(index_dir, previous=None, chunks=CHUNKS):
    writer = GenerationWriter(index_dir, previous)
    write_chunks(writer.tmp_dir / "chunks.jsonl", chunks)
    docs = {c.doc_id: {"chunks": [c.chunk_id]} for c in chunks}
    (writer.tmp_dir / "docs.json").write_text(json.dumps(docs))
    return writer.publish({"fingerprint": {"x": 1}}, {"chunks": len(chunks)}, ["dense"], corpus_hash="abc")


def test_chunks_round_trip_and_are_addressable(tmp_path):
    write_chunks(tmp_path / "chunks.jsonl", CHUNKS)
    assert read_chunks(tmp_path / "chunks.jsonl") == CHUNKS
    manifest = _publish(tmp_path / "idx")
    store = ChunkStore.load(tmp_path / "idx" / manifest.path)
    assert len(store) == 3 and "doc1.md#0" in store and "nope#0" not in store
    assert store.get("doc2.md#0").text == "Text ünïcode 2" and store.row("doc2.md#0") == 2
    assert store.docs["doc0.md"] == {"chunks": ["doc0.md#0"]}


def test_generations_replace_each_other_and_leave_no_leftovers(tmp_path):
    idx = tmp_path / "idx"
    first = _publish(idx)
    assert (first.generation, first.path) == (1, "gen-000001")
    second = _publish(idx, first, CHUNKS[:1])
    manifest, gen_dir = current_generation_dir(idx)
    assert manifest.generation == 2 and gen_dir == idx / "gen-000002"
    assert (manifest.counts, manifest.components, manifest.corpus_hash) == ({"chunks": 1}, ["dense"], "abc")
    assert second.path == manifest.path
    third = _publish(idx, second)
    names = sorted(p.name for p in idx.iterdir())
    assert names == ["gen-000002", "gen-000003", "manifest.json"]  # the one before the current is kept
    assert read_manifest(idx).generation == third.generation == 3


def test_aborted_generation_leaves_the_previous_in_use(tmp_path):
    idx = tmp_path / "idx"
    first = _publish(idx)
    writer = GenerationWriter(idx, first)
    write_chunks(writer.tmp_dir / "chunks.jsonl", CHUNKS[:1])
    writer.abort()
    manifest, _ = current_generation_dir(idx)
    assert manifest.generation == 1 and not any(p.name.startswith(".tmp-") for p in idx.iterdir())


def test_missing_damaged_and_newer_indexes_are_clear_errors(tmp_path):
    idx = tmp_path / "idx"
    with pytest.raises(IndexNotFoundError, match="hopper index PATH"):
        current_generation_dir(idx)
    _publish(idx)
    data = json.loads((idx / "manifest.json").read_text())
    (idx / "manifest.json").write_text(json.dumps({**data, "version": 99}))
    with pytest.raises(IndexCorruptError, match="newer Hopper"):
        read_manifest(idx)
    (idx / "manifest.json").write_text(json.dumps({**data, "format": "something-else"}))
    with pytest.raises(IndexCorruptError, match="not a Hopper index"):
        read_manifest(idx)
    (idx / "gen-000001" / "chunks.jsonl").write_text('{"chunk_id": "x"}\n')
    with pytest.raises(IndexCorruptError, match=r"chunks.jsonl:1: .*rebuild"):
        read_chunks(idx / "gen-000001" / "chunks.jsonl")


def test_versioned_reader_accepts_older_versions(tmp_path):
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"format": "hopper-graph", "version": 0, "kind": "text"}))
    assert read_versioned(path, "hopper-graph", 1, "graph")["kind"] == "text"
    path.write_text("[1, 2]")
    with pytest.raises(IndexCorruptError, match="not a Hopper graph"):
        read_versioned(path, "hopper-graph", 1, "graph")


def test_jsonl_reader_names_bad_lines_or_skips_them(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n[2]\n{"a": 3}\n{"a": 4')
    with pytest.raises(DataFormatError, match=r"rows.jsonl:3: malformed JSON line"):
        list(iter_jsonl(path, json_object, error=DataFormatError))
    bad: list[int] = []
    rows = list(iter_jsonl(path, json_object, on_bad=lambda n, exc: bad.append(n)))
    assert rows == [(1, {"a": 1}), (4, {"a": 3})] and bad == [3, 5]


# --- lazy rows: a query parses the rows it returns, not the whole file ---------------------

TEXTS = ["The Verrin lighthouse stands on a basalt spur.", "It was designed by Ada Thorsen in 1871.",
         "Its first keeper was Jonas Bray.", "The tower is 31 metres tall."]


def _chunks() -> list[Chunk]:
    return [Chunk(chunk_id=f"lighthouse.md#{i}", doc_id="lighthouse.md", title="The Verrin Lighthouse",
                  text=text,
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
    with pytest.raises(IndexCorruptError, match=r"chunks.jsonl:3: malformed JSON line .*rebuild"):
        chunks[2]


def test_a_leased_generation_outlives_newer_ones_until_its_readers_close(tmp_path):
    import copy

    from tools.store import open_generation

    idx = tmp_path / "idx"
    first = _publish(idx)
    _, gen_dir, lease = open_generation(idx)
    copied = copy.deepcopy(lease)  # a copied Index (dspy copies programs) holds the generation too
    second = _publish(idx, first)
    _publish(idx, second)  # gen 1 is older than the kept previous one, but a reader holds it
    assert gen_dir.is_dir()
    lease.close()
    _publish(idx, read_manifest(idx))
    assert gen_dir.is_dir()  # the copy still holds it
    copied.close()
    _publish(idx, read_manifest(idx))
    assert not gen_dir.exists() and not any(p.name.startswith(".old-") for p in idx.iterdir())
