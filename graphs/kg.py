"""`KnowledgeGraph`: a loaded graph with the lookups that retrieval and the tools share.

Holds the networkx graph, node-name embeddings and, built lazily once, the sparse matrices
personalized PageRank runs on: entity-entity edges plus (HippoRAG 2 style) passage nodes
joined to the entities they mention.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graphs.algorithms import normalize_rows
from graphs.build import node_label
from graphs.settings import GraphSettings
from graphs.store import load_graph, load_vectors

KIND_WEIGHT = {"relation": 1.0, "cooccur": 1.0, "topic": 1.0, "synonym": 1.0}
"""Base edge weight by kind (a synonym edge's weight is also scaled by its score)."""


class KnowledgeGraph:
    def __init__(self, graph: nx.MultiDiGraph, meta: dict[str, Any] | None = None,
                 vectors: tuple[list[str], np.ndarray] | None = None, folder: Path | None = None):
        self.graph = graph
        self.meta = meta or {}
        self.folder = folder
        self.settings = GraphSettings.from_dict(self.meta.get("settings", {}))
        self.keys: list[str] = list(graph.nodes)
        self.row = {k: i for i, k in enumerate(self.keys)}
        self._vectors = vectors

    @classmethod
    def load(cls, folder: str | Path) -> KnowledgeGraph:
        folder = Path(folder)
        graph, meta = load_graph(folder)
        return cls(graph, meta, load_vectors(folder), folder)

    # ------------------------------------------------------------------ lookups
    @cached_property
    def vector_keys(self) -> list[str]:
        """The embedded nodes (rows of `vectors`): named entities and titles, or every node."""
        return [k for k in (self._vectors[0] if self._vectors else []) if k in self.row]

    @cached_property
    def vectors(self) -> np.ndarray | None:
        """Node-name embeddings, row i for `vector_keys[i]` (None when not built)."""
        if self._vectors is None:
            return None
        keys, vecs = self._vectors
        pos = {k: i for i, k in enumerate(keys)}
        return np.ascontiguousarray(vecs[[pos[k] for k in self.vector_keys]])

    @cached_property
    def _adjacency(self) -> dict[str, list[str]]:
        adj: dict[str, dict[str, None]] = {k: {} for k in self.keys}
        for u, v in self.graph.edges():
            adj[u][v] = None
            adj[v][u] = None
        return {k: list(nbrs) for k, nbrs in adj.items()}

    def neighbors(self, key: str) -> list[str]:
        """Nodes joined to `key` by an edge in either direction."""
        return self._adjacency.get(key, [])

    def name(self, key: str) -> str:
        return self.graph.nodes[key].get("name", key) if key in self.graph else key

    def label(self, key: str) -> str:
        return node_label(self.graph.nodes[key]) if key in self.graph else ""

    def chunks_of(self, key: str) -> dict[str, int]:
        return self.graph.nodes[key].get("chunks", {}) if key in self.graph else {}

    def df(self, key: str) -> int:
        return max(1, len(self.chunks_of(key)))

    def edges_between(self, u: str, v: str) -> list[tuple[str, str, dict]]:
        """Every edge joining `u` and `v`, as (source, target, data), either direction."""
        out = []
        for a, b in ((u, v), (v, u)):
            for data in (self.graph.get_edge_data(a, b) or {}).values():
                out.append((a, b, data))
        return out

    @cached_property
    def chunk_ids(self) -> list[str]:
        ids: dict[str, None] = {}
        for _, data in self.graph.nodes(data=True):
            ids.update(dict.fromkeys(data.get("chunks", {})))
        return list(ids)

    @cached_property
    def chunk_nodes(self) -> dict[str, list[str]]:
        """chunk id -> the nodes mentioned in it."""
        out: dict[str, list[str]] = {}
        for key in self.keys:
            for cid in self.chunks_of(key):
                out.setdefault(cid, []).append(key)
        return out

    @cached_property
    def chunk_col(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chunk_ids)}

    @cached_property
    def incidence(self):
        """CSR (nodes x chunks): 1 where a node is mentioned in a chunk."""
        return self.weighted_incidence(1.0)

    def weighted_incidence(self, title_weight: float):
        """CSR (nodes x chunks): 1 where a node is mentioned in a chunk, `title_weight` where the
        node is the chunk's document title (the passage is about it)."""
        import scipy.sparse as sp  # heavy: scipy, loaded when first needed

        titles = self.graph.graph.get("titles", {})
        rows, cols, vals = [], [], []
        for r, key in enumerate(self.keys):
            for cid in self.chunks_of(key):
                rows.append(r)
                cols.append(self.chunk_col[cid])
                vals.append(title_weight if titles.get(cid) == key else 1.0)
        return sp.csr_array((vals, (rows, cols)), shape=(len(self.keys), len(self.chunk_ids)))

    @cached_property
    def node_chunk_count(self) -> np.ndarray:
        return np.asarray(self.incidence.sum(axis=1)).ravel()

    def entity_adjacency(self):
        """Symmetric CSR (nodes x nodes) of edge weights, parallel edges summed."""
        import scipy.sparse as sp  # heavy: scipy, loaded when first needed

        rows, cols, vals = [], [], []
        for u, v, data in self.graph.edges(data=True):
            w = KIND_WEIGHT.get(data.get("kind", "relation"), 1.0)
            if data.get("kind") == "synonym":
                w *= float(data.get("score", 1.0))
            else:
                w *= 1.0 + math.log(max(1, len(data.get("chunks", {}))))
            rows.append(self.row[u])
            cols.append(self.row[v])
            vals.append(w)
        n = len(self.keys)
        adj = sp.csr_array((vals, (rows, cols)), shape=(n, n))
        return adj + adj.T

    def ppr_system(self, passage_weight: float, title_weight: float = 1.0):
        """(P^T, dangling mask, n_nodes) over entity nodes plus, when `passage_weight` > 0,
        one passage node per chunk (rows after the entities). Cached per weights."""
        cache = self.__dict__.setdefault("_ppr_cache", {})
        if (passage_weight, title_weight) not in cache:
            import scipy.sparse as sp  # heavy: scipy, loaded when first needed

            adj = self.entity_adjacency()
            if passage_weight > 0:
                inc = self.weighted_incidence(title_weight) * passage_weight
                adj = sp.block_array([[adj, inc], [inc.T, None]], format="csr")
            trans_t, dangling = normalize_rows(adj)
            cache[passage_weight, title_weight] = (trans_t, dangling, len(self.keys))
        return cache[passage_weight, title_weight]
