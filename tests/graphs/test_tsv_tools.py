import pytest

from graphs.tools import GraphTools
from graphs.tsv import import_tsv, read_tsv
from tools.errors import DataFormatError

KB = """ada_lovelace\tcollaborator\tcharles_babbage
charles_babbage\tdesigned\tanalytical_engine
# a comment

broken line without tabs
ada_lovelace\tborn_in
analytical_engine\tinspired\tmodern_computers
\tempty\tsubject
ada_lovelace\tparent\tlord_byron
"""


@pytest.fixture
def kb(tmp_path):
    path = tmp_path / "kb.tsv"
    path.write_text(KB)
    return path


def test_tsv_import_reports_and_skips_malformed(kb, tmp_path):
    graph, report = read_tsv(kb)
    assert report.triples == 4
    assert [n for n, _ in report.errors] == [5, 6, 8]
    assert "line 5" in report.summary() and "3 malformed" in report.summary()
    assert graph.edges["ada lovelace", "charles babbage", "collaborator"]["chunks"] == {"kb.tsv#L1": 1}
    import_tsv(kb, tmp_path / "g")
    tools = GraphTools.from_folder(tmp_path / "g")
    assert tools.kg.graph.number_of_nodes() == 5


def test_tsv_rejects_file_without_triples(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tabs here\n")
    with pytest.raises(DataFormatError, match="no valid"):
        read_tsv(bad)


def test_paths_and_neighbors_on_imported_graph(kb, tmp_path):
    import_tsv(kb, tmp_path / "g")
    tools = GraphTools.from_folder(tmp_path / "g")
    text = tools.paths("Ada Lovelace", "modern computers", max_hops=3)
    assert "ada lovelace -[collaborator]-> charles babbage -[designed]-> analytical engine" in text
    assert "[kb.tsv#L1]" in text and "[kb.tsv#L2]" in text
    assert "No path" in tools.paths("lord byron", "modern computers", max_hops=2)
    assert tools.find_paths("lord byron", "modern computers", 4) == [
        ["lord byron", "ada lovelace", "charles babbage", "analytical engine", "modern computers"]]
    nb = tools.neighbors("ada_lovelace")
    assert "charles babbage" in nb and "lord byron" in nb
    only = tools.neighbors("ada lovelace", relation="parent")
    assert "lord byron" in only and "charles babbage" not in only
    assert "No entity named" in tools.neighbors("Grace Hopper")
    assert "needs an index" in tools.graph_search("anything")


def test_tools_on_index_cite_chunks(graph_index):
    tools = GraphTools(graph_index)
    out = tools.graph_search("Which town raised the man who made Jaws?")
    assert "[spielberg#0]" in out and "[jaws#0]" in out and len(out) <= 1600
    nb = tools.neighbors("Steven Spielberg")
    assert "[jaws#0]" in nb or "[spielberg#0]" in nb
    path = tools.paths("Jaws", "Cincinnati", max_hops=3)
    assert "Steven Spielberg" in path and "Cincinnati" in path
    assert [t.__name__ for t in tools.as_tools()] == ["graph_search", "neighbors", "paths"]
