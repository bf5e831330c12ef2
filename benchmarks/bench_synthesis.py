"""Synthesis benchmark: the demo's open (list/compare/explain) questions, and factoid routing.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_synthesis.py [--split test] [--lm local] [--out RUN_DIR]

Runs `examples/demo/open_questions.jsonl` (one split) through the agent exactly as
`hopper eval examples/demo/open_questions.jsonl --split test --mode agent --no-cache` does
(uncached LM calls, the demo index built or reused from the evaluation cache), then prints
item recall, item precision, the citation support rate (every sentence of every synthesis
checked against the quotes of the passages it cites), dropped sentences and the median
seconds per question. It also classifies the demo's factoid questions of the same split with
the shape rules alone (no LM) and counts those routed to a synthesis. Writes
`benchmarks/results/synthesis.json`; the run folder (traces, report.md) is kept for inspection.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEMO = REPO / "examples" / "demo"
RESULTS = REPO / "benchmarks" / "results" / "synthesis.json"
TARGETS = {
    "item_recall": 0.7,
    "item_precision": 0.7,
    "support_rate": 0.95,
    "latency_p50_s": 60.0,
    "factoid_misrouted": 1,
}


def misrouted_factoids(split: str) -> dict:
    """Demo factoid questions of `split` that the shape rules send to a synthesis (no LM)."""
    from agent.synthesis import classify_question

    rows = [json.loads(line) for line in (DEMO / "questions.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if not split or r.get("split") == split]
    wrong = {r["id"]: classify_question(r["question"]).shape for r in rows}
    wrong = {k: v for k, v in wrong.items() if v != "factoid"}
    return {"questions": len(rows), "misrouted": len(wrong), "which": wrong}


def run_open_questions(split: str, lm: str, out: Path, limit: int | None) -> dict:
    from agent.config import load_config
    from agent.eval.datasets import load_dataset
    from agent.eval.indexcache import cached_index
    from agent.eval.report import score_run, write_report
    from agent.eval.runner import run_questions
    from agent.session import Session
    from tui.commands.index import components_for

    cfg = load_config({"lm.model": lm, "lm.cache": False})
    dataset = load_dataset(DEMO / "open_questions.jsonl", split)
    index_dir, _ = cached_index(dataset.corpus_paths, dataset.corpus_format, cfg.index, components_for(cfg))
    cfg.index_dir = str(index_dir)
    session = Session(cfg)
    settings = {
        "dataset": str(DEMO / "open_questions.jsonl"),
        "split": split,
        "mode": "agent",
        "lm": lm,
        "benchmark": "synthesis",
    }

    def done(q, trace, progress):
        print(
            f"[{progress.done}/{progress.total}] {q.qid} {trace.first('run_end').data.get('seconds')}s",
            file=sys.stderr,
            flush=True,
        )

    run_questions(session, dataset, out, mode="agent", settings=settings, limit=limit, on_done=done)
    scores, metrics = score_run(out)
    write_report(out, scores, metrics, plots=False)
    per_question = [
        {
            "id": s.qid,
            "shape": s.shape,
            "item_recall": s.item_recall,
            "item_precision": s.item_precision,
            "sentences": s.sentences,
            "supported": s.supported,
            "dropped": s.dropped,
            "seconds": s.seconds,
            "lm_calls": s.lm_calls,
        }
        for s in scores
    ]
    return {
        "metrics": {
            k: metrics.get(k)
            for k in (
                "questions",
                "item_recall",
                "item_precision",
                "support_rate",
                "dropped_mean",
                "latency_p50_s",
                "latency_mean_s",
                "lm_calls_mean",
                "tool_calls_mean",
                "shape",
            )
        },
        "per_question": per_question,
        "median_seconds": statistics.median([s.seconds for s in scores] or [0]),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--split", default="test", help="train or test (default test)")
    p.add_argument("--lm", default="local", help="LM for the run (default: the embedded model)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--out", default=None, help="run folder (default: a new temporary folder)")
    args = p.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="hopper-synthesis-"))
    t0 = time.time()
    routing = misrouted_factoids(args.split)
    result = run_open_questions(args.split, args.lm, out, args.limit)
    m = result["metrics"]
    print(f"\nopen questions ({args.split}, {m['questions']}, LM {args.lm}, uncached), run folder {out}")
    print(f"{'measure':<28} {'value':>8}  target")
    rows = [
        ("item recall", m.get("item_recall"), "≥ 0.7"),
        ("item precision", m.get("item_precision"), "≥ 0.7"),
        ("citation support rate", m.get("support_rate"), "≥ 0.95"),
        ("dropped sentences / question", m.get("dropped_mean"), ""),
        ("median seconds / question", m.get("latency_p50_s"), "≤ 60"),
        ("LM calls / question", m.get("lm_calls_mean"), ""),
        (f"factoids misrouted ({routing['questions']})", routing["misrouted"], "≤ 1"),
    ]
    for name, value, target in rows:
        print(f"{name:<28} {value if value is not None else '—':>8}  {target}")
    for q in result["per_question"]:
        print(
            f"  {q['id']} {q['shape']:<8} R={q['item_recall']} P={q['item_precision']} "
            f"support={q['supported']}/{q['sentences']} dropped={q['dropped']} {q['seconds']:.1f}s"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "split": args.split,
                "lm": args.lm,
                "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "wall_seconds": round(time.time() - t0, 1),
                "targets": TARGETS,
                "routing": routing,
                **result,
            },
            indent=2,
            default=str,
        )
    )
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
