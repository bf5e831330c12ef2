import networkx as nx
import numpy as np
import pytest

from graphs.algorithms import bounded_paths, normalize_rows, personalized_pagerank


@pytest.mark.parametrize("damping", [0.5, 0.85])
def test_ppr_matches_networkx(damping):
    g = nx.gnm_random_graph(60, 150, seed=3)
    g.add_node(60)  # an isolated (dangling) node
    for u, v in g.edges:
        g.edges[u, v]["weight"] = 1.0 + (u * v) % 3
    nodes = list(g.nodes)
    pers = {0: 1.0, 5: 2.0, 60: 0.5}
    ref = nx.pagerank(g, alpha=damping, personalization=pers, weight="weight", tol=1e-12, max_iter=500)
    adj = nx.to_scipy_sparse_array(g, nodelist=nodes, weight="weight")
    trans_t, dangling = normalize_rows(adj)
    p = np.array([pers.get(n, 0.0) for n in nodes])
    ours = personalized_pagerank(trans_t, dangling, p, damping, max_iter=500, tol=1e-12)
    assert np.allclose(ours, [ref[n] for n in nodes], atol=1e-8)
    assert ours.sum() == pytest.approx(1.0)


def test_ppr_without_seeds_is_zero():
    trans_t, dangling = normalize_rows(np.eye(3))
    assert not personalized_pagerank(trans_t, dangling, np.zeros(3)).any()


def test_bounded_paths_match_networkx():
    g = nx.gnm_random_graph(40, 90, seed=7)
    nbrs = {n: list(g.neighbors(n)) for n in g}
    for s, t in [(0, 1), (2, 30), (5, 5)]:
        ours = bounded_paths(nbrs.__getitem__, s, t, max_hops=3, limit=10_000)
        ref = list(nx.all_simple_paths(g, s, t, cutoff=3)) if s != t else [[s]]
        assert sorted(map(tuple, ours)) == sorted(map(tuple, ref))
        assert [len(p) for p in ours] == sorted(len(p) for p in ours)  # shortest first
