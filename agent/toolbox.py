"""The retrieval tools the agent calls, and the evidence they gather.

Tools are plain typed functions with docstrings (the LM-facing descriptions). None of them
touches the file system, a shell or the network: the agent can only read the index.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.guard import scrub
from agent.retrieval import open_retriever
from agent.trace import Trace
from tools.errors import HopperError, IndexCorruptError
from tools.index import Index
from tools.links import follow_links
from tools.types import Hit

CHUNK_REF = re.compile(r"\[([^\[\]\s]+#\d+)\]")


@dataclass
class Evidence:
    """Every chunk the run has retrieved, with per-ranking positions for the final evidence list."""

    hits: dict[str, Hit] = field(default_factory=dict)
    rankings: list[tuple[str, list[str]]] = field(default_factory=list)
    supported: list[str] = field(default_factory=list)

    def add(self, label: str, hits: list[Hit]) -> list[str]:
        """Record a ranking; return the chunk ids not seen before."""
        new = [h.chunk_id for h in hits if h.chunk_id not in self.hits]
        for h in hits:
            self.hits.setdefault(h.chunk_id, h)
        self.rankings.append((label, [h.chunk_id for h in hits]))
        return new

    def support(self, chunk_ids: list[str]) -> None:
        for cid in chunk_ids:
            if cid in self.hits and cid not in self.supported:
                self.supported.append(cid)

    def ranked(self, labels_first: list[str] | None = None) -> list[str]:
        """Supported chunks first, then the rankings interleaved round-robin (label order kept)."""
        out = list(self.supported)
        seen = set(out)
        rankings = [r for _, r in self.rankings]
        if labels_first:
            order = {label: i for i, label in enumerate(labels_first)}
            rankings = [r for _, r in sorted(self.rankings, key=lambda lr: order.get(lr[0], len(order)))]
        depth = max((len(r) for r in rankings), default=0)
        for i in range(depth):
            for ranking in rankings:
                if i < len(ranking) and ranking[i] not in seen:
                    seen.add(ranking[i])
                    out.append(ranking[i])
        return out


class ToolBox:
    """Retrieval tools over one index; every call becomes a `tool_call` trace event."""

    def __init__(self, index: Index, trace: Trace, k: int = 5, use_graph: bool | None = None):
        self.index = index
        self.trace = trace
        self.k = k
        self.evidence = Evidence()
        self.calls = 0
        self._retrievers: dict[str, object] = {}
        self.has_graph = index.has("graph") if use_graph is None else (use_graph and index.has("graph"))
        self._graph_tools = None
        self._scrubbed: dict[str, tuple[str, str, list[str]]] = {}
        self.tools: dict[str, Callable[..., list[Hit]]] = {
            "bm25_search": self.bm25_search, "dense_search": self.dense_search,
            "hybrid_search": self.hybrid_search, "follow_links": self.follow_links,
        }
        if self.has_graph:
            self.tools |= {"hybrid_graph_search": self.hybrid_graph_search, "graph_search": self.graph_search,
                           "neighbors": self.neighbors, "paths": self.paths}

    # -- the tools -----------------------------------------------------------------------------
    def bm25_search(self, query: str, k: int = 5) -> list[Hit]:
        """Keyword search (BM25): best for exact names, rare words and numbers."""
        return self._retriever("bm25").search(query, k)

    def dense_search(self, query: str, k: int = 5) -> list[Hit]:
        """Semantic search (embeddings): best for descriptions and paraphrases; accepts a
        hypothetical answer passage as the query."""
        return self._retriever("dense").search(query, k)

    def hybrid_search(self, query: str, k: int = 5) -> list[Hit]:
        """Keyword and semantic search fused by reciprocal rank: a good default."""
        return self._retriever("hybrid").search(query, k)

    def follow_links(self, query: str, chunk_ids: list[str], k: int = 5) -> list[Hit]:
        """Passages of the documents that the given passages name by title (the next hop of a
        multi-hop question), closest to `query` first."""
        store = self.index.store
        sources = [Hit.from_chunk(store.get(c), 0.0, "links") for c in chunk_ids if c in store]
        return follow_links(self.index, self.index.links, query, sources, k)

    def hybrid_graph_search(self, query: str, k: int = 5) -> list[Hit]:
        """Keyword, semantic and knowledge-graph search fused by reciprocal rank."""
        return self._retriever("hybrid+graph").search(query, k)

    def graph_search(self, query: str, k: int = 5) -> list[Hit]:
        """Knowledge-graph search: links the query's entities and follows relations
        (personalized PageRank) to passages about connected entities."""
        return self._retriever("graph").search(query, k)

    def neighbors(self, entity: str, relation: str | None = None, k: int = 5) -> list[Hit]:
        """Passages about the entities directly related to `entity` in the knowledge graph."""
        return self._from_graph_text(self._graph().neighbors(entity, relation), k)

    def paths(self, source: str, target: str, max_hops: int = 3, k: int = 5) -> list[Hit]:
        """Passages along the shortest relation paths between two entities in the knowledge graph."""
        return self._from_graph_text(self._graph().paths(source, target, max_hops), k)

    # -- plumbing ------------------------------------------------------------------------------
    def call(self, tool: str, node: int | None, label: str, **args) -> list[Hit]:
        """Run one tool, record its hits as evidence and as a trace event; errors become observations,
        except a damaged index (`IndexCorruptError`), which ends the run with that one-line error."""
        if tool not in self.tools:
            self.trace.emit("tool_call", node=node, tool=tool, args=args, hits=[], new=[], seconds=0.0,
                            error=f"unknown tool {tool!r}")
            return []
        self.calls += 1
        t0 = time.perf_counter()
        error = None
        try:
            hits = self.tools[tool](**args)
        except IndexCorruptError as exc:  # never answer from part of a damaged index
            self.trace.emit("tool_call", node=node, tool=tool, args=args, hits=[], new=[],
                            seconds=round(time.perf_counter() - t0, 4), error=str(exc))
            raise
        except HopperError as exc:
            hits, error = [], str(exc)
        hits = self._guard(hits)
        new = self.evidence.add(label, hits)
        self.trace.emit("tool_call", node=node, tool=tool, args=args,
                        hits=[{"chunk_id": h.chunk_id, "doc_id": h.doc_id, "title": h.title,
                               "score": round(h.score, 5)} for h in hits],
                        new=new, seconds=round(time.perf_counter() - t0, 4), error=error)
        return hits

    def _guard(self, hits: list[Hit]) -> list[Hit]:
        """`hits` with every sentence addressed to an assistant removed from title and text
        (`agent.guard`); the removed sentences go to `hit.why["injection"]` and, once per chunk,
        to an `injection` trace event. A passage that was nothing but such sentences is dropped."""
        out = []
        for hit in hits:
            if hit.chunk_id not in self._scrubbed:
                text, removed = scrub(hit.text)
                title, removed_title = scrub(hit.title)
                sentences = removed_title + removed
                shown_title = title if not removed_title else title or hit.doc_id
                self._scrubbed[hit.chunk_id] = (shown_title, text, sentences)
                if sentences:
                    self.trace.emit("injection", chunk_id=hit.chunk_id, title=hit.title, sentences=sentences)
            title, text, sentences = self._scrubbed[hit.chunk_id]
            if not sentences:
                out.append(hit)
            elif _has_content(text, title):
                out.append(dataclasses.replace(hit, title=title, text=text,
                                               why={**hit.why, "injection": sentences}))
        return out

    def _retriever(self, name: str):
        if name not in self._retrievers:
            self._retrievers[name] = open_retriever(self.index, name)
        return self._retrievers[name]

    def _graph(self):
        if self._graph_tools is None:
            from graphs.tools import GraphTools  # heavy: networkx and the graph, only when a graph tool runs

            self._graph_tools = GraphTools(self.index)
        return self._graph_tools

    def _from_graph_text(self, text: str, k: int) -> list[Hit]:
        store = self.index.store
        hits: list[Hit] = []
        for cid in dict.fromkeys(CHUNK_REF.findall(text)):
            if cid in store and len(hits) < k:
                hits.append(Hit.from_chunk(store.get(cid), 1.0 / (len(hits) + 1), "graph"))
        return hits


def _has_content(text: str, title: str) -> bool:
    """Whether a scrubbed passage still says anything beyond its own title."""
    rest = re.sub(r"^\s*#+\s*", "", text, flags=re.MULTILINE).strip()
    return bool(rest) and rest != title.strip()
