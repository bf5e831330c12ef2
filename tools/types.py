"""Core value types shared by ingestion, retrieval, graphs and the agent."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(slots=True)
class Document:
    """One source document before chunking.

    Attributes:
        doc_id: Stable id: the file's path relative to the indexed root (POSIX), or the
            corpus id for `.jsonl` / HotpotQA corpora.
        title: Human title (first heading, `<title>`, corpus title, or file stem).
        text: Full plain text.
        source: Where it came from (absolute path, or `corpus.jsonl#L12`).
        content_hash: sha256 of `title + text`; decides whether re-indexing is needed.
    """

    doc_id: str
    title: str
    text: str
    source: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Chunk:
    """A passage of a document; the unit every index stores and every citation points at."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    source: str
    start: int
    end: int
    content_hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**{k: data[k] for k in cls.__slots__})  # type: ignore[attr-defined]


@dataclass(slots=True)
class Hit:
    """One retrieved chunk with its score and the retriever that found it.

    `why` carries retriever-specific provenance (e.g. the graph entities and edges that led
    to this chunk, or the per-retriever ranks behind a fused score).
    """

    chunk_id: str
    doc_id: str
    title: str
    text: str
    score: float
    retriever: str
    source: str = ""
    why: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float, retriever: str, **why: Any) -> Hit:
        return cls(chunk.chunk_id, chunk.doc_id, chunk.title, chunk.text, float(score),
                   retriever, chunk.source, dict(why))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Retriever(Protocol):
    """What every retriever offers: `search(query, k)` returning hits, best first."""

    name: str

    def search(self, query: str, k: int = 10) -> list[Hit]: ...
