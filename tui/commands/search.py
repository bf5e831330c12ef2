"""`hopper search "QUERY" --index DIR --retriever ...`: ranked passages, as a table or JSON."""

from __future__ import annotations

import argparse

from tui.common import add_backend_args, add_index_arg, config_from_args

RETRIEVER_CHOICES = ["bm25", "dense", "hybrid", "graph", "hybrid+graph"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="what to search for")
    add_index_arg(p)
    p.add_argument("--retriever", "-r", choices=RETRIEVER_CHOICES, default="hybrid", help="default: hybrid")
    p.add_argument("-k", type=int, default=10, help="number of hits (default 10)")
    p.add_argument("--fusion", choices=["rrf", "weighted"], default=None, help="hybrid fusion method")
    p.add_argument("--rrf-k", type=int, default=None, help="RRF constant (default 60)")
    p.add_argument("--depth", type=int, default=None, help="hits per retriever before fusion (default 100)")
    add_backend_args(p)
    p.add_argument("--json", action="store_true", help="print hits as JSON")


def run(args: argparse.Namespace) -> int:
    import time

    from agent.retrieval import open_retriever
    from tools.index import Index
    from tools.jsonfile import to_json
    from tui.common import require_index, require_k, require_text

    args.query = require_text(args.query, "query", 'hopper search "Verrin lighthouse" --index DIR')
    require_k(args.k)
    cfg = config_from_args(args)
    index = Index(require_index(cfg), cfg.index)
    retriever = open_retriever(index, args.retriever, cfg.graph)
    t0 = time.perf_counter()
    hits = retriever.search(args.query, args.k)
    elapsed = time.perf_counter() - t0
    if args.json:
        print(to_json({"query": args.query, "retriever": args.retriever, "seconds": round(elapsed, 4),
                       "hits": [h.to_dict() for h in hits]}, indent=2))
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from tui.common import printable

    table = Table(title=f"{args.retriever}: {args.query!r} ({len(hits)} hits, {elapsed * 1000:.0f} ms)",
                  show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("title / chunk")
    table.add_column("text", overflow="fold")
    for i, h in enumerate(hits, 1):
        snippet = printable(" ".join(h.text.split()))
        table.add_row(str(i), f"{h.score:.3f}", f"[bold]{escape(printable(h.title))}[/]\n"
                      f"[dim]{escape(printable(h.chunk_id))}[/]",
                      Text(snippet[:300] + ("…" if len(snippet) > 300 else "")))
    Console().print(table)
    return 0
