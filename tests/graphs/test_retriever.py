"""PPR over the graph surfaces a bridge document that BM25 cannot reach."""

from agent.retrieval import open_retriever
from graphs.retriever import GraphRetriever
from tests.graphs.conftest import BRIDGE_QUESTION
from tools.types import Retriever


def test_graph_finds_bridge_document_missed_by_bm25(graph_index):
    bm25 = [h.doc_id for h in open_retriever(graph_index, "bm25").search(BRIDGE_QUESTION, 3)]
    assert "jaws" in bm25 and "spielberg" not in bm25
    graph = GraphRetriever(graph_index)
    assert isinstance(graph, Retriever) and graph.name == "graph"
    hits = graph.search(BRIDGE_QUESTION, 3)
    assert [h.doc_id for h in hits][:2] == ["jaws", "spielberg"]
    bridge = hits[1]
    assert bridge.retriever == "graph"
    assert "Steven Spielberg" in bridge.why["entities"]
    assert any("Steven Spielberg" in e for e in hits[0].why["edges"])
    assert "Jaws" in hits[0].why["seeds"]


def test_hybrid_graph_fusion_includes_bridge(graph_index):
    fused = open_retriever(graph_index, "hybrid+graph")
    hits = fused.search(BRIDGE_QUESTION, 3)
    assert "spielberg" in [h.doc_id for h in hits]
    assert any("graph" in h.why.get("ranks", {}) for h in hits)


def test_query_without_entities_returns_nothing(graph_index):
    assert GraphRetriever(graph_index).search("   ", 5) == []
    assert GraphRetriever(graph_index).search("zzzz qqqq", 5) == []


def test_linking_by_spelling_and_embedding(graph_index):
    g = GraphRetriever(graph_index)
    links = {lk.key: lk.how for lk in g.run("films by Steven Spielbergg").links}
    assert links.get("steven spielberg") == "fuzzy"
    result = g.run("What did Spielberg's company produce?")
    assert "steven spielberg" in result.seeds
