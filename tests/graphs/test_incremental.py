from graphs.component import GraphComponent
from graphs.kg import KnowledgeGraph
from tests.graphs.conftest import make_docs
from tools.index import Index, build_index


def test_remove_and_add_documents(tmp_path):
    path = tmp_path / "idx"
    build_index([], path, documents=make_docs(["jaws", "spielberg", "cincinnati"]),
                components=[GraphComponent()])
    kg = KnowledgeGraph.load(Index(path).gen_dir / "graph")
    assert "amblin entertainment" in kg.graph and "universal pictures" in kg.graph
    assert "spielberg#0" in kg.chunks_of("steven spielberg")

    component = GraphComponent()
    build_index([], path, documents=make_docs(["jaws", "cincinnati"]), components=[component])
    kg = KnowledgeGraph.load(Index(path).gen_dir / "graph")
    assert component.stats["chunks_extracted"] == 0
    assert component.stats["removed_nodes"] > 0
    assert "amblin entertainment" not in kg.graph  # only the removed document named it
    assert set(kg.chunks_of("steven spielberg")) == {"jaws#0"}  # shared node keeps other provenance
    for _, _, data in kg.graph.edges(data=True):
        assert "spielberg#0" not in data.get("chunks", {})
    assert "spielberg#0" not in kg.graph.graph.get("titles", {})

    component = GraphComponent()
    build_index([], path, documents=make_docs(["jaws", "cincinnati", "spielberg"]), components=[component])
    kg = KnowledgeGraph.load(Index(path).gen_dir / "graph")
    assert component.stats["chunks_extracted"] == 1  # only the re-added document is parsed
    assert "amblin entertainment" in kg.graph
    assert kg.vectors is not None and len(kg.vectors) == len(kg.vector_keys)
