"""`hopper graph stats|show|path|import|export`: inspect, import and export knowledge graphs.

The index's own graph lives in its current generation (`gen-N/graph/`); imported TSV graphs
live beside the generations in `INDEX/graphs/NAME/` (or any `--out` folder) and are chosen
with `--graph NAME|FOLDER`.
"""

from __future__ import annotations

import argparse

from tui.common import add_index_arg


def _graph_arg(p: argparse.ArgumentParser) -> None:
    add_index_arg(p)
    p.add_argument("--graph", metavar="NAME|DIR", default=None,
                   help="an imported graph (name under INDEX/graphs/ or a folder); "
                        "default: the index's graph")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="graph_command", metavar="ACTION", required=True)
    p = sub.add_parser("stats", help="node, edge and label counts, the most connected entities")
    _graph_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("show", help="an entity's relations, citing passages")
    p.add_argument("entity")
    p.add_argument("--relation", default=None, help="only edges whose relation contains this")
    _graph_arg(p)
    p = sub.add_parser("path", help="chains of relations joining two entities")
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("--max-hops", type=int, default=3, help="default 3 (at most 4)")
    _graph_arg(p)
    p = sub.add_parser("import", help="import subject<TAB>relation<TAB>object triples as a graph of its own")
    p.add_argument("tsv", help="triples file")
    add_index_arg(p)
    p.add_argument("--name", default=None, help="name under INDEX/graphs/ (default: the file's stem)")
    p.add_argument("--out", default=None, metavar="DIR", help="write the graph folder here instead")
    p = sub.add_parser("export", help="write the graph as GraphML or node-link JSON")
    p.add_argument("--format", choices=["graphml", "json"], default="graphml")
    p.add_argument("--out", default=None, metavar="FILE", help="default: graph.graphml / graph.json here")
    _graph_arg(p)


_LEASES: list = []


def _folder(args: argparse.Namespace):
    from pathlib import Path

    from tools.errors import RetrieverUnavailableError
    from tools.store import open_generation
    from tui.common import config_from_args, require_index

    if args.graph and Path(args.graph).is_dir():
        return Path(args.graph)
    index_dir = Path(require_index(config_from_args(args)))
    if args.graph:
        folder = index_dir / "graphs" / args.graph
        if not folder.is_dir():
            raise RetrieverUnavailableError(f"no imported graph {args.graph!r} in {index_dir / 'graphs'}; "
                                            "import one with `hopper graph import FILE.tsv`")
        return folder
    _, gen_dir, lease = open_generation(index_dir)
    _LEASES.append(lease)  # held until the command ends: a rebuild meanwhile cannot delete the graph
    if not (gen_dir / "graph").is_dir():
        raise RetrieverUnavailableError(f"{index_dir} has no knowledge graph; "
                                        f"re-index with the graph enabled")
    return gen_dir / "graph"


def _tools(args: argparse.Namespace):
    from graphs.tools import GraphTools

    return GraphTools.from_folder(_folder(args))


def _stats(args, console) -> int:
    import json
    from collections import Counter

    from rich.table import Table

    from graphs.build import node_label

    kg = _tools(args).kg
    g = kg.graph
    labels = Counter(node_label(d) for _, d in g.nodes(data=True))
    kinds = Counter(k for *_, k in g.edges(data="kind"))
    relations = Counter(r for *_, r in g.edges(data="relation") if r not in kinds)
    degree = sorted(((len(kg.neighbors(n)), n) for n in g.nodes), reverse=True)[:10]
    stats = {"nodes": g.number_of_nodes(), "edges": g.number_of_edges(), "chunks": len(kg.chunk_ids),
             "node_labels": dict(labels.most_common()), "edge_kinds": dict(kinds.most_common()),
             "top_relations": dict(relations.most_common(10)),
             "most_connected": {kg.name(n): d for d, n in degree}, "meta": kg.meta.get("stats", {})}
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    console.print(f"[bold]{stats['nodes']}[/] nodes, [bold]{stats['edges']}[/] edges over "
                  f"{stats['chunks']} passages")
    for title, data in (("node labels", stats["node_labels"]), ("edge kinds", stats["edge_kinds"]),
                        ("top relations", stats["top_relations"]),
                        ("most connected", stats["most_connected"])):
        table = Table(title=title, title_justify="left")
        table.add_column("name")
        table.add_column("count", justify="right")
        for name, n in list(data.items())[:10]:
            table.add_row(str(name), str(n))
        console.print(table)
    return 0


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console

    console = Console()
    action = args.graph_command
    if action == "stats":
        return _stats(args, console)
    if action == "show":
        console.print(_tools(args).neighbors(args.entity, args.relation), highlight=False, markup=False)
        return 0
    if action == "path":
        console.print(_tools(args).paths(args.source, args.target, args.max_hops), highlight=False,
                      markup=False)
        return 0
    if action == "import":
        from graphs.tsv import import_tsv
        from tui.common import config_from_args, require_index

        if args.out:
            folder = Path(args.out)
        else:
            graphs = Path(require_index(config_from_args(args))) / "graphs"
            folder = graphs / (args.name or Path(args.tsv).stem)
        report = import_tsv(args.tsv, folder)
        console.print(report.summary(), highlight=False, markup=False)
        console.print(f"graph written to {folder}", highlight=False)
        return 0
    if action == "export":
        from graphs.store import export_graph

        kg = _tools(args).kg
        out = Path(args.out or f"graph.{args.format}")
        export_graph(kg.graph, out, args.format)
        console.print(f"wrote {kg.graph.number_of_nodes()} nodes and {kg.graph.number_of_edges()} edges "
                      f"to {out}", highlight=False)
        return 0
    raise ValueError(f"unknown graph action {action!r}")
