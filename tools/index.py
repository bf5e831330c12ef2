"""Build, update and open a Hopper index (chunk store + dense + BM25 + optional components).

`build_index` is incremental: unchanged documents keep their chunks and embeddings, new or
changed ones are chunked and embedded, vanished ones are removed from every component.
Extra components (the knowledge graph, a Milvus backend) plug in through `IndexComponent`,
so this module knows nothing of them.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tools.chunking import chunk_documents, content_hash
from tools.errors import HopperError, IndexCorruptError, PathError, path_error
from tools.ingest import Format, IngestReport, iter_documents
from tools.progress import NullProgress, Progress
from tools.settings import IndexSettings
from tools.store import ChunkStore, GenerationWriter, Manifest, current_generation_dir, read_manifest, write_chunks
from tools.types import Chunk, Document

log = logging.getLogger(__name__)


@dataclass
class BuildContext:
    """What a component sees while a new generation is written."""

    gen_dir: Path
    prev_dir: Path | None
    settings: IndexSettings
    chunks: list[Chunk]
    vectors: np.ndarray
    added: list[Chunk]
    removed_ids: set[str]
    added_docs: set[str]
    removed_docs: set[str]
    progress: Progress
    index_dir: Path


class IndexComponent(Protocol):
    """A part of an index built from the chunks (dense, BM25, graph, Milvus collection)."""

    name: str

    def build(self, ctx: BuildContext) -> dict[str, int]:
        """Write this component into `ctx.gen_dir`; return counts for the manifest."""
        ...


class DenseComponent:
    name = "dense"

    def build(self, ctx: BuildContext) -> dict[str, int]:
        from tools.dense import build_faiss, save_faiss

        index = build_faiss(ctx.vectors, ctx.settings.dense)
        save_faiss(index, ctx.gen_dir / "dense.faiss")
        return {"vectors": int(index.ntotal)}


class BM25Component:
    name = "bm25"

    def build(self, ctx: BuildContext) -> dict[str, int]:
        from tools.sparse import BM25Index

        ctx.progress.start("bm25", None)
        bm25 = BM25Index(ctx.settings.bm25).build([_bm25_text(c) for c in ctx.chunks])
        bm25.save(ctx.gen_dir / "bm25")
        ctx.progress.finish("bm25")
        return {}


def _bm25_text(chunk: Chunk) -> str:
    return f"{chunk.title}\n{chunk.text}"


def embed_text(chunk: Chunk) -> str:
    """What the embedder sees for a chunk: its title, then its text."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title and chunk.title not in chunk.text[:200] else chunk.text


@dataclass
class BuildResult:
    manifest: Manifest
    report: IngestReport
    added_docs: int = 0
    changed_docs: int = 0
    removed_docs: int = 0
    unchanged_docs: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _writer_lock(index_dir: Path):
    """Hold the index's writer lock; any `OSError` on the index folder becomes a one-line `PathError`.

    The folder is checked for writing before any work starts (not after hours of embedding).
    """
    if index_dir.exists() and not index_dir.is_dir():
        raise PathError(f"--index {index_dir} is a file, not a folder: name a folder (it is created if missing)")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = (index_dir / ".lock").open("w")
    except OSError as exc:
        raise path_error(exc, index_dir, "write the index in") from None
    with fh:
        try:
            probe = index_dir / f".write-test-{os.getpid()}"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise path_error(exc, index_dir, "write the index in") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise HopperError(f"{index_dir} is being indexed by another process; wait for it to finish") from exc
        try:
            yield
        except OSError as exc:
            if not str(exc.filename or "").startswith(str(index_dir)):
                raise
            raise path_error(exc, index_dir, "write the index in") from exc


def _resolve_roots(paths: Sequence[str | Path]) -> list[str]:
    """Absolute forms of the paths to index; a symbolic link loop is a one-line `PathError`."""
    roots = []
    for p in paths:
        try:
            roots.append(str(Path(p).resolve()))
        except (OSError, RuntimeError) as exc:  # Python 3.11 reports a link loop as RuntimeError
            raise PathError(f"{p}: a symbolic link loop; remove the link or name the real path") from exc
    return roots


