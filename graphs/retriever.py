"""The graph retriever: link the query's entities, run personalized PageRank, rank chunks.

Seeds are the linked nodes weighted by link confidence and specificity; PageRank spreads
their mass over entity edges and, HippoRAG 2 style, through passage nodes joined to the
entities they mention. Chunks rank by the mass of their passage node (or, with
`passage_weight = 0`, by the summed mass of their entities). Each hit's `why` names the
seed and chunk entities and the edges inside the chunk that join them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import numpy as np

from graphs.algorithms import personalized_pagerank
from graphs.component import BUILD_FIELDS
from graphs.extract import SpacyExtractor
from graphs.kg import KnowledgeGraph
from graphs.link import Link, link_query, seed_weights
from graphs.settings import GraphSettings
from tools.types import Hit

log = logging.getLogger(__name__)


def query_settings(built: GraphSettings, wanted: GraphSettings | None) -> GraphSettings:
    """Build-time fields from the graph as built, query-time fields from `wanted` (or defaults)."""
    wanted = wanted or GraphSettings()
    return dataclasses.replace(wanted, **{f: getattr(built, f) for f in BUILD_FIELDS})


_EDGE_RANK = {"relation": 0, "synonym": 1, "cooccur": 2, "topic": 3}


@dataclasses.dataclass
class GraphResult:
    """What one graph search computed (kept for tools and explanations)."""

    links: list[Link]
    seeds: dict[str, float]
    node_mass: np.ndarray
    chunk_scores: dict[str, float]
    seconds: float


class GraphRetriever:
    """`search(query, k) -> list[Hit]` over the knowledge graph of an opened `tools.index.Index`.

    Args:
        index: the opened index (its `gen_dir/graph`, `store` and `embedder` are used).
        settings: query-time settings (e.g. `HopperConfig.graph`); default `GraphSettings()`.
            Build-time fields always come from the graph's own `meta.json`.
    """

    name = "graph"

    def __init__(self, index, settings: GraphSettings | None = None, kg: KnowledgeGraph | None = None):
        self.index = index
        self._settings = settings
        self._kg = kg
        self._extractor = None
        self._lock = threading.Lock()

    @property
    def kg(self) -> KnowledgeGraph:
        with self._lock:
            if self._kg is None:
                self._kg = KnowledgeGraph.load(self.index.gen_dir / "graph")
                self._kg.settings = query_settings(self._kg.settings, self._settings)
        return self._kg

    @property
    def settings(self) -> GraphSettings:
        return self.kg.settings

    @property
    def extractor(self):
        if self._extractor is None and self.settings.extractor != "none":
            self._extractor = SpacyExtractor(self.settings)
        return self._extractor

    def warm(self) -> None:
        kg = self.kg
        kg.ppr_system(self.settings.passage_weight, self.settings.title_weight)
        self.run("warm up")

    def run(self, query: str) -> GraphResult:
        """Link, seed and run PageRank; chunk scores for every reached chunk."""
        t0 = time.perf_counter()
        kg, s = self.kg, self.settings
        embedder = self.index.embedder if kg.vectors is not None else None
        links = link_query(kg, query, self.extractor, embedder)
        seeds = seed_weights(kg, links, s.max_seeds, s.max_node_share, s.seed_specificity, s.noun_seed_weight)
        n_nodes = len(kg.keys)
        if not seeds:
            return GraphResult(links, seeds, np.zeros(n_nodes), {}, time.perf_counter() - t0)
        trans_t, dangling, _ = kg.ppr_system(s.passage_weight, s.title_weight)
        p = np.zeros(trans_t.shape[0])
        for key, w in seeds.items():
            p[kg.row[key]] = w
        mass = personalized_pagerank(trans_t, dangling, p, s.damping)
        if s.passage_weight > 0:
            scores = mass[n_nodes:]
        else:
            scores = kg.incidence.T @ mass[:n_nodes]
        nz = np.flatnonzero(scores > 0)
        chunk_scores = {kg.chunk_ids[i]: float(scores[i]) for i in nz}
        return GraphResult(links, seeds, mass[:n_nodes], chunk_scores, time.perf_counter() - t0)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        if not query.strip():
            return []
        result = self.run(query)
        store = self.index.store
        ranked = sorted(result.chunk_scores.items(), key=lambda kv: (-kv[1], kv[0]))
        hits = []
        for cid, score in ranked:
            if cid not in store:
                continue
            hits.append(Hit.from_chunk(store.get(cid), score, self.name, **self.explain(result, cid)))
            if len(hits) >= k:
                break
        return hits

    def explain(self, result: GraphResult, chunk_id: str, top: int = 5) -> dict[str, list]:
        """The entities (seeds first, then by PageRank mass) and edges behind a chunk's score."""
        kg = self.kg
        in_chunk = sorted(kg.chunk_nodes.get(chunk_id, ()), key=lambda key: -result.node_mass[kg.row[key]])
        here = set(in_chunk)
        seeds_here = [key for key in result.seeds if key in here]
        entities = list(dict.fromkeys([*seeds_here, *in_chunk]))[:top]
        edges = []
        focus = list(dict.fromkeys([*entities, *result.seeds]))
        for key in entities:
            for nb in focus:
                if nb == key:
                    continue
                for u, v, data in kg.edges_between(key, nb):
                    if chunk_id in data.get("chunks", {}):
                        rank = _EDGE_RANK.get(data.get("kind", "relation"), 3)
                        rel = data.get("relation", data.get("kind"))
                        edges.append((rank, f"{kg.name(u)} -[{rel}]-> {kg.name(v)}"))
        edges = list(dict.fromkeys(text for _, text in sorted(edges, key=lambda e: e[0])))
        return {"entities": [kg.name(e) for e in entities], "edges": edges[:top],
                "seeds": [kg.name(s) for s in seeds_here]}
