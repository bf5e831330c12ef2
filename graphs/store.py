"""Persisting a knowledge graph folder, and exporting it to GraphML or node-link JSON.

Layout of a graph folder (`gen-N/graph/` inside an index, or any folder for an imported graph)::

    meta.json          {"format": "hopper-graph", "version": 1, "kind": "text"|"tsv",
                        "settings": {GraphSettings...}, "counts": {...}, "embedder": "..."}
    graph.json         networkx node-link JSON ("nodes", "edges"); dict attributes as JSON objects
    node_keys.json     node keys, row i of node_vectors.npy          (when nodes are embedded)
    node_vectors.npy   float32 L2-normalised embeddings of node names (when nodes are embedded)

Written into a temporary folder and renamed, so a reader never sees half a graph.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np

from tools.errors import IndexCorruptError
from tools.jsonfile import REBUILD, read_versioned, to_json, write_versioned

FORMAT = "hopper-graph"
VERSION = 1


def save_graph(folder: Path, graph: nx.MultiDiGraph, meta: dict[str, Any],
               keys: list[str] | None = None, vectors: np.ndarray | None = None) -> None:
    """Write `graph` (and optional node embeddings) to `folder`, replacing what was there."""
    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_versioned(tmp / "meta.json", FORMAT, VERSION, meta, indent=2)
    data = nx.node_link_data(graph, edges="edges")
    with (tmp / "graph.json").open("w", encoding="utf-8") as fh:
        fh.write(to_json(data, separators=(",", ":")))  # to_json: file names that are not UTF-8
    if keys is not None and vectors is not None:
        (tmp / "node_keys.json").write_text(to_json(keys), encoding="utf-8")
        np.save(tmp / "node_vectors.npy", np.asarray(vectors, dtype=np.float32))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)


def read_meta(folder: Path) -> dict[str, Any]:
    """The `meta.json` of a graph folder, checked for format and version."""
    path = Path(folder) / "meta.json"
    if not path.exists():
        raise IndexCorruptError(f"{folder} holds no knowledge graph (no meta.json); re-index with the "
                                "graph enabled")
    return read_versioned(path, FORMAT, VERSION, "graph")


def load_graph(folder: Path) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """The graph and its meta from `folder`."""
    meta = read_meta(folder)
    path = Path(folder) / "graph.json"
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        graph = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
    except (OSError, json.JSONDecodeError, KeyError, nx.NetworkXError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD}") from exc
    return graph, meta


def load_vectors(folder: Path) -> tuple[list[str], np.ndarray] | None:
    """(node keys, embeddings) when the graph was built with node embeddings, else None."""
    folder = Path(folder)
    if not (folder / "node_keys.json").exists() or not (folder / "node_vectors.npy").exists():
        return None
    keys = json.loads((folder / "node_keys.json").read_text())
    vectors = np.load(folder / "node_vectors.npy")
    if len(keys) != len(vectors):
        raise IndexCorruptError(f"{folder}: node_keys.json and node_vectors.npy disagree; rebuild the index")
    return keys, vectors


ExportFormat = Literal["graphml", "json"]


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (dict, list, tuple, set)):
            out[k] = to_json(sorted(v) if isinstance(v, set) else v)
            if k == "chunks":
                out["chunk_count"] = len(v)
        elif v is not None:
            out[k] = v
    return out


def export_graph(graph: nx.MultiDiGraph, path: Path, fmt: ExportFormat) -> Path:
    """Write `graph` as GraphML (dict attributes JSON-encoded) or node-link JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        with path.open("w", encoding="utf-8") as fh:
            fh.write(to_json(nx.node_link_data(graph, edges="edges"), indent=1))
    elif fmt == "graphml":
        flat = nx.MultiDiGraph()
        flat.add_nodes_from((n, _flat(d)) for n, d in graph.nodes(data=True))
        flat.add_edges_from((u, v, k, _flat(d)) for u, v, k, d in graph.edges(keys=True, data=True))
        nx.write_graphml(flat, path)
    else:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: graphml, json")
    return path