def build_index(paths: Sequence[str | Path], index_dir: str | Path, settings: IndexSettings | None = None, *,
                fmt: Format = "auto", rebuild: bool = False, components: Iterable[IndexComponent] = (),
                progress: Progress | None = None, documents: Iterable[Document] | None = None) -> BuildResult:
    """Index `paths` (or ready `documents`) into `index_dir`, incrementally unless `rebuild`.

    Documents from roots indexed earlier but not named now are kept; documents under a named
    root that no longer exist are removed. With no paths, every recorded root is re-synced.
    """
    t0 = time.perf_counter()
    settings = settings or IndexSettings()
    progress = progress or NullProgress()
    index_dir = Path(index_dir)
    named_roots = _resolve_roots(paths)
    with _writer_lock(index_dir):
        if settings.backend.kind == "milvus":  # fail before hours of embedding, not after
            from tools.milvus import check_reachable

            check_reachable(settings, index_dir)
        previous = None if rebuild else _readable_previous(index_dir)
        if previous and previous.settings.get("fingerprint") != settings.fingerprint():
            log.warning("index settings changed since the last run: rebuilding %s from scratch", index_dir)
            previous = None
        prev_dir = index_dir / previous.path if previous else None
        roots = named_roots
        if not roots and previous is not None:
            roots = list(previous.settings.get("roots", []))
        all_roots = sorted(set(roots) | set(previous.settings.get("roots", []) if previous else []))

        report = IngestReport()
        progress.start("read", None)
        docs: dict[str, Document] = {}
        source_iter = documents if documents is not None else iter_documents([Path(r) for r in roots], fmt,
                                                                              settings.chunk.max_file_mb, report)
        for doc in source_iter:
            if doc.doc_id in docs:
                log.warning("duplicate document id %s (%s); keeping the later one", doc.doc_id, doc.source)
            docs[doc.doc_id] = doc
            progress.advance("read")
        if documents is not None:
            report.documents = len(docs)
        progress.finish("read")

        prev_docs: dict[str, dict[str, Any]] = {}
        prev_chunks: dict[str, Chunk] = {}
        prev_vectors = None
        if prev_dir is not None:
            store = ChunkStore.load(prev_dir)
            prev_docs, prev_chunks = store.docs, {c.chunk_id: c for c in store.chunks}
            prev_vectors = np.load(prev_dir / "vectors.npy", mmap_mode="r")
            prev_rows = {c.chunk_id: i for i, c in enumerate(store.chunks)}

        scanned_roots = set(roots)
        keep_prev = {d: meta for d, meta in prev_docs.items()
                     if d not in docs and meta.get("root") not in scanned_roots and documents is None}
        unchanged = {d for d, doc in docs.items() if d in prev_docs and prev_docs[d]["hash"] == doc.content_hash}
        changed = {d for d in docs if d in prev_docs and d not in unchanged}
        added = {d for d in docs if d not in prev_docs}
        removed = set(prev_docs) - set(docs) - set(keep_prev)

        to_chunk = [docs[d] for d in sorted(added | changed)]
        new_chunks = chunk_documents(to_chunk, settings.chunk)
        new_by_doc: dict[str, list[Chunk]] = {}
        for c in new_chunks:
            new_by_doc.setdefault(c.doc_id, []).append(c)

        from tools.embed import Embedder

        embedder = Embedder(settings.embed)
        t_embed = time.perf_counter()
        progress.start("embed", len(new_chunks))
        new_vectors = embedder.encode([embed_text(c) for c in new_chunks],
                                      progress=lambda n: progress.advance("embed", n))
        progress.finish("embed")
        embed_seconds = time.perf_counter() - t_embed
        new_rows = {c.chunk_id: i for i, c in enumerate(new_chunks)}

        chunks: list[Chunk] = []
        vec_parts: list[np.ndarray] = []
        docs_meta: dict[str, dict[str, Any]] = {}
        root_of = _root_lookup(roots)
        for doc_id in sorted(set(docs) | set(keep_prev)):
            if doc_id in keep_prev or doc_id in unchanged:
                meta = dict(prev_docs[doc_id])
                if doc_id in docs:
                    meta["source"] = docs[doc_id].source
                doc_chunks = [prev_chunks[cid] for cid in meta["chunks"]]
                rows = [prev_rows[cid] for cid in meta["chunks"]]
                vec_parts.append(np.asarray(prev_vectors[rows]) if rows else np.zeros((0, embedder.dim), np.float32))
            else:
                doc = docs[doc_id]
                doc_chunks = new_by_doc.get(doc_id, [])
                rows = [new_rows[c.chunk_id] for c in doc_chunks]
                vec_parts.append(new_vectors[rows])
                meta = {"title": doc.title, "source": doc.source, "hash": doc.content_hash,
                        "root": root_of(doc.source), "chunks": [c.chunk_id for c in doc_chunks],
                        "chars": len(doc.text)}
            chunks.extend(doc_chunks)
            docs_meta[doc_id] = meta
        vectors = np.concatenate(vec_parts) if vec_parts else np.zeros((0, embedder.dim), np.float32)

        writer = GenerationWriter(index_dir, previous)
        try:
            write_chunks(writer.tmp_dir / "chunks.jsonl", chunks)
            (writer.tmp_dir / "docs.json").write_text(json.dumps(docs_meta, ensure_ascii=False))
            np.save(writer.tmp_dir / "vectors.npy", vectors)
            prev_ids = set(prev_chunks)
            cur_ids = {c.chunk_id for c in chunks}
            ctx = BuildContext(
                gen_dir=writer.tmp_dir, prev_dir=prev_dir, settings=settings, chunks=chunks, vectors=vectors,
                added=[c for c in chunks if c.chunk_id in new_rows],
                removed_ids=(prev_ids - cur_ids) | {cid for d in changed for cid in prev_docs[d]["chunks"]},
                added_docs=added | changed, removed_docs=removed | changed, progress=progress,
                index_dir=index_dir,
            )
            counts: dict[str, int] = {"documents": len(docs_meta), "chunks": len(chunks)}
            timings = {"embed": embed_seconds}
            names = []
            if settings.backend.kind == "milvus":
                from tools.milvus import MilvusComponent

                base: list[IndexComponent] = [MilvusComponent()]
            else:
                base = [DenseComponent(), BM25Component()]
            for component in [*base, *components]:
                t = time.perf_counter()
                counts.update(component.build(ctx) or {})
                timings[component.name] = time.perf_counter() - t
                names.append(component.name)
            manifest = writer.publish(
                {"fingerprint": settings.fingerprint(), "full": _public_settings(settings), "roots": all_roots,
                 "embedder": embedder.name, "dim": embedder.dim},
                counts, names, corpus_hash=content_hash(*sorted(m["hash"] for m in docs_meta.values())),
            )
        except BaseException:
            writer.abort()
            raise
        return BuildResult(manifest, report, len(added), len(changed), len(removed), len(unchanged),
                           len(new_chunks), time.perf_counter() - t0, timings)


