"""The storage backend protocol: what differs between keeping an index in local files and in Milvus.

`tools.index` builds and opens indexes through a `Backend` and never tests the backend
kind itself. A backend supplies the index components that store the chunks' vectors and
BM25 terms, the basic retrievers over them, the stored vectors of given chunks, and the
warm-up that loads its parts before the first query.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tools.progress import Progress
from tools.settings import IndexSettings
from tools.types import Chunk, Retriever

Index = Any
"""An opened `tools.index.Index` (not imported: `tools.index` itself builds on this module)."""

BASIC = ("bm25", "dense", "hybrid")
"""The retrievers every backend offers."""


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


class Backend(Protocol):
    """Where an index keeps its vectors and BM25 terms (`index.backend.kind`)."""

    kind: str

    def check(self, settings: IndexSettings, index_dir: Path) -> None:
        """Fail now (a `HopperError`) when the index cannot be written, before any embedding."""
        ...

    def components(self) -> list[IndexComponent]:
        """The components that store the chunks' vectors and BM25 terms."""
        ...

    def retriever(self, index: Index, name: str) -> Retriever:
        """The basic retriever `name` (one of `BASIC`) over an opened index.

        Raises:
            RetrieverUnavailableError: `name` is not one of `BASIC`.
        """
        ...

    def vectors(self, index: Index, chunks: list[Chunk]) -> np.ndarray | None:
        """The stored embeddings of `chunks` (one row each), or None when they cannot be read back."""
        ...

    def warm(self, index: Index) -> None:
        """Load the backend's parts now, so the first query is not slow."""
        ...
