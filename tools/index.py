"""Build, update and open a Hopper index (chunk store + dense + BM25 + optional components).

`build_index` is incremental: unchanged documents keep their chunks and embeddings, new or
changed ones are chunked and embedded, vanished ones are removed from every component.
Where vectors and BM25 terms are kept is the backend's business (`tools.backends`: local
files or Milvus); extra components (the knowledge graph) plug in through `IndexComponent`,
so this module knows nothing of either.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.backends import Backend, BuildContext, IndexComponent, select_backend
from tools.backends.milvus_conn import redact
from tools.chunking import chunk_documents, content_hash, embed_text
from tools.dense import load_faiss
from tools.embed import Embedder
from tools.errors import HopperError, IndexCorruptError, PathError, path_error
from tools.ingest import Format, IngestReport, iter_documents
from tools.jsonfile import to_json
from tools.links import TitleLinks
from tools.progress import NullProgress, Progress
from tools.settings import BM25Settings, ChunkSettings, EmbedSettings, IndexSettings
from tools.sparse import BM25Index
from tools.store import (
    ChunkStore,
    GenerationWriter,
    Manifest,
    open_generation,
    read_manifest,
    write_chunks,
)
from tools.types import Chunk, Document, Retriever

log = logging.getLogger(__name__)


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
        raise PathError(f"--index {index_dir} is a file, not a folder: "
                        f"name a folder (it is created if missing)")
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
            raise HopperError(f"{index_dir} is being indexed by another process; "
                              "wait for it to finish") from exc
        try:
            yield
        except OSError as exc:  # one without a file name is a write of the index too (np.save, FAISS)
            if exc.filename and not str(exc.filename).startswith(str(index_dir)):
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
        backend = select_backend(settings.backend.kind)
        backend.check(settings, index_dir)  # fail before hours of embedding, not after
        live = _readable_previous(index_dir)  # served until the new generation replaces it
        prev = _Previous.open(index_dir, live, settings, rebuild)
        roots = named_roots or prev.roots or (list(live.settings.get("roots", [])) if live else [])
        report = IngestReport()
        source = documents if documents is not None else iter_documents(
            [Path(r) for r in roots], fmt, settings.chunk.max_file_mb, report)
        docs = _read_documents(source, progress)
        if documents is not None:
            report.documents = len(docs)
        plan = _Plan.diff(docs, prev, set(roots), keep_other_roots=documents is None)

        embedder = Embedder(settings.embed)
        t_embed = time.perf_counter()
        new_chunks = chunk_documents([docs[d] for d in sorted(plan.added | plan.changed)], settings.chunk)
        progress.start("embed", len(new_chunks))
        new_vectors = embedder.encode([embed_text(c) for c in new_chunks],
                                      progress=lambda n: progress.advance("embed", n))
        progress.finish("embed")
        timings = {"embed": time.perf_counter() - t_embed}
        chunks, vectors, docs_meta = _assemble(plan, prev, new_chunks, new_vectors, _root_lookup(roots),
                                               embedder.dim)
        record = {"fingerprint": settings.fingerprint(), "full": _public_settings(settings),
                  "roots": sorted(set(roots) | set(prev.roots)), "embedder": embedder.name,
                  "dim": embedder.dim}
        writer = GenerationWriter(index_dir, live)
        try:
            write_chunks(writer.tmp_dir / "chunks.jsonl", chunks)
            (writer.tmp_dir / "docs.json").write_text(to_json(docs_meta), encoding="utf-8")
            np.save(writer.tmp_dir / "vectors.npy", vectors)
            new_ids = {c.chunk_id for c in new_chunks}
            ctx = BuildContext(
                gen_dir=writer.tmp_dir, prev_dir=prev.dir, settings=settings, chunks=chunks, vectors=vectors,
                added=[c for c in chunks if c.chunk_id in new_ids],
                removed_ids=(set(prev.chunks) - {c.chunk_id for c in chunks})
                | {cid for d in plan.changed for cid in prev.docs[d]["chunks"]},
                added_docs=plan.added | plan.changed, removed_docs=plan.removed | plan.changed,
                progress=progress, index_dir=index_dir,
            )
            counts: dict[str, int] = {"documents": len(docs_meta), "chunks": len(chunks)}
            names = []
            for component in [*backend.components(), *components]:
                t = time.perf_counter()
                counts.update(component.build(ctx) or {})
                timings[component.name] = time.perf_counter() - t
                names.append(component.name)
            corpus_hash = content_hash(*sorted(m["hash"] for m in docs_meta.values()))
            manifest = writer.publish(record, counts, names, corpus_hash=corpus_hash)
        except BaseException:
            writer.abort()
            raise
        return BuildResult(manifest, report, len(plan.added), len(plan.changed), len(plan.removed),
                           len(plan.unchanged), len(new_chunks), time.perf_counter() - t0, timings)


@dataclass
class _Previous:
    """The generation an incremental build starts from (all empty for a fresh index)."""

    manifest: Manifest | None = None
    dir: Path | None = None
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    chunks: dict[str, Chunk] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    vectors: np.ndarray | None = None

    @property
    def roots(self) -> list[str]:
        return list(self.manifest.settings.get("roots", [])) if self.manifest else []

    @classmethod
    def open(cls, index_dir: Path, live: Manifest | None, settings: IndexSettings,
             rebuild: bool) -> _Previous:
        manifest = None if rebuild else live
        if manifest and manifest.settings.get("fingerprint") != settings.fingerprint():
            log.warning("index settings changed since the last run: rebuilding %s from scratch", index_dir)
            manifest = None
        if manifest is None:
            return cls()
        gen_dir = index_dir / manifest.path
        store = ChunkStore.load(gen_dir)
        return cls(manifest, gen_dir, store.docs, {c.chunk_id: c for c in store.chunks},
                   {c.chunk_id: i for i, c in enumerate(store.chunks)},
                   np.load(gen_dir / "vectors.npy", mmap_mode="r"))


@dataclass
class _Plan:
    """Which documents a build adds, changes, keeps and removes."""

    docs: dict[str, Document]
    keep: set[str]
    """Documents of roots not scanned this time, kept as they were."""
    unchanged: set[str]
    changed: set[str]
    added: set[str]
    removed: set[str]

    @classmethod
    def diff(cls, docs: dict[str, Document], prev: _Previous, scanned_roots: set[str],
             keep_other_roots: bool) -> _Plan:
        keep = {d for d, meta in prev.docs.items()
                if d not in docs and meta.get("root") not in scanned_roots and keep_other_roots}
        unchanged = {d for d, doc in docs.items()
                     if d in prev.docs and prev.docs[d]["hash"] == doc.content_hash}
        changed = {d for d in docs if d in prev.docs and d not in unchanged}
        added = {d for d in docs if d not in prev.docs}
        removed = set(prev.docs) - set(docs) - keep
        return cls(docs, keep, unchanged, changed, added, removed)


def _read_documents(source: Iterable[Document], progress: Progress) -> dict[str, Document]:
    progress.start("read", None)
    docs: dict[str, Document] = {}
    for doc in source:
        if doc.doc_id in docs:
            log.warning("duplicate document id %s (%s); keeping the later one", doc.doc_id, doc.source)
        docs[doc.doc_id] = doc
        progress.advance("read")
    progress.finish("read")
    return docs


def _assemble(plan: _Plan, prev: _Previous, new_chunks: list[Chunk], new_vectors: np.ndarray, root_of,
              dim: int) -> tuple[list[Chunk], np.ndarray, dict[str, dict[str, Any]]]:
    """The new generation's chunks, vectors and document records, in document order."""
    new_rows = {c.chunk_id: i for i, c in enumerate(new_chunks)}
    new_by_doc: dict[str, list[Chunk]] = {}
    for c in new_chunks:
        new_by_doc.setdefault(c.doc_id, []).append(c)
    chunks: list[Chunk] = []
    vec_parts: list[np.ndarray] = [np.zeros((0, dim), np.float32)]
    docs_meta: dict[str, dict[str, Any]] = {}
    for doc_id in sorted(set(plan.docs) | plan.keep):
        if doc_id in plan.keep or doc_id in plan.unchanged:
            meta = dict(prev.docs[doc_id])
            if doc_id in plan.docs:
                meta["source"] = plan.docs[doc_id].source
            doc_chunks = [prev.chunks[cid] for cid in meta["chunks"]]
            rows = [prev.rows[cid] for cid in meta["chunks"]]
            if rows:
                vec_parts.append(np.asarray(prev.vectors[rows]))
        else:
            doc = plan.docs[doc_id]
            doc_chunks = new_by_doc.get(doc_id, [])
            vec_parts.append(new_vectors[[new_rows[c.chunk_id] for c in doc_chunks]])
            meta = {"title": doc.title, "source": doc.source, "hash": doc.content_hash,
                    "root": root_of(doc.source), "chunks": [c.chunk_id for c in doc_chunks],
                    "chars": len(doc.text)}
        chunks.extend(doc_chunks)
        docs_meta[doc_id] = meta
    return chunks, np.concatenate(vec_parts).astype(np.float32, copy=False), docs_meta


