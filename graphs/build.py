"""Turning extractions into a networkx graph, removing chunks from it, adding synonym edges.

The graph is a `networkx.MultiDiGraph` keyed by normalised entity keys. Every node and every
text-derived edge carries `chunks: {chunk_id: count}`, its provenance.

Node attributes: `name` (display form), `forms` {surface form: count}, `labels` {label: count},
`chunks`. Edge kinds (the `kind` attribute; the edge key is the relation for `relation` edges
and the kind otherwise):

- `relation`: subject -> object from a dependency (or LLM, or TSV) triple; `relation` names it;
- `cooccur`: two named entities in one sentence (stored once, smaller key first);
- `topic`: a document title -> an entity mentioned in one of its chunks;
- `synonym`: two nodes whose names embed alike; `score` is the cosine; no provenance.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np

from graphs.extraction import NOUN, Extraction, Mention
from graphs.normalize import Canonicalizer, display_name, normalize_title
from graphs.settings import GraphSettings
from tools.types import Chunk

TITLE = "TITLE"
MAX_COOCCUR = 12
"""Most entities of one sentence linked pairwise (a list of 40 names is not 780 facts)."""


def new_graph() -> nx.MultiDiGraph:
    return nx.MultiDiGraph()


def canonicalizer_for(graph: nx.MultiDiGraph, settings: GraphSettings) -> Canonicalizer:
    canon = Canonicalizer(settings.fuzzy_threshold)
    for key in graph.nodes:
        canon.add_known(key)
    return canon


def _bump(d: dict, key: str, n: int = 1) -> None:
    d[key] = d.get(key, 0) + n


def add_node(graph: nx.MultiDiGraph, key: str, form: str, label: str, chunk_id: str) -> None:
    if key not in graph:
        graph.add_node(key, name=form, forms={}, labels={}, chunks={})
    data = graph.nodes[key]
    _bump(data["forms"], form)
    _bump(data["labels"], label)
    if chunk_id:
        _bump(data["chunks"], chunk_id)
    data["name"] = display_name(data["forms"])


def add_edge(graph: nx.MultiDiGraph, u: str, v: str, kind: str, chunk_id: str = "", relation: str = "",
             score: float | None = None) -> None:
    key = relation if kind == "relation" else kind
    if not graph.has_edge(u, v, key):
        graph.add_edge(u, v, key=key, kind=kind, relation=relation or kind, chunks={})
    data = graph.edges[u, v, key]
    if chunk_id:
        _bump(data["chunks"], chunk_id)
    if score is not None:
        data["score"] = float(score)


def _person_aliases(mentions: Sequence[Mention]) -> dict[str, str]:
    """Within one chunk, "Spielberg" refers to "Steven Spielberg" when both are PERSON mentions."""
    full = [m.key for m in mentions if m.label == "PERSON" and " " in m.key]
    out = {}
    for m in mentions:
        if m.label == "PERSON" and " " not in m.key:
            owners = {f for f in full if f.split()[-1] == m.key or f.split()[0] == m.key}
            if len(owners) == 1:
                out[m.key] = owners.pop()
    return out


def add_extractions(graph: nx.MultiDiGraph, extractions: Iterable[Extraction], chunks: dict[str, Chunk],
                    settings: GraphSettings, canon: Canonicalizer | None = None) -> None:
    """Add every extraction's mentions, triples, co-occurrences and title links to `graph`."""
    canon = canon or canonicalizer_for(graph, settings)
    for ex in extractions:
        cid = ex.chunk_id
        local = _person_aliases(ex.mentions)

        def key_of(k: str, local: dict[str, str] = local) -> str:
            return canon.resolve(local.get(k, k))

        entity_keys, by_sent = _add_mentions(graph, ex, key_of)
        for t in ex.triples:
            s, o = key_of(t.subject), key_of(t.object)
            for k in (s, o):
                if k not in graph:
                    add_node(graph, k, k, NOUN, cid)
            if s != o:
                add_edge(graph, s, o, "relation", cid, t.relation)
        for keys in by_sent.values():
            for u, v in itertools.combinations(sorted(keys[:MAX_COOCCUR]), 2):
                add_edge(graph, u, v, "cooccur", cid)
        chunk = chunks.get(cid)
        if settings.title_nodes and chunk is not None and chunk.title:
            _add_title(graph, canon.resolve(normalize_title(chunk.title)), chunk.title, cid, entity_keys)