def _public_settings(settings: IndexSettings) -> dict[str, Any]:
    """Settings as recorded in the manifest: secrets left out, credentials cut from URIs."""
    full = dataclasses.asdict(settings)
    full["backend"]["milvus_token"] = ""
    if settings.backend.milvus_uri:
        from tools.milvus_conn import redact

        full["backend"]["milvus_uri"] = redact(settings.backend.milvus_uri)
    return full


def _readable_previous(index_dir: Path) -> Manifest | None:
    try:
        manifest = read_manifest(index_dir)
    except IndexCorruptError as exc:
        log.warning("%s; starting a fresh index", exc)
        return None
    if manifest and not (index_dir / manifest.path).is_dir():
        log.warning("generation %s is missing; starting a fresh index", manifest.path)
        return None
    return manifest


def _root_lookup(roots: list[str]):
    ordered = sorted(roots, key=len, reverse=True)

    def root_of(source: str) -> str:
        path = source.split("#", 1)[0]
        for root in ordered:
            if path == root or path.startswith(root.rstrip("/") + "/"):
                return root
        return ordered[0] if ordered else ""

    return root_of


def settings_from_manifest(manifest: Manifest, base: IndexSettings | None = None) -> IndexSettings:
    """Index-time settings come from the manifest; query-time knobs (fusion, HNSW ef) from `base`."""
    from tools.settings import BM25Settings, ChunkSettings, EmbedSettings

    base = base or IndexSettings()
    full = manifest.settings.get("full", {})
    out = dataclasses.replace(base)
    if full:
        out.chunk = ChunkSettings(**full["chunk"])
        embed = EmbedSettings(**full["embed"])
        embed.batch_size, embed.threads = base.embed.batch_size, base.embed.threads
        out.embed = embed
        out.bm25 = BM25Settings(**full["bm25"])
        out.graph = full.get("graph", base.graph)
        out.backend = dataclasses.replace(base.backend, kind=full["backend"]["kind"],
                                          milvus_uri=base.backend.milvus_uri or full["backend"]["milvus_uri"])
    return out


class Index:
    """A finished index generation opened for reading; parts load lazily."""

    def __init__(self, index_dir: str | Path, settings: IndexSettings | None = None):
        self.dir = Path(index_dir)
        self.manifest, self.gen_dir = current_generation_dir(self.dir)
        self.settings = settings_from_manifest(self.manifest, settings)
        self._store: ChunkStore | None = None
        self._embedder = None
        self._faiss = None
        self._bm25 = None
        self._links = None

    @property
    def generation(self) -> int:
        return self.manifest.generation

    @property
    def store(self) -> ChunkStore:
        if self._store is None:
            self._store = ChunkStore.load(self.gen_dir)
        return self._store

    @property
    def embedder(self):
        if self._embedder is None:
            from tools.embed import Embedder

            self._embedder = Embedder(self.settings.embed)
        return self._embedder

    @property
    def faiss(self):
        if self._faiss is None:
            from tools.dense import load_faiss

            self._faiss = load_faiss(self.gen_dir / "dense.faiss", self.settings.dense)
        return self._faiss

    @property
    def bm25(self):
        if self._bm25 is None:
            from tools.sparse import BM25Index

            self._bm25 = BM25Index.load(self.gen_dir / "bm25", self.settings.bm25)
        return self._bm25

    @property
    def links(self):
        """Title links between documents (`tools.links.TitleLinks`), built on first use."""
        if self._links is None:
            from tools.links import TitleLinks

            self._links = TitleLinks(self.store)
        return self._links

    def has(self, component: str) -> bool:
        return component in self.manifest.components

    def retriever(self, name: str):
        """`bm25`, `dense` or `hybrid` (other kinds are assembled by the agent layer)."""
        from tools.retrievers import make_retriever

        return make_retriever(self, name)

    def warm(self) -> None:
        """Load every part now (so the first query is not slow)."""
        _ = self.store
        if self.settings.backend.kind != "milvus":  # Milvus holds its own dense and BM25 parts
            _ = self.bm25, self.faiss
        self.embedder.encode_query("warm up")
