"""Reading benchmark: the agent's answers on questions never tuned on, with the embedded model.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_reading.py [--only realdocs,demo,hotpotqa] [--reuse]

Runs `hopper eval ... --mode agent --no-cache` on the realdocs *test* split (manual pages, pydoc
pages, scientific abstracts, package READMEs), the demo *test* split and HotpotQA questions
51-100 (the tuning questions are the realdocs and demo *train* splits and HotpotQA 1-50), each into
`runs/bench-reading-<set>-<commit>`, then prints one table and writes
`benchmarks/results/reading.json`: EM, F1, evidence R@5, coverage and selective accuracy at the
default confidence threshold (right = F1 >= 0.8), short answers not stated by a cited passage,
median seconds per question, LM calls and tokens; for realdocs also EM over the answerable
questions (all, and per kind of document) and the share of unanswerable questions answered
"not in your documents" (and of answerable ones refused). `--reuse` scores finished run folders again
instead of running (an interrupted run resumes where it stopped).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results" / "reading.json"
SETS = {
    "realdocs": (DATA / "realdocs", "test", "realdocs test split (76 questions, 4 kinds of documents)"),
    "demo": (REPO / "examples" / "demo", "test", "demo test split (18 questions, 2-3 hops)"),
    "hotpotqa": (DATA / "hotpotqa", "51-100", "HotpotQA questions 51-100"),
}
COLUMNS = ("questions", "em", "f1", "recall@5", "coverage", "selective_accuracy",
           "answers_not_in_cited_passage", "latency_p50_s", "lm_calls_mean", "tokens_mean",
           "em_answerable", "unanswerable_refused", "answerable_refused", "em_by_kind")


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def chosen_sets(p: argparse.ArgumentParser, only: str) -> list[str]:
    """The sets named in `--only` that are present here (an unknown name is a usage error)."""
    out = []
    for name in [n.strip() for n in only.split(",") if n.strip()]:
        if name not in SETS:
            p.error(f"unknown set {name!r}: choose from {', '.join(SETS)}")
        if not SETS[name][0].exists():
            print(f"skipped {name}: {SETS[name][0]} is absent")
            continue
        out.append(name)
    return out


def run_set(name: str, rev: str, reuse: bool, out: Path | None = None) -> dict:
    from agent.eval.report import score_run

    data, split, label = SETS[name]
    out = (out or REPO / "runs" / f"bench-reading-{name}-{rev}").resolve()
    command = [sys.executable, "-m", "tui.cli", "eval", str(data), "--split", split, "--mode", "agent",
               "--no-cache", "--out", str(out)]
    if not reuse:
        subprocess.run(command, cwd=REPO, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    _, metrics = score_run(out)
    row = {k: metrics.get(k) for k in COLUMNS}
    return {"set": label, "command": "hopper " + " ".join(command[3:]), "run_dir": os.path.relpath(out, REPO),
            "threshold": metrics.get("threshold"), **row, "curve": metrics.get("curve")}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default="realdocs,demo,hotpotqa",
                   help="comma-separated: realdocs, demo, hotpotqa")
    p.add_argument("--reuse", action="store_true", help="score the finished run folders again, run nothing")
    p.add_argument("--from", dest="runs", default="", metavar="SET=DIR,...",
                   help="with --reuse: score these run folders (e.g. hotpotqa=runs/hp-test-abc1234)")
    p.add_argument("--commit", default="", help="with --reuse: the commit the reused runs were measured at")
    args = p.parse_args()
    rev = args.commit or commit()
    rows = []
    for name in chosen_sets(p, args.only):
        given = dict(kv.split("=", 1) for kv in args.runs.split(",") if "=" in kv)
        rows.append(run_set(name, rev, args.reuse, Path(given[name]) if name in given else None))
    print("| set | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for r in rows:
        print(f"| {r['set']} | " + " | ".join(str(r.get(c)) for c in COLUMNS) + " |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"commit": rev, "lm": "embedded Qwen2.5-Coder-0.5B Q4_K_M, uncached",
                                   "results": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
