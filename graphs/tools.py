"""Agent-facing graph tools: plain typed methods whose docstrings the LM reads.

Each returns compact text (bounded length) citing the chunks behind every fact as
`[chunk_id]`; an unknown entity is an observation naming the closest nodes, never an error.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from rapidfuzz import fuzz, process

from graphs.algorithms import bounded_paths
from graphs.build import node_label
from graphs.kg import KnowledgeGraph
from graphs.normalize import normalize
from graphs.retriever import GraphRetriever

MAX_CHARS = 1500
_KIND_RANK = {"relation": 0, "synonym": 1, "topic": 2, "cooccur": 3}


def _cite(chunks: dict[str, int], n: int = 2) -> str:
    best = sorted(chunks, key=lambda c: (-chunks[c], c))[:n]
    return " ".join(f"[{c}]" for c in best)


def _clip(lines: list[str], limit: int = MAX_CHARS) -> str:
    out, size = [], 0
    for i, line in enumerate(lines):
        if size + len(line) > limit:
            out.append(f"... ({len(lines) - i} more)")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


class GraphTools:
    """`graph_search`, `neighbors` and `paths` over an index's graph (or an imported one)."""

    def __init__(self, index=None, kg: KnowledgeGraph | None = None, k: int = 5):
        self.index = index
        self.k = k
        self._kg = kg
        self._retriever = None

    @classmethod
    def from_folder(cls, folder: str | Path) -> GraphTools:
        """Tools over a graph folder (e.g. one written by `graphs.tsv.import_tsv`); no graph_search."""
        return cls(kg=KnowledgeGraph.load(folder))

    @property
    def retriever(self):
        if self._retriever is None:
            self._retriever = GraphRetriever(self.index, kg=self._kg)
        return self._retriever

    @property
    def kg(self) -> KnowledgeGraph:
        if self._kg is None:
            self._kg = self.retriever.kg
        return self._kg

    def as_tools(self) -> list:
        """The bound methods, ready for `dspy.ReAct(tools=...)`."""
        return [self.graph_search, self.neighbors, self.paths]

    # ---------------------------------------------------------------- resolution
    def resolve(self, entity: str) -> str | None:
        """The node an entity name refers to: exact key, else the closest spelling (ratio >= 85)."""
        key = normalize(entity)
        if key in self.kg.row:
            return key
        best = process.extractOne(key, self.kg.keys, scorer=fuzz.WRatio, score_cutoff=85) if key else None
        return best[0] if best else None

    def _unknown(self, entity: str) -> str:
        close = process.extract(normalize(entity), self.kg.keys, scorer=fuzz.WRatio, limit=3)
        names = ", ".join(self.kg.name(k) for k, *_ in close)
        return f"No entity named {entity!r} in the graph." + (f" Closest: {names}." if names else "")

    def _edge_text(self, u: str, v: str, data: dict) -> str:
        kind = data.get("kind", "relation")
        rel = data.get("relation", kind)
        if kind == "synonym":
            rel = f"synonym {data.get('score', 0):.2f}"
        return f"{self.kg.name(u)} -[{rel}]-> {self.kg.name(v)}"

    # ---------------------------------------------------------------- tools
    def graph_search(self, query: str) -> str:
        """Search the knowledge graph: link the entities named in `query`, spread from them along
        relations (personalized PageRank) and return the best passages with the entities and
        edges that led to each. Good for multi-hop questions whose bridge entity is not named."""
        if self.index is None:
            return "graph_search needs an index; this graph was imported on its own."
        hits = self.retriever.search(query, self.k)
        if not hits:
            return f"No graph entity matches {query!r}; try search() with other words."
        lines = []
        for hit in hits:
            via = "; ".join(hit.why.get("edges", [])[:2]) or ", ".join(hit.why.get("entities", [])[:3])
            snippet = " ".join(hit.text.split())[:180]
            lines.append(f"[{hit.chunk_id}] {hit.title}: {snippet} (via {via})")
        return _clip(lines)

    def neighbors(self, entity: str, relation: str | None = None) -> str:
        """Facts about one entity: the entities joined to it, by which relation, citing the
        passages. `relation` (e.g. "born in", "cooccur") keeps only matching edges."""
        key = self.resolve(entity)
        if key is None:
            return self._unknown(entity)
        kg, want = self.kg, normalize(relation) if relation else ""
        rows = []
        for nb in kg.neighbors(key):
            for u, v, data in kg.edges_between(key, nb):
                rel = normalize(data.get("relation", data.get("kind", "")))
                if want and want not in rel and want != data.get("kind"):
                    continue
                rank = _KIND_RANK.get(data.get("kind", "relation"), 4)
                rows.append((rank, -len(data.get("chunks", {})), self._edge_text(u, v, data),
                             _cite(data.get("chunks", {}))))
        data = kg.graph.nodes[key]
        head = f"{data.get('name', key)} ({node_label(data)}, in {len(data.get('chunks', {}))} passages)"
        if not rows:
            return head + (f": no {relation!r} edges." if relation else ": no edges.")
        lines = [head + ":"] + [f"- {text} {cite}".rstrip() for *_, text, cite in sorted(rows)[:25]]
        return _clip(lines)

    def find_paths(self, source_key: str, target_key: str, max_hops: int = 3, limit: int = 5,
                   pool: int = 500) -> list[list[str]]:
        """Node-key paths between two node keys: shortest first, then those through the least
        connected nodes (a path through "male" or "United States" explains little)."""
        if source_key not in self.kg.row or target_key not in self.kg.row:
            return []
        found = bounded_paths(self.kg.neighbors, source_key, target_key, max_hops, pool)
        hub = {n: math.log1p(len(self.kg.neighbors(n))) for p in found for n in p[1:-1]}
        found.sort(key=lambda p: (len(p), sum(hub[n] for n in p[1:-1])))
        return found[:limit]

    def paths(self, source: str, target: str, max_hops: int = 3) -> str:
        """How two entities are connected: chains of at most `max_hops` relations between them,
        shortest first, each edge citing its passage."""
        s, t = self.resolve(source), self.resolve(target)
        if s is None or t is None:
            return self._unknown(source if s is None else target)
        found = self.find_paths(s, t, max(1, min(int(max_hops), 4)), limit=5)
        if not found:
            return f"No path of at most {max_hops} hops between {self.kg.name(s)} and {self.kg.name(t)}."
        lines = []
        for path in found:
            hops, cites = [], []
            for a, b in itertools.pairwise(path):
                u, _, data = min(self.kg.edges_between(a, b),
                                 key=lambda e: (_KIND_RANK.get(e[2].get("kind", "relation"), 4),
                                                -len(e[2].get("chunks", {}))))
                rel = data.get("relation", data.get("kind"))
                hops.append(f" -[{rel}]-> " if u == a else f" <-[{rel}]- ")
                cites.append(_cite(data.get("chunks", {}), 1))
            steps = zip(hops, path[1:], strict=True)
            text = self.kg.name(path[0]) + "".join(h + self.kg.name(n) for h, n in steps)
            lines.append(f"- {text} {' '.join(c for c in cites if c)}")
        return _clip(lines)
