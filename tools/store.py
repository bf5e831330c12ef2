"""The chunk store and the versioned, atomically swapped index layout.

Layout of an index folder::

    DIR/manifest.json          {"format": "hopper-index", "version": 1, "generation": N,
                                "path": "gen-00000N", "settings": {...}, "counts": {...}}
    DIR/gen-00000N/chunks.jsonl   one chunk per line; row i is vector i
    DIR/gen-00000N/docs.json      doc_id -> {title, source, hash, chunks}
    DIR/gen-00000N/vectors.npy    float32, L2-normalised chunk embeddings
    DIR/gen-00000N/dense.faiss    FAISS index over vectors.npy
    DIR/gen-00000N/bm25/          bm25s index
    DIR/gen-00000N/graph/         knowledge graph (graphs package), when built

A new generation is written aside in `DIR/.tmp-gen-*`, renamed into place, and only then
does `manifest.json` (replaced atomically) point at it. A crash at any moment leaves the
previous generation intact and in use; the next run deletes the leftovers. This holds for a
`--rebuild` and every forced rewrite too: the new generation is numbered after every folder
present, so it never replaces the one being served.

Readers hold a generation while they use it: `open_generation` takes a shared `flock` on the
generation folder. A writer removes an old generation only after the manifest swap, and only
when it can take that lock exclusively (no reader holds it); otherwise a later run removes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from tools.errors import IndexCorruptError, IndexNotFoundError
from tools.jsonfile import REBUILD, iter_jsonl, read_versioned, to_json
from tools.types import Chunk

log = logging.getLogger(__name__)

FORMAT = "hopper-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    generation: int
    path: str
    settings: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    components: list[str] = field(default_factory=list)
    corpus_hash: str = ""
    created: float = 0.0
    format: str = FORMAT
    version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "version": self.version, "generation": self.generation,
                "path": self.path, "created": self.created, "settings": self.settings,
                "counts": self.counts, "components": self.components, "corpus_hash": self.corpus_hash}


def read_manifest(index_dir: Path) -> Manifest | None:
    """The manifest of the index in `index_dir`, or None when there is no finished index."""
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        return None
    data = read_versioned(path, FORMAT, FORMAT_VERSION, "index")
    try:
        return Manifest(generation=int(data["generation"]), path=data["path"],
                        settings=data.get("settings", {}), counts=data.get("counts", {}),
                        components=data.get("components", []),
                        corpus_hash=data.get("corpus_hash", ""), created=data.get("created", 0.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(f"{path} lacks {exc}; {REBUILD}") from exc


def current_generation_dir(index_dir: Path) -> tuple[Manifest, Path]:
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    if manifest is None:
        interrupted = any(index_dir.glob(".tmp-gen-*"))
        hint = " (an indexing run was interrupted before finishing)" if interrupted else ""
        raise IndexNotFoundError(f"no finished index in {index_dir}{hint}; "
                                 f"run `hopper index PATH --index {index_dir}`")
    gen_dir = index_dir / manifest.path
    if not gen_dir.is_dir():
        raise IndexCorruptError(f"{gen_dir} named by the manifest is missing; rebuild with --rebuild")
    return manifest, gen_dir


def write_chunks(path: Path, chunks: list[Chunk]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(to_json(chunk.to_dict()) + "\n")


def read_chunks(path: Path) -> list[Chunk]:
    """Every chunk of a `chunks.jsonl`, in row order."""
    return [chunk for _, chunk in iter_jsonl(path, Chunk.from_dict, fix=REBUILD)]


class LazyChunks(Sequence[Chunk]):
    """The rows of a `chunks.jsonl`, each parsed on first access.

    Reading the file is one bulk read and a split into lines; a query that returns k hits parses
    k rows instead of the whole store, which is what a cold `hopper search` used to spend on a
    large index. A damaged row raises `IndexCorruptError` when it is reached.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            lines = path.read_bytes().split(b"\n")
        except OSError as exc:
            raise IndexCorruptError(f"{path}: cannot read ({exc.strerror or exc}); {REBUILD}") from exc
        if lines and not lines[-1].strip():
            lines.pop()
        self._lines: list[bytes | None] = lines
        self._chunks: list[Chunk | None] = [None] * len(lines)

    def __len__(self) -> int:
        return len(self._chunks)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        chunk = self._chunks[row]
        if chunk is None:
            line = self._lines[row]
            try:
                chunk = Chunk.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:  # as tools.jsonfile.iter_jsonl
                number = row + 1 if row >= 0 else len(self) + row + 1
                raise IndexCorruptError(
                    f"{self.path}:{number}: malformed JSON line ({exc}); {REBUILD}") from exc
            self._chunks[row], self._lines[row] = chunk, None
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        for i in range(len(self)):
            yield self[i]


