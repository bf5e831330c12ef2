"""The knowledge graph as an index component, built incrementally with each generation.

On each `build_index` run: load the previous generation's graph, drop the provenance of
removed or changed chunks (and nodes or edges left with none), extract only the new chunks,
embed only the new node names, add their synonym edges, and write `gen-N/graph/`.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from graphs.build import (
    add_extractions,
    add_synonym_edges,
    canonicalizer_for,
    new_graph,
    node_label,
    remove_chunks,
)
from graphs.extract import select_extractor
from graphs.extraction import NOUN
from graphs.settings import GraphSettings
from graphs.store import load_graph, load_vectors, save_graph
from tools.embed import Embedder

log = logging.getLogger(__name__)

BUILD_FIELDS = ("extractor", "spacy_model", "noun_chunks", "title_nodes", "skip_labels", "fuzzy_threshold",
                "synonym_threshold", "synonym_k", "embed_nodes", "embed_nouns")
"""Settings that change the graph's contents: a change rebuilds the graph from all chunks."""


def build_signature(settings: GraphSettings) -> dict:
    return {f: getattr(settings, f) for f in BUILD_FIELDS}


class GraphComponent:
    """`tools.backends.IndexComponent` writing the knowledge graph to `gen_dir/graph/`.

    Args:
        settings: graph settings (default `GraphSettings()`).
        lm: a DSPy LM, needed only when `settings.extractor == "llm"`.
    """

    name = "graph"

    def __init__(self, settings: GraphSettings | None = None, lm=None):
        self.settings = settings or GraphSettings()
        self.lm = lm
        self.stats: dict[str, float] = {}

    def build(self, ctx) -> dict[str, int]:
        settings = self.settings
        prev = ctx.prev_dir / "graph" if ctx.prev_dir is not None else None
        graph, old_vectors, incremental = new_graph(), None, False
        if prev is not None and (prev / "meta.json").exists():
            graph, meta = load_graph(prev)
            if meta.get("build") == build_signature(settings):
                incremental = True
                old_vectors = load_vectors(prev)
            else:
                log.info("graph settings changed: rebuilding the graph from every chunk")
                graph = new_graph()
        if incremental:
            removed_nodes, removed_edges = remove_chunks(graph, set(ctx.removed_ids))
            todo = ctx.added
        else:
            removed_nodes = removed_edges = 0
            todo = ctx.chunks

        extractor = select_extractor(settings, self.lm)
        ctx.progress.start("graph", len(todo))
        t0 = time.perf_counter()
        extractions = extractor.extract(todo, progress=lambda n: ctx.progress.advance("graph", n))
        extract_s = time.perf_counter() - t0
        chunks = {c.chunk_id: c for c in todo}
        add_extractions(graph, extractions, chunks, settings, canonicalizer_for(graph, settings))
        ctx.progress.finish("graph")

        keys = [k for k, d in graph.nodes(data=True) if settings.embed_nouns or node_label(d) != NOUN]
        vectors = None
        synonyms = 0
        t1 = time.perf_counter()
        if settings.embed_nodes and keys:
            vectors, new = self._node_vectors(ctx, graph, keys, old_vectors)
            synonyms = add_synonym_edges(graph, keys, vectors, settings.synonym_threshold, settings.synonym_k,
                                         new=None if not incremental else new)
        embed_s = time.perf_counter() - t1
        counts = {"graph_nodes": graph.number_of_nodes(), "graph_edges": graph.number_of_edges()}
        self.stats = {"chunks_extracted": len(todo), "extract_seconds": extract_s,
                      "embed_seconds": embed_s, "removed_nodes": removed_nodes,
                      "removed_edges": removed_edges, "synonym_edges": synonyms}
        save_graph(ctx.gen_dir / "graph", graph,
                   {"kind": "text", "settings": settings.to_dict(), "build": build_signature(settings),
                    "counts": counts, "embedder": ctx.settings.embed.model, "stats": self.stats},
                   keys if vectors is not None else None, vectors)
        log.info("graph: %d nodes, %d edges (%d chunks extracted in %.1fs)", counts["graph_nodes"],
                 counts["graph_edges"], len(todo), extract_s)
        return counts

    def _node_vectors(self, ctx, graph, keys: list[str], old) -> tuple[np.ndarray, set[str]]:
        """Embeddings of every node name, reusing the previous generation's for known keys."""
        known = {k: i for i, k in enumerate(old[0])} if old else {}
        new = [k for k in keys if k not in known]
        embedder = Embedder(ctx.settings.embed)
        ctx.progress.start("graph-embed", len(new))
        fresh = embedder.encode([graph.nodes[k]["name"] for k in new],
                                progress=lambda n: ctx.progress.advance("graph-embed", n))
        ctx.progress.finish("graph-embed")
        out = np.zeros((len(keys), fresh.shape[1] if len(new) else old[1].shape[1]), dtype=np.float32)
        new_row = {k: i for i, k in enumerate(new)}
        for row, k in enumerate(keys):
            out[row] = fresh[new_row[k]] if k in new_row else old[1][known[k]]
        return out, set(new)
