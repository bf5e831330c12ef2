"""Fit the answer selector (`agent/reading/select.py`) on the logged traces of training questions.

    PYTHONPATH=. .venv/bin/python benchmarks/tune_selector.py RUN_DIR [RUN_DIR ...] [--write]

Each RUN_DIR is a finished `hopper eval ... --mode agent` folder over *training* questions only
(realdocs `--split train`, demo `--split train`, HotpotQA `--split 1-50`), and runs of their
unanswerable variants (`benchmarks/counterfactual.py`: a number of the question changed to one no
document holds, which the training splits themselves hardly have). Every `select` event
gives the features of one checked answer; its label is whether the answer is right (F1 >= 0.8
against the gold answers; any answer to a question with no gold answer is wrong). Two logistic
models are fitted with scikit-learn: `scored` (all features, for LMs that give reply
probabilities) and `plain` (without `support`). The `not_found` floor of each is the highest
probability at which at most MAX_REFUSED of the answerable questions would be refused, so that
"not in your documents" costs few answers. Prints leave-one-run-out and 5-fold figures, and with
`--write` stores the weights in `agent/reading/selector.json` (and a copy of the table in
`benchmarks/results/selector.json`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.eval.metrics import f1_score  # noqa: E402
from agent.reading.select import FEATURES, WEIGHTS, SelectorWeights  # noqa: E402
from agent.reading.terms import absent_numbers, question_terms  # noqa: E402
from tools.index import Index  # noqa: E402

MAX_REFUSED = 0.04
"""Share of answerable training questions that the floor may refuse (the target is at most 5%)."""
RIGHT_F1 = 0.8


def rows_of(run_dir: Path) -> list[dict]:
    """One row per question of a run: its select features (None when it had no checked answer),
    the label, and whether the question is answerable."""
    gold = {}
    for line in (run_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        gold[g["id"]] = g
    events: dict[str, list[dict]] = {}
    for line in (run_dir / "traces.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        events.setdefault(e["run"], []).append(e)
    rows = []
    for qid, evs in events.items():
        if qid not in gold:
            continue
        g = gold[qid]
        answers = g.get("answers") or []
        select = [e["data"] for e in evs if e["type"] == "select"]
        start = next((e["data"] for e in evs if e["type"] == "run_start"), {})
        row = {"qid": qid, "run": run_dir.name, "answerable": bool(answers), "kind": g.get("kind", ""),
               "features": None, "right": False}
        if select:
            s = select[-1]
            row["features"] = dict(s["features"])
            if "absent_number" not in row["features"] and start.get("index_dir"):
                row["features"]["absent_number"] = absent_number(start["question"], start["index_dir"])
            row["right"] = bool(answers) and f1_score(s["answer"], answers) >= RIGHT_F1
        rows.append(row)
    return rows


def absent_number(question: str, index_dir: str) -> float:
    """The `absent_number` feature of a run logged before it was traced: it depends only on the
    question and the index, so it is computed again from them."""
    return float(bool(absent_numbers(question_terms(question), _index(index_dir))))


@cache
def _index(index_dir: str) -> Index:
    return Index(index_dir)


def matrix(rows: list[dict], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[float(r["features"].get(n) or 0.0) for n in names] for r in rows])
    y = np.array([int(r["right"]) for r in rows])
    return x, y


def fit(rows: list[dict], names: list[str]):
    from sklearn.linear_model import LogisticRegression

    x, y = matrix(rows, names)
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(x, y)
    return model


def floor(probabilities: np.ndarray, answerable: np.ndarray, n_answerable: int) -> float:
    """The highest floor that refuses at most MAX_REFUSED of the answerable questions."""
    allowed = int(MAX_REFUSED * n_answerable)
    ordered = np.sort(probabilities[answerable])
    return float(ordered[allowed]) if len(ordered) > allowed else 0.0


def evaluate(rows: list[dict], names: list[str], folds: int = 5, seed: int = 13) -> dict:
    """Out-of-fold probabilities: AUC, and refusals at the floor fitted on the other folds."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    probs = np.zeros(len(rows))
    refuse = np.zeros(len(rows), dtype=bool)
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        tr = [rows[i] for i in train]
        model = fit(tr, names)
        x_tr, _ = matrix(tr, names)
        p_tr = model.predict_proba(x_tr)[:, 1]
        ans_tr = np.array([r["answerable"] for r in tr])
        f = floor(p_tr, ans_tr, int(ans_tr.sum()))
        x_te, _ = matrix([rows[i] for i in test], names)
        probs[test] = model.predict_proba(x_te)[:, 1]
        refuse[test] = probs[test] < f
    return figures(rows, probs, refuse)