class ChunkStore:
    """All chunks of one generation, addressable by row and by chunk id; rows parse lazily."""

    def __init__(self, chunks: Sequence[Chunk], docs: dict[str, dict[str, Any]] | Path):
        self.chunks = chunks
        self._docs = docs
        self._row: dict[str, int] | None = None

    @classmethod
    def load(cls, gen_dir: Path) -> ChunkStore:
        return cls(LazyChunks(gen_dir / "chunks.jsonl"), gen_dir / "docs.json")

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        if isinstance(self._docs, Path):
            try:
                self._docs = json.loads(self._docs.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise IndexCorruptError(f"{self._docs} is unreadable ({exc}); rebuild the index") from exc
        return self._docs

    @property
    def rows(self) -> dict[str, int]:
        """chunk id -> row (parses every row the first time it is needed)."""
        if self._row is None:
            self._row = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return self._row

    def __len__(self) -> int:
        return len(self.chunks)

    def __contains__(self, chunk_id: str) -> bool:
        return chunk_id in self.rows

    def get(self, chunk_id: str) -> Chunk:
        return self.chunks[self.rows[chunk_id]]

    def row(self, chunk_id: str) -> int:
        return self.rows[chunk_id]


class GenerationLease:
    """A reader's hold on one generation folder (a shared `flock` on the folder); `close` ends it.

    While any lease on a generation is open, no writer deletes it, whatever the manifest names.
    """

    def __init__(self, fd: int | None):
        self._fd = fd
        self._finalizer = weakref.finalize(self, _close_fd, fd)

    def close(self) -> None:
        self._finalizer()

    def __deepcopy__(self, memo) -> GenerationLease:  # a copied Index (dspy copies programs) holds it too
        alive = self._fd is not None and self._finalizer.alive
        return GenerationLease(os.dup(self._fd) if alive else None)  # a dup shares the flock


def _close_fd(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def _lock_folder(path: Path, mode: int) -> int | None:
    """An open descriptor of folder `path` locked with `mode`; None when `path` is gone.

    Raises `BlockingIOError` for a non-blocking lock that is held elsewhere. A file system
    without `flock` gives a descriptor without a lock (the generation is then unprotected).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, mode)
    except BlockingIOError:
        os.close(fd)
        raise
    except OSError as exc:  # e.g. ENOLCK on some network file systems
        log.debug("cannot lock %s (%s); reading it without a lease", path, exc)
    return fd


def open_generation(index_dir: Path, attempts: int = 5) -> tuple[Manifest, Path, GenerationLease]:
    """The current generation with a reader's lease on it (see `GenerationLease`).

    A writer that swapped the manifest and removed the old generation between our reading the
    manifest and taking the lease makes us read the manifest again.
    """
    index_dir = Path(index_dir)
    for _ in range(attempts):
        manifest, gen_dir = current_generation_dir(index_dir)
        fd = _lock_folder(gen_dir, fcntl.LOCK_SH)  # waits only while a writer is removing this folder
        if fd is not None:
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(gen_dir))
            except OSError:
                same = False
            if same:
                return manifest, gen_dir, GenerationLease(fd)
            os.close(fd)
    raise IndexCorruptError(f"{index_dir} keeps changing under this reader (another process is rewriting it "
                            "again and again); try again once indexing has finished")


def _generation_number(name: str) -> int | None:
    match = re.fullmatch(r"gen-(\d+)", name)
    return int(match.group(1)) if match else None


class GenerationWriter:
    """Writes a new generation aside and publishes it atomically.

    Args:
        index_dir: the index folder.
        previous: the manifest being served now (None when there is none or it is unreadable).
            It is kept until after the swap, also when the new generation is built from scratch.
    """

    def __init__(self, index_dir: Path, previous: Manifest | None):
        self.index_dir = Path(index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.previous = previous
        cleanup_leftovers(self.index_dir, keep=previous.path if previous else None,
                          older_only=True)
        present = [n for n in (_generation_number(p.name) for p in self.index_dir.iterdir()) if n is not None]
        self.generation = max([previous.generation if previous else 0, *present]) + 1
        self.name = f"gen-{self.generation:06d}"
        self.tmp_dir = self.index_dir / f".tmp-{self.name}-{os.getpid()}"
        self.tmp_dir.mkdir()

    def publish(self, settings: dict[str, Any], counts: dict[str, int], components: list[str],
                corpus_hash: str = "") -> Manifest:
        final = self.index_dir / self.name
        os.replace(self.tmp_dir, final)
        manifest = Manifest(self.generation, self.name, settings, counts, components, corpus_hash,
                            time.time())
        tmp = self.index_dir / f".{MANIFEST}.tmp-{os.getpid()}"
        tmp.write_text(to_json(manifest.to_dict(), indent=2), encoding="utf-8")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.index_dir / MANIFEST)
        cleanup_leftovers(self.index_dir, keep=self.name,
                          also_keep=self.previous.path if self.previous else None)
        return manifest

    def abort(self) -> None:
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


def cleanup_leftovers(index_dir: Path, keep: str | None, also_keep: str | None = None,
                      older_only: bool = False) -> None:
    """Remove unfinished temp folders, and generations other than the ones kept.

    Args:
        keep, also_keep: generation folder names never removed.
        older_only: remove only generations numbered below `keep` (none when `keep` is None):
            before a build, a newer folder may be a finished generation whose manifest is lost.
    """
    floor = _generation_number(keep) if keep else None
    for child in Path(index_dir).iterdir():
        name = child.name
        number = _generation_number(name)
        if name.startswith((".tmp-gen-", ".old-gen-")) and not name.endswith(f"-{os.getpid()}"):
            if child.is_dir():
                log.info("removing leftover %s", child)
                shutil.rmtree(child, ignore_errors=True)
        elif number is not None and name not in (keep, also_keep) and child.is_dir():
            if not older_only or (floor is not None and number < floor):
                _remove_generation(child)
        elif name.startswith(f".{MANIFEST}.tmp-"):
            child.unlink(missing_ok=True)


def _remove_generation(gen_dir: Path) -> None:
    """Delete an old generation unless a reader holds it (then a later run deletes it)."""
    try:
        fd = _lock_folder(gen_dir, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log.info("keeping %s: a reader still uses it (a later run removes it)", gen_dir)
        return
    if fd is None:
        return
    try:
        trash = gen_dir.with_name(f".old-{gen_dir.name}-{os.getpid()}")
        os.replace(gen_dir, trash)  # readers waiting for the lock then see the folder gone
        log.info("removing old generation %s", gen_dir)
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        os.close(fd)
