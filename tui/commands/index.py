"""`hopper index PATH... --index DIR`: read, chunk, embed and index documents incrementally."""

from __future__ import annotations

import argparse

from tui.common import add_backend_args, add_index_arg, config_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or folders (recursively); corpus files .jsonl / .json. "
                        "None: re-sync the folders indexed before")
    add_index_arg(p, required=False)
    p.add_argument("--format", choices=["auto", "files", "jsonl", "hotpotqa"], default="auto",
                   help="input format (auto: .jsonl as BEIR corpus, .json as HotpotQA, else files)")
    p.add_argument("--rebuild", action="store_true", help="ignore the existing index and start over")
    p.add_argument("--chunk-size", type=int, default=None, help="chunk size in tokens (default 256)")
    p.add_argument("--chunk-overlap", type=int, default=None, help="chunk overlap in tokens (default 32)")
    p.add_argument("--embedder", default=None, help="path of a local sentence-transformers model")
    p.add_argument("--batch-size", type=int, default=None, help="embedding batch size")
    p.add_argument("--no-graph", action="store_true", help="do not build the knowledge graph")
    add_backend_args(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from agent.indexing import components_for
    from tools.index import build_index
    from tui.common import require_index
    from tui.progress import RichProgress

    extra = {"index.graph": False} if args.no_graph else {}
    cfg = config_from_args(args, **extra)
    index_dir = require_index(cfg)
    with RichProgress() as progress:
        result = build_index([Path(p) for p in args.paths], index_dir, cfg.index, fmt=args.format,
                             rebuild=args.rebuild, components=components_for(cfg), progress=progress)
    summary = {
        "index": str(index_dir), "generation": result.manifest.generation,
        "documents": result.manifest.counts.get("documents", 0),
        "chunks": result.manifest.counts.get("chunks", 0),
        "added": result.added_docs, "changed": result.changed_docs, "removed": result.removed_docs,
        "unchanged": result.unchanged_docs, "embedded_chunks": result.embedded_chunks,
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.report.skipped],
        "seconds": round(result.seconds, 2), "counts": result.manifest.counts,
        "stages": {k: {"items": int(v["items"]), "seconds": round(v["seconds"], 2)}
                   for k, v in progress.totals.stages.items()},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"hopper: {progress.totals.line()}", file=sys.stderr)
    for s in result.report.skipped:
        print(f"skipped {s.path}: {s.reason}")
    graph = ""
    counts = result.manifest.counts
    if "graph_nodes" in counts:
        graph = f", graph {counts['graph_nodes']} nodes / {counts.get('graph_edges', 0)} edges"
    print(f"indexed {summary['documents']} documents ({summary['chunks']} chunks{graph}) into {index_dir} "
          f"generation {summary['generation']}: {result.added_docs} added, {result.changed_docs} changed, "
          f"{result.removed_docs} removed, {result.unchanged_docs} unchanged, "
          f"{len(result.report.skipped)} skipped in {result.seconds:.1f}s")
    return 0
