"""Reader benchmark: the reader alone, in HotpotQA's distractor setting, with the embedded model.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_reader.py [--split 51-100] [--out FILE]

Retrieval is taken out of the picture: each question's own ten paragraphs (its two gold
paragraphs and eight distractors) are the hits, the agent's sentence ranker chooses the sentences
the reader sees exactly as in the research loop, and the reader (`agent.reading.reader`) answers
the *whole* question in one reading (no decomposition, no second hop). So the figure is how well
the reading path turns a fixed pool of evidence into an answer: EM, F1, how often a gold answer is
in the sentences shown, and accuracy by how the answer was found. Questions 1-50 are the tuning
half; report on 51-100. Prints one table and writes JSON (`--out`, default
`benchmarks/results/reader.json`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "hotpotqa" / "questions.json"
RESULTS = REPO / "benchmarks" / "results" / "reader.json"


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def hits_of(item: dict) -> list:
    """The question's ten context paragraphs as retrieval hits (title, whole paragraph)."""
    from tools.types import Hit

    return [Hit(f"{title}#0", title, title, "".join(sents).strip(), 1.0, "context")
            for title, sents in item["context"]]


def read_one(reader, ranker, nlp, item: dict, read_sentences: int, follow: int = 0):
    """The reader's reading of one question over sentences chosen as the research loop chooses them."""
    from agent.modules import norm_text
    from agent.reading.evidence import Sentence
    from agent.reading.question import analyse, subjects

    question = item["question"]
    info = analyse(question)
    if info.form == "yesno":
        info.subjects = subjects(question, nlp)
    hits = hits_of(item)
    names = info.options or info.subjects
    if names:
        sentences: list[Sentence] = []
        for subject in names:
            about = [h for h in hits if norm_text(subject) in norm_text(f"{h.title} {h.text}")] or hits
            sentences += ranker.select(question, about, limit=2, per_passage=1)
        sentences = list({x.text: x for x in sentences}.values())
    else:
        sentences = ranker.select(question, hits, limit=read_sentences, per_passage=2, follow=follow)
    return info, sentences, reader(question=question, info=info, sentences=sentences, nlp=nlp)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", default="51-100", help="1-based question range, e.g. 1-50 (tuning) or 51-100")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("-v", "--verbose", action="store_true", help="print each question (tuning half only!)")
    args = p.parse_args()
    if not DATA.exists():
        print(f"no HotpotQA data at {DATA}", file=sys.stderr)
        return 2
    import dspy

    from agent.config import HopperConfig
    from agent.eval.metrics import exact_match, f1_score
    from agent.lm import get_lm
    from agent.reading.checks import normalize
    from agent.reading.evidence import SentenceRanker
    from agent.reading.reader import ReaderModule
    from graphs.extract import load_spacy
    from graphs.settings import GraphSettings
    from tools.embed import Embedder

    cfg = HopperConfig()
    first, last = (int(x) for x in args.split.split("-"))
    items = json.loads(DATA.read_text())[first - 1:last]
    lm = get_lm(dataclasses.replace(cfg.lm, cache=False))
    ranker = SentenceRanker(Embedder(cfg.index.embed))
    nlp, reader = load_spacy(GraphSettings().spacy_model), ReaderModule()
    rows, by_method = [], defaultdict(list)
    started = time.perf_counter()
    with dspy.context(lm=lm):
        for n, item in enumerate(items, first):
            t0 = time.perf_counter()
            info, sentences, reading = read_one(reader, ranker, nlp, item, cfg.agent.read_sentences,
                                                     cfg.agent.read_follow)
            gold = [item["answer"]]
            shown = normalize(" ".join(s.render() for s in sentences))
            row = {"n": n, "form": info.form, "type": info.answer_type, "method": reading.method,
                   "em": exact_match(reading.answer, gold), "f1": f1_score(reading.answer, gold),
                   "gold_shown": normalize(item["answer"]) in shown,
                   "seconds": round(time.perf_counter() - t0, 2)}
            rows.append(row)
            by_method[reading.method].append(row["em"])
            if args.verbose:
                print(f"[{n}] {row['em']:.0f} {reading.method:9s} {reading.answer!r} gold {item['answer']!r} "
                      f"raw {reading.raw!r} | {item['question']}", flush=True)
    k = len(rows) or 1
    shown = [r for r in rows if r["gold_shown"]]
    summary = {
        "set": f"HotpotQA questions {args.split}, distractor setting (own 10 paragraphs), reader only",
        "command": f"python benchmarks/bench_reader.py --split {args.split}", "commit": commit(),
        "questions": len(rows), "em": round(sum(r["em"] for r in rows) / k, 3),
        "f1": round(sum(r["f1"] for r in rows) / k, 3),
        "gold_shown": round(len(shown) / k, 3),
        "em_when_shown": round(sum(r["em"] for r in shown) / (len(shown) or 1), 3),
        "by_method": {m: {"n": len(v), "em": round(sum(v) / len(v), 3)}
                      for m, v in sorted(by_method.items())},
        "forms": dict(Counter(r["form"] for r in rows)),
        "seconds_mean": round((time.perf_counter() - started) / k, 2),
    }
    print("| set | questions | em | f1 | gold shown | em when shown | s/question |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {summary['set']} | {summary['questions']} | {summary['em']} | {summary['f1']} | "
          f"{summary['gold_shown']} | {summary['em_when_shown']} | {summary['seconds_mean']} |")
    print("by method:", json.dumps(summary["by_method"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**summary, "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