def _add_mentions(graph: nx.MultiDiGraph, ex: Extraction, key_of) -> tuple[list[str], dict[int, list[str]]]:
    """Add the nodes of `ex`'s mentions; returns the entity keys (noun chunks left out) in order
    of mention, and the distinct entity keys of each sentence."""
    by_sent: dict[int, list[str]] = {}
    entity_keys: list[str] = []
    for m in ex.mentions:
        key = key_of(m.key)
        add_node(graph, key, m.text, m.label, ex.chunk_id)
        if m.label != NOUN:
            entity_keys.append(key)
            sent = by_sent.setdefault(m.sent, [])
            if key not in sent:
                sent.append(key)
    return entity_keys, by_sent


def _add_title(graph: nx.MultiDiGraph, tkey: str, title: str, cid: str, entity_keys: list[str]) -> None:
    """A title node for chunk `cid`, with a `topic` edge to each entity the chunk mentions."""
    if not tkey:
        return
    add_node(graph, tkey, title, TITLE, cid)
    graph.graph.setdefault("titles", {})[cid] = tkey
    for key in dict.fromkeys(entity_keys):
        if key != tkey:
            add_edge(graph, tkey, key, "topic", cid)


def remove_chunks(graph: nx.MultiDiGraph, chunk_ids: set[str]) -> tuple[int, int]:
    """Drop the provenance of `chunk_ids`; remove edges and nodes left with none.

    Returns (nodes removed, edges removed). Synonym edges (no provenance) go with their nodes.
    """
    if not chunk_ids:
        return 0, 0
    titles = graph.graph.get("titles", {})
    for cid in chunk_ids:
        titles.pop(cid, None)
    dead_edges = []
    for u, v, k, data in graph.edges(keys=True, data=True):
        chunks = data.get("chunks")
        if chunks and not chunk_ids.isdisjoint(chunks):
            for cid in chunk_ids.intersection(chunks):
                del chunks[cid]
            if not chunks:
                dead_edges.append((u, v, k))
    graph.remove_edges_from(dead_edges)
    dead_nodes = []
    for key, data in graph.nodes(data=True):
        chunks = data.get("chunks", {})
        if not chunk_ids.isdisjoint(chunks):
            for cid in chunk_ids.intersection(chunks):
                del chunks[cid]
        if not chunks:
            dead_nodes.append(key)
    n_edges_before = graph.number_of_edges()
    graph.remove_nodes_from(dead_nodes)
    return len(dead_nodes), len(dead_edges) + n_edges_before - graph.number_of_edges()


def node_label(data: dict) -> str:
    """The node's label: its most frequent named-entity label, else TITLE, else NOUN."""
    labels = data.get("labels", {})
    named = {k: v for k, v in labels.items() if k not in (NOUN, TITLE)}
    if named:
        return max(named.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return TITLE if TITLE in labels else NOUN


def add_synonym_edges(graph: nx.MultiDiGraph, keys: list[str], vectors: np.ndarray, threshold: float,
                      k: int = 5, new: set[str] | None = None) -> int:
    """Link named nodes whose name embeddings have cosine >= threshold (kNN with FAISS).

    Only named-entity and title nodes take part; with `new`, only those nodes are queried
    (incremental builds). Returns the number of synonym edges added.
    """
    import faiss  # heavy: faiss, loaded when first needed

    rows = [i for i, key in enumerate(keys) if key in graph and node_label(graph.nodes[key]) != NOUN]
    if len(rows) < 2:
        return 0
    sub = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    index = faiss.IndexFlatIP(sub.shape[1])
    index.add(sub)
    query = [j for j, i in enumerate(rows) if new is None or keys[i] in new]
    if not query:
        return 0
    scores, nbrs = index.search(sub[query], min(k + 1, len(rows)))
    added = 0
    for j, row_scores, row_nbrs in zip(query, scores, nbrs, strict=True):
        u = keys[rows[j]]
        for s, n in zip(row_scores, row_nbrs, strict=True):
            if n < 0 or n == j or s < threshold:
                continue
            v = keys[rows[int(n)]]
            a, b = sorted((u, v))
            if not graph.has_edge(a, b, "synonym"):
                add_edge(graph, a, b, "synonym", score=float(s))
                added += 1
    return added
