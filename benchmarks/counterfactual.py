"""Unanswerable variants of training questions, for fitting the answer selector.

    PYTHONPATH=. .venv/bin/python benchmarks/counterfactual.py DATA --split SPLIT --out DIR

For every question of DATA's training split that gives a number the documents hold ("the 15-country
study", "in 1986"), writes the same question with that number changed to a nearby one that no
document holds: the documents no longer answer it, so any answer to it is wrong. DIR is a dataset
folder of the same kind whose corpus is DATA's own (a link, so `hopper eval` reuses the cached
index): run `hopper eval DIR --mode agent` on it and pass the run to `benchmarks/tune_selector.py`
beside the runs of the original questions. The selector then sees, among its training rows,
questions whose number no document mentions, which the training splits themselves hardly have.
Only training questions are changed (realdocs `train`, demo `train`, HotpotQA `1-50`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.eval.datasets import question_range  # noqa: E402
from agent.reading.terms import Term, absent_terms, question_terms  # noqa: E402

STEPS = (3, -3, 7, -7, 11, -11, 17, -17, 29, -29, 41, -41)
"""Offsets tried, in order, for a changed number (nearby, so the question stays plausible)."""


def corpus_text(folder: Path) -> str:
    """Every document of a dataset folder, lower-cased: `docs/` files, or a HotpotQA corpus."""
    if (folder / "corpus.json").exists():
        corpus = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
        return "\n".join(f"{t}\n{' '.join(s)}" for t, s in corpus.items()).lower()
    files = sorted(p for p in (folder / "docs").rglob("*") if p.is_file())
    return "\n".join(p.read_text(encoding="utf-8", errors="ignore") for p in files).lower()


def changed(number: str, text: str) -> str | None:
    """`number` with its last group of digits moved by the first of `STEPS` that gives a number
    absent from `text`; None when none does."""
    m = re.search(r"(\d+)$", number)
    if not m:
        return None
    digits = m.group(1)
    for step in STEPS:
        value = int(digits) + step
        if value < 0:
            continue
        new = number[: m.start()] + (str(value).zfill(len(digits)) if digits.startswith("0") else str(value))
        if absent_terms([Term(new, "number")], text):
            return new
    return None


def counterfactual(question: str, text: str) -> str | None:
    """`question` with its first number that the documents hold changed to one they do not."""
    for term in question_terms(question):
        if term.kind != "number" or absent_terms([term], text):
            continue
        new = changed(term.text, text)
        if new is not None:
            return re.sub(rf"(?<![\d.,]){re.escape(term.text)}(?![\d])", new, question, count=1)
    return None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--split", required=True, help="a training split: train, or 1-50 for HotpotQA")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    data = args.data.resolve()
    text = corpus_text(data)
    args.out.mkdir(parents=True, exist_ok=True)
    made = 0
    if (data / "questions.json").exists():  # HotpotQA: questions.json + corpus.json
        rows = json.loads((data / "questions.json").read_text(encoding="utf-8"))
        out = []
        for n in question_range(args.split, len(rows)):
            new = counterfactual(rows[n]["question"], text)
            if new is not None:
                out.append({**rows[n], "_id": f"cf-{rows[n]['_id']}", "question": new, "answer": ""})
        (args.out / "questions.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
        link, made = args.out / "corpus.json", len(out)
        target = data / "corpus.json"
    else:  # QA folder: questions.jsonl + docs/
        lines = []
        for line in (data / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if q.get("split") != args.split or not q.get("answers"):
                continue
            new = counterfactual(q["question"], text)
            if new is not None:
                lines.append(json.dumps({"id": f"cf-{q['id']}", "question": new, "answers": [],
                                         "supporting_ids": [], "kind": q.get("kind", ""),
                                         "answer_type": "unanswerable", "split": args.split}))
        (args.out / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        link, made = args.out / "docs", len(lines)
        target = data / "docs"
    if not link.exists():
        link.symlink_to(target)
    print(f"{made} unanswerable variants written to {args.out}")


if __name__ == "__main__":
    main()
