"""`hopper eval DATA --mode retrieval|agent|rag|closed --out RUN_DIR` (and `hopper eval rescore RUN_DIR`)."""

from __future__ import annotations

import argparse

from tui.common import add_backend_args, add_index_arg, add_lm_args, config_from_args, prepare_index


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="dataset folder (BEIR, QA or HotpotQA), or `rescore`")
    p.add_argument("run_dir", nargs="?", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", choices=["retrieval", "agent", "rag", "closed"], default="retrieval")
    p.add_argument("--retriever", "-r", default=None,
                   help="bm25|dense|hybrid|graph|hybrid+graph (retrieval mode; default hybrid)")
    p.add_argument("--out", metavar="RUN_DIR", default=None, help="where metrics.json (and traces) go")
    p.add_argument("--split", default=None,
                   help="dataset split: BEIR qrels file, QA `split` field, or a HotpotQA question range "
                        "such as 51-100")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--depth", type=int, default=100, help="documents ranked per query (retrieval mode)")
    p.add_argument("--no-graph", action="store_true", help="do not build the knowledge graph for the corpus")
    add_index_arg(p)
    add_backend_args(p)
    add_lm_args(p)
    from tui.commands.eval_agent import add_agent_arguments

    add_agent_arguments(p)


def run(args: argparse.Namespace) -> int:
    if args.data == "rescore":
        from tui.commands.eval_agent import rescore

        return rescore(args)
    if args.mode != "retrieval":
        from tui.commands.eval_agent import run_agent_eval

        return run_agent_eval(args)
    return run_retrieval_eval(args)


def run_retrieval_eval(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from agent.eval.datasets import load_dataset
    from agent.eval.retrieval import run_retrieval, summarize
    from agent.retrieval import open_retriever
    from tools.index import Index

    cfg = config_from_args(args)
    name = args.retriever or "hybrid"
    dataset = load_dataset(args.data, args.split)
    index_dir, index_seconds = prepare_index(args, cfg, dataset, needs_graph="graph" in name)
    index = Index(index_dir, cfg.index)
    retriever = open_retriever(index, name, cfg.graph)
    index.warm()
    result = run_retrieval(dataset, retriever, depth=args.depth, limit=args.limit)
    metrics = summarize(dataset, result, index_seconds, args.limit)
    metrics.update({"dataset": str(args.data), "retriever": name, "index": str(index_dir),
                    "index_generation": index.generation})
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
        with (out / "run.tsv").open("w") as fh:
            for qid, docs in result.run.items():
                for rank, (doc, score) in enumerate(sorted(docs.items(), key=lambda x: -x[1]), 1):
                    fh.write(f"{qid}\tQ0\t{doc}\t{rank}\t{score}\thopper-{name}\n")
    keys = ["ndcg@10", "recall@2", "recall@5", "recall@10", "recall@100"]
    print(f"{name:<12} " + " ".join(f"{k}={metrics[k]:.4f}" for k in keys) +
          f" queries={metrics['queries']} qps={metrics['qps']} p50={metrics['latency_p50_ms']}ms"
          f" index_s={metrics['index_seconds']}")
    return 0
