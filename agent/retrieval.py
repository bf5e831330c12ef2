"""Every retriever by name, including the knowledge graph and its fusion with hybrid."""

from __future__ import annotations

from tools.errors import RetrieverUnavailableError
from tools.index import Index
from tools.retrievers import BASIC, FusionRetriever
from tools.types import Retriever

RETRIEVERS = (*BASIC, "graph", "hybrid+graph")


def open_retriever(index: Index, name: str, graph_settings=None) -> Retriever:
    """`bm25`, `dense`, `hybrid`, `graph` or `hybrid+graph` over an opened index.

    `graph_settings` (`graphs.settings.GraphSettings`) carries the query-time graph knobs.
    """
    if name in BASIC:
        return index.retriever(name)
    if name in ("graph", "hybrid+graph"):
        if not index.has("graph"):
            raise RetrieverUnavailableError(
                f"{index.dir} has no knowledge graph; re-index with the graph enabled (index.graph = true)")
        from graphs.retriever import GraphRetriever  # heavy: networkx, only for a graph retriever

        graph = GraphRetriever(index, graph_settings)
        if name == "graph":
            return graph
        fusion = index.settings.fusion
        return FusionRetriever([index.retriever("dense"), index.retriever("bm25"), graph], fusion,
                               name="hybrid+graph", weights=[1.0, 1.0, fusion.graph_weight])
    raise RetrieverUnavailableError(f"unknown retriever {name!r}; choose one of: {', '.join(RETRIEVERS)}")
