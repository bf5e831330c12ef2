"""Rank fusion on hand-made rankings."""

from tools.fusion import rrf, weighted
from tools.types import Hit


def hits(name, ids, scores=None):
    scores = scores or [1.0 / (i + 1) for i in range(len(ids))]
    return [Hit(i, i.split("#")[0], i, "", s, name) for i, s in zip(ids, scores, strict=True)]


def test_rrf_matches_hand_computation():
    a = hits("dense", ["x#0", "y#0", "z#0"])
    b = hits("bm25", ["y#0", "w#0"])
    fused = rrf([a, b], k=60)
    score = {h.chunk_id: h.score for h in fused}
    assert abs(score["y#0"] - (1 / 62 + 1 / 61)) < 1e-12
    assert abs(score["x#0"] - 1 / 61) < 1e-12
    assert [h.chunk_id for h in fused][:2] == ["y#0", "x#0"]
    assert fused[0].why["ranks"] == {"dense": 2, "bm25": 1}
    assert all(h.retriever == "hybrid" for h in fused)


def test_weighted_fusion_normalises_scores():
    a = hits("dense", ["x#0", "y#0"], [0.9, 0.1])
    b = hits("bm25", ["y#0", "x#0"], [30.0, 10.0])
    fused = weighted([a, b], [0.8, 0.2])
    score = {h.chunk_id: h.score for h in fused}
    assert abs(score["x#0"] - 0.8) < 1e-9 and abs(score["y#0"] - 0.2) < 1e-9