def figures(rows: list[dict], probs: np.ndarray, refuse: np.ndarray) -> dict:
    """AUC of `probs`, and the shares refused and right when answered under `refuse`."""
    from sklearn.metrics import roc_auc_score

    y = np.array([int(r["right"]) for r in rows])
    answerable = np.array([r["answerable"] for r in rows])
    return {
        "auc": round(float(roc_auc_score(y, probs)), 3) if 0 < y.sum() < len(y) else None,
        "answerable_refused": round(float(refuse[answerable].mean()), 3) if answerable.any() else None,
        "unanswerable_refused": round(float(refuse[~answerable].mean()), 3) if (~answerable).any() else None,
        "accuracy_answered": round(float(y[~refuse].mean()), 3) if (~refuse).any() else None,
    }


def shipped(rows: list[dict], key: str) -> dict | None:
    """The same figures for the weights in `agent/reading/selector.json` now (fitted on other runs,
    so out of sample on new ones): what a refit has to beat."""
    from agent.reading.select import load_weights

    weights = load_weights(scored=key == "scored", path=WEIGHTS)
    if weights is None:
        return None
    probs = np.array([weights.probability(r["features"]) for r in rows])
    refuse = probs < weights.not_found
    return figures(rows, probs, refuse)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", help="finished eval run folders over training questions")
    p.add_argument("--write", action="store_true", help="store the weights in agent/reading/selector.json")
    args = p.parse_args()
    rows = [r for run in args.runs for r in rows_of(Path(run))]
    have = [r for r in rows if r["features"] is not None]
    scored_rows = [r for r in have if r["features"].get("support") is not None]
    print(f"{len(rows)} questions, {len(have)} with a checked answer "
          f"({sum(r['right'] for r in have)} right), {sum(not r['answerable'] for r in rows)} unanswerable")
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                         text=True).stdout.strip()
    fitted_on = ", ".join(sorted({r["run"] for r in have})) + f" at {rev}"
    out, table = {}, {}
    for key, names, data in (("scored", list(FEATURES), scored_rows),
                             ("plain", [n for n in FEATURES if n != "support"], have)):
        if len(data) < 10 or len({r["right"] for r in data}) < 2:
            print(f"{key}: too few rows ({len(data)}) to fit")
            continue
        model = fit(data, names)
        x, _ = matrix(data, names)
        probs = model.predict_proba(x)[:, 1]
        answerable = np.array([r["answerable"] for r in data])
        weights = SelectorWeights(names, [float(c) for c in model.coef_[0]], float(model.intercept_[0]),
                                  floor(probs, answerable, int(answerable.sum())), fitted_on)
        out[key] = weights.as_dict()
        table[key] = {"rows": len(data), "cross_validated": evaluate(data, names), **weights.as_dict()}
        table[key]["shipped"] = shipped(data, key)
        print(f"\n{key}: floor {weights.not_found:.3f}; 5-fold: {table[key]['cross_validated']}")
        print(f"  the weights shipped now, on the same rows: {table[key]['shipped']}")
        for n, c in zip(names, weights.coef, strict=True):
            print(f"  {n:15} {c:+.3f}")
    if args.write and out:
        WEIGHTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        results = REPO / "benchmarks" / "results" / "selector.json"
        results.write_text(json.dumps({"commit": rev, "runs": args.runs, **table}, indent=2) + "\n",
                           encoding="utf-8")
        print(f"\nwrote {WEIGHTS.relative_to(REPO)} and {results.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
