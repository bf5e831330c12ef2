import json

import networkx as nx
import pytest

from graphs.kg import KnowledgeGraph
from graphs.store import export_graph
from tools.errors import IndexCorruptError
from tui.cli import main


def test_export_graphml_and_json(graph_index, tmp_path):
    kg = KnowledgeGraph.load(graph_index.gen_dir / "graph")
    export_graph(kg.graph, tmp_path / "g.graphml", "graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() == kg.graph.number_of_nodes()
    assert json.loads(back.nodes["steven spielberg"]["chunks"])
    export_graph(kg.graph, tmp_path / "g.json", "json")
    data = json.loads((tmp_path / "g.json").read_text())
    assert len(data["edges"]) == kg.graph.number_of_edges()


def test_newer_graph_format_is_refused(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"format": "hopper-graph", "version": 99}))
    with pytest.raises(IndexCorruptError, match="newer Hopper"):
        KnowledgeGraph.load(tmp_path)


def test_cli_stats_show_path_import_export(graph_index, tmp_path, capsys):
    idx = str(graph_index.dir)
    assert main(["graph", "stats", "--index", idx, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["nodes"] > 5 and "relation" in stats["edge_kinds"]
    assert main(["graph", "show", "Steven Spielberg", "--index", idx]) == 0
    assert "Steven Spielberg" in capsys.readouterr().out
    assert main(["graph", "path", "Jaws", "Cincinnati", "--index", idx]) == 0
    assert "Cincinnati" in capsys.readouterr().out
    kb = tmp_path / "kb.tsv"
    kb.write_text("a\tknows\tb\nbad\n")
    assert main(["graph", "import", str(kb), "--out", str(tmp_path / "kbg")]) == 0
    assert "1 malformed" in capsys.readouterr().out
    assert main(["graph", "path", "a", "b", "--graph", str(tmp_path / "kbg")]) == 0
    assert "knows" in capsys.readouterr().out
    out = tmp_path / "g.graphml"
    assert main(["graph", "export", "--format", "graphml", "--out", str(out), "--index", idx]) == 0
    assert out.exists()
    assert main(["graph", "stats", "--index", str(tmp_path / "nothing")]) == 2
