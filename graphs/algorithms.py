"""Graph algorithms as pure functions: personalized PageRank and bounded path search.

`personalized_pagerank` is networkx's `pagerank` (same teleport and dangling-node rules; a
test checks equality) over a precomputed sparse transition matrix, so a query costs a few
sparse mat-vecs instead of converting the graph each time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

import networkx as nx
import numpy as np


def transition_matrix(graph: nx.Graph | nx.MultiDiGraph, nodes: list[Hashable], weight: str | None = "weight",
                      undirected: bool = True):
    """Row-stochastic CSR transition matrix over `nodes` (parallel edges summed), transposed
    for `personalized_pagerank`, plus the dangling-node mask."""

    adj = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=weight, format="csr", dtype=np.float64)
    if undirected:
        adj = adj + adj.T
    return normalize_rows(adj)


def normalize_rows(adj):
    """(P^T as CSR, dangling mask) for a non-negative adjacency matrix."""
    import scipy.sparse as sp  # heavy: scipy, loaded when first needed

    adj = sp.csr_array(adj, dtype=np.float64)
    out = np.asarray(adj.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    trans = sp.diags_array(inv) @ adj
    return sp.csr_array(trans.T), dangling


def personalized_pagerank(trans_t, dangling: np.ndarray, personalization: np.ndarray, damping: float = 0.85,
                          max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
    """PageRank restarting at `personalization` (normalised here); dangling mass restarts too.

    Args:
        trans_t: transposed row-stochastic transition matrix (see `normalize_rows`).
        dangling: boolean mask of nodes without out-edges.
        personalization: non-negative restart weights, one per node.
        damping: probability of following an edge (networkx's `alpha`).
    Returns:
        The stationary distribution (sums to 1); zeros when `personalization` is all zero.
    """
    n = len(personalization)
    total = float(personalization.sum())
    if n == 0 or total <= 0:
        return np.zeros(n)
    p = personalization / total
    x = p.copy()
    for _ in range(max_iter):
        prev = x
        x = damping * (trans_t @ prev + prev[dangling].sum() * p) + (1.0 - damping) * p
        if np.abs(x - prev).sum() < n * tol:
            break
    return x


def _hop_distances(neighbors: Callable[[Hashable], Iterable[Hashable]], start: Hashable,
                   max_hops: int) -> dict[Hashable, int]:
    """Breadth-first hop counts from `start`, up to `max_hops` hops."""
    dist = {start: 0}
    frontier = [start]
    for hop in range(1, max_hops + 1):
        nxt = []
        for node in frontier:
            for nb in neighbors(node):
                if nb not in dist:
                    dist[nb] = hop
                    nxt.append(nb)
        frontier = nxt
    return dist


def bounded_paths(neighbors: Callable[[Hashable], Iterable[Hashable]], source: Hashable, target: Hashable,
                  max_hops: int = 3, limit: int = 20, max_expansions: int = 200_000) -> list[list[Hashable]]:
    """Simple paths from `source` to `target` with at most `max_hops` edges, shortest first.

    A breadth-first pass from `target` bounds the depth-first search from `source`, so only
    nodes that can still reach the target in the remaining hops are expanded.
    """
    if source == target:
        return [[source]]
    dist = _hop_distances(neighbors, target, max_hops - 1)
    found: list[list[Hashable]] = []
    budget = [max_expansions]

    def dfs(path: list[Hashable], remaining: int) -> None:
        node = path[-1]
        for nb in neighbors(node):
            if len(found) >= limit or budget[0] <= 0:
                return
            budget[0] -= 1
            if nb == target:
                if remaining == 1:
                    found.append([*path, nb])
                continue
            if nb in path or dist.get(nb, max_hops + 1) > remaining - 1 or remaining == 1:
                continue
            path.append(nb)
            dfs(path, remaining - 1)
            path.pop()

    for length in range(1, max_hops + 1):
        if len(found) >= limit:
            break
        dfs([source], length)
    return found
