"""Which embedded model to use: the same held-out questions, same commit, same machine, per model.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_models.py [--models local,local:1.5b,local:smollm2]
        [--only demo,realdocs,hotpotqa] [--limit N] [--reuse]

For each model and question set, runs `hopper eval DATA --split S --mode agent --lm MODEL
--no-cache` (one process per run, so peak memory is that run's own) into
`runs/bench-models-<model>-<set>-<commit>`, then prints one table and writes
`benchmarks/results/models.json`: EM, F1, selective accuracy at the default threshold and its
coverage, EM over answerable questions (realdocs), median and p95 seconds per question, and
the peak resident memory of the process. The sets are the questions never tuned on: the demo
test split, the realdocs test split and HotpotQA 51-100. `--reuse` scores finished runs again
(an interrupted run resumes where it stopped). `local:1.5b` needs `make install MODELS=1.5b`.
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
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_reading import SETS, chosen_sets, commit  # noqa: E402 - after the path is set

RESULTS = REPO / "benchmarks" / "results" / "models.json"
COLUMNS = ("questions", "em", "f1", "em_answerable", "selective_accuracy", "coverage", "latency_p50_s",
           "latency_p95_s", "peak_rss_mb")
# The child runs the CLI and, whatever happens, records its own peak resident memory.
CHILD = ("import resource, runpy, sys\n"
         "out = sys.argv.pop(1)\n"
         "sys.argv[0] = 'hopper'\n"
         "try:\n"
         "    runpy.run_module('tui.cli', run_name='__main__')\n"
         "finally:\n"
         "    open(out, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))\n")


def run_one(model: str, name: str, rev: str, *, reuse: bool, limit: int) -> dict:
    from agent.eval.report import score_run

    data, split, label = SETS[name]
    slug = model.replace(":", "-").replace("/", "-")
    out = REPO / "runs" / f"bench-models-{slug}-{name}-{rev}"
    args = ["eval", str(data), "--split", split, "--mode", "agent", "--lm", model, "--no-cache",
            "--out", str(out)]
    if limit:
        args += ["--limit", str(limit)]
    rss_file = out.parent / f"{out.name}.rss"  # not with_suffix: "local:1.5b" has a dot
    if not reuse:
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", CHILD, str(rss_file), *args], cwd=REPO, check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    _, metrics = score_run(out)
    row = {k: metrics.get(k) for k in COLUMNS}
    row["peak_rss_mb"] = int(rss_file.read_text()) if rss_file.is_file() else None
    return {"model": model, "set": label, "command": "hopper " + " ".join(args),
            "run_dir": os.path.relpath(out, REPO), **row}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="local,local:1.5b,local:smollm2", help="comma-separated --lm values")
    p.add_argument("--only", default="demo,realdocs,hotpotqa", help="demo, realdocs, hotpotqa")
    p.add_argument("--limit", type=int, default=0, help="only the first N questions of each set")
    p.add_argument("--reuse", action="store_true", help="score the finished run folders again, run nothing")
    args = p.parse_args()
    rev = commit()
    rows = []
    for name in chosen_sets(p, args.only):
        for model in [m.strip() for m in args.models.split(",") if m.strip()]:
            rows.append(run_one(model, name, rev, reuse=args.reuse, limit=args.limit))
    print("| model | set | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for r in rows:
        print(f"| {r['model']} | {r['set']} | " + " | ".join(str(r.get(c)) for c in COLUMNS) + " |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {"commit": rev, "limit": args.limit or None, "results": rows}
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