def _public_settings(settings: IndexSettings) -> dict[str, Any]:
    """Settings as recorded in the manifest: secrets left out, credentials cut from URIs."""
    full = dataclasses.asdict(settings)
    full["backend"]["milvus_token"] = ""
    if settings.backend.milvus_uri:
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
    base = base or IndexSettings()
    full = manifest.settings.get("full", {})
    out = dataclasses.replace(base)
    if full:
        out.chunk = ChunkSettings(**full["chunk"])
        embed = EmbedSettings(**{"precision": "fp32", **full["embed"]})  # indexes before int8 were fp32
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
        self.manifest, self.gen_dir, self._lease = open_generation(self.dir)
        self.settings = settings_from_manifest(self.manifest, settings)
        self._store: ChunkStore | None = None
        self._embedder = None
        self._faiss = None
        self._bm25 = None
        self._links = None
        self.backend: Backend = select_backend(self.settings.backend.kind)

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
            self._embedder = Embedder(self.settings.embed)
        return self._embedder

    @property
    def faiss(self):
        if self._faiss is None:
            self._faiss = load_faiss(self.gen_dir / "dense.faiss", self.settings.dense)
        return self._faiss

    @property
    def bm25(self):
        if self._bm25 is None:
            self._bm25 = BM25Index.load(self.gen_dir / "bm25", self.settings.bm25)
        return self._bm25

    @property
    def links(self):
        """Title links between documents (`tools.links.TitleLinks`), built on first use."""
        if self._links is None:
            self._links = TitleLinks(self.store)
        return self._links

    def close(self) -> None:
        """Let go of the generation (a writer may then delete it once a newer one is published)."""
        self._lease.close()

    def has(self, component: str) -> bool:
        return component in self.manifest.components

    def retriever(self, name: str) -> Retriever:
        """`bm25`, `dense` or `hybrid` from the index's backend (the agent layer adds the graph ones)."""
        return self.backend.retriever(self, name)

    def warm(self) -> None:
        """Load every part now (so the first query is not slow)."""
        _ = self.store
        self.backend.warm(self)
        self.embedder.encode_query("warm up")
