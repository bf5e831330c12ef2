"""Scores, tables and plots for an agent evaluation run: metrics.json, results.csv, report.md + PNGs."""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from agent.eval.metrics import RECALL_KS, SELECTIVE_F1, QuestionScore, score_traces, selective
from agent.eval.runner import read_gold
from agent.trace import iter_traces

CSV_FIELDS = ["qid", "question", "prediction", "answer", "gold", "em", "f1",
              *[f"recall@{k}" for k in RECALL_KS],
              "status", "stop", "seconds", "lm_calls", "tool_calls", "tokens", "hops", "rounds",
              "subquestions",
              "sufficient", "fallbacks", "confidence", "abstained", "cited_answer", "shape", "item_recall",
              "item_precision", "sentences", "supported", "dropped"]
SYNTHESIS_KEYS = ("item_recall", "item_precision", "support_rate", "dropped_mean")
CURVE = [round(0.05 * i, 2) for i in range(21)]


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 4) if values else 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


def aggregate(scores: list[QuestionScore], settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Mean answer and evidence metrics, cost and latency over the scored questions."""
    lat = [s.seconds for s in scores]
    metrics: dict[str, Any] = {
        "questions": len(scores),
        "em": _mean([s.em for s in scores]),
        "f1": _mean([s.f1 for s in scores]),
    }
    for k in RECALL_KS:
        judged = [s.recall[f"recall@{k}"] for s in scores if f"recall@{k}" in s.recall]
        metrics[f"recall@{k}"] = _mean(judged)
    metrics.update({
        "latency_p50_s": _pct(lat, 0.5),
        "latency_p95_s": _pct(lat, 0.95),
        "latency_mean_s": _mean(lat),
        "lm_calls_mean": _mean([s.lm_calls for s in scores]),
        "tool_calls_mean": _mean([s.tool_calls for s in scores]),
        "tokens_mean": _mean([s.tokens for s in scores]),
        "sufficient_rate": _mean([float(s.sufficient) for s in scores]),
        "shape": dict(Counter(s.shape for s in scores)),
        **_selective_metrics(scores, settings or {}),
        "status": dict(Counter(s.status for s in scores)),
        "stop": dict(Counter(s.stop for s in scores)),
        "settings": settings or {},
    })
    metrics.update(_refusal_metrics(scores))
    itemized = [s for s in scores if s.item_recall is not None]
    if itemized:
        metrics["item_recall"] = _mean([s.item_recall for s in itemized])
        metrics["item_precision"] = _mean([s.item_precision for s in itemized])
    synthesized = [s for s in scores if s.sentences]
    if synthesized:
        metrics["support_rate"] = round(sum(s.supported for s in synthesized) /
                                        sum(s.sentences for s in synthesized), 4)
        metrics["dropped_mean"] = _mean([s.dropped for s in synthesized])
    return metrics


def _refusal_metrics(scores: list[QuestionScore]) -> dict[str, Any]:
    """EM over the answerable questions (all, and per kind of document when the set gives kinds),
    and how often "not in your documents" was said to unanswerable and to answerable questions."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    out: dict[str, Any] = {"answerable": len(answerable), "em_answerable": _mean([s.em for s in answerable]),
                           "f1_answerable": _mean([s.f1 for s in answerable])}
    if unanswerable:
        out["unanswerable"] = len(unanswerable)
        out["unanswerable_refused"] = _mean([float(s.refused) for s in unanswerable])
    out["answerable_refused"] = _mean([float(s.refused) for s in answerable])
    kinds = sorted({s.kind for s in scores if s.kind})
    if kinds:
        out["em_by_kind"] = {k: _mean([s.em for s in answerable if s.kind == k]) for k in kinds}
    return out


def _selective_metrics(scores: list[QuestionScore], settings: dict[str, Any]) -> dict[str, Any]:
    """Coverage and selective accuracy at the run's threshold, the curve, and uncited answers."""
    agent = settings.get("agent") or {}
    threshold = float(agent.get("min_confidence", settings.get("min_confidence", 0.8)))
    measured = [s for s in scores if s.confidence is not None]
    if not measured:
        return {}
    coverage, accuracy = selective(scores, threshold)
    cited = [s.cited_answer for s in scores if s.cited_answer is not None]
    return {"threshold": threshold, "coverage": coverage, "selective_accuracy": accuracy,
            "curve": [_point(scores, t) for t in CURVE],
            "answers_not_in_cited_passage": sum(not c for c in cited)}


def _point(scores: list[QuestionScore], threshold: float) -> dict[str, float]:
    coverage, accuracy = selective(scores, threshold)
    return {"threshold": threshold, "coverage": coverage, "accuracy": accuracy}


def score_run(run_dir: str | Path) -> tuple[list[QuestionScore], dict[str, Any]]:
    """Score every trace saved in a run directory (in question order) and aggregate."""
    run_dir = Path(run_dir)
    gold = read_gold(run_dir)
    meta = json.loads((run_dir / "run.json").read_text())
    path = run_dir / "traces.jsonl"
    traces = list(iter_traces(path)) if path.exists() else []
    order = {qid: i for i, qid in enumerate(gold)}
    scores = sorted(score_traces(traces, gold), key=lambda s: order.get(s.qid, len(order)))
    return scores, aggregate(scores, meta.get("settings"))


def write_report(run_dir: str | Path, scores: list[QuestionScore], metrics: dict[str, Any],
                 plots: bool = True) -> None:
    """Write metrics.json, results.csv, report.md and (with `plots`) the PNG figures."""
    run_dir = Path(run_dir)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    with (run_dir / "results.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for s in scores:
            writer.writerow(s.row())
    figures = make_plots(run_dir, scores) if plots and scores else []
    (run_dir / "report.md").write_text(render_markdown(scores, metrics, figures), encoding="utf-8")


def _by(scores: list[QuestionScore], key) -> dict[Any, list[QuestionScore]]:
    groups: dict[Any, list[QuestionScore]] = {}
    for s in scores:
        groups.setdefault(key(s), []).append(s)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] if kv[0] is not None else 0)))


def make_plots(run_dir: Path, scores: list[QuestionScore]) -> list[tuple[str, str]]:
    """PNG figures (title, file name): recall by hops and rounds, latency, stop reasons."""
    import matplotlib  # heavy, only when figures are drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # heavy: matplotlib

    out: list[tuple[str, str]] = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (label, key) in zip(axes, [("hops (gold documents)", lambda s: s.hops),
                                       ("reading rounds used", lambda s: s.rounds)], strict=True):
        groups = {k: v for k, v in _by(scores, key).items() if k is not None}
        names = [str(k) for k in groups]
        width = 0.8 / (len(RECALL_KS) + 1)
        for i, k in enumerate(RECALL_KS):
            vals = [_mean([s.recall.get(f"recall@{k}", 0.0) for s in g]) for g in groups.values()]
            ax.bar([j + i * width for j in range(len(names))], vals, width, label=f"recall@{k}")
        ax.bar([j + len(RECALL_KS) * width for j in range(len(names))],
               [_mean([s.f1 for s in g]) for g in groups.values()], width, label="answer F1")
        ax.set_xticks([j + width for j in range(len(names))],
                      [f"{n}\n(n={len(g)})" for n, g in zip(names, groups.values(), strict=True)])
        ax.set_xlabel(label)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7)
    axes[0].set_title("by number of hops")
    axes[1].set_title("by rounds of search")
    fig.tight_layout()
    fig.savefig(run_dir / "recall_by_hops.png", dpi=110)
    plt.close(fig)
    out.append(("Evidence recall and answer F1 by hops and by rounds", "recall_by_hops.png"))

    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.hist([s.seconds for s in scores], bins=min(30, max(5, len(scores) // 2)), color="#4477aa")
    ax.set_xlabel("seconds per question")
    ax.set_ylabel("questions")
    ax.set_title("latency")
    fig.tight_layout()
    fig.savefig(run_dir / "latency.png", dpi=110)
    plt.close(fig)
    out.append(("Latency distribution", "latency.png"))

    stops = Counter(s.stop for s in scores)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    names = sorted(stops, key=lambda n: -stops[n])
    ax.barh(names, [stops[n] for n in names], color="#ee6677")
    ax.invert_yaxis()
    ax.set_xlabel("questions")
    ax.set_title("where the agent stopped")
    fig.tight_layout()
    fig.savefig(run_dir / "stops.png", dpi=110)
    plt.close(fig)
    out.append(("Where the agent stopped and why", "stops.png"))
    return out


STOP_MEANING = {
    "answered": "every sub-question answered and the answer was grounded",
    "partial": "answered, but at least one sub-question ran out of search rounds",
    "insufficient": "the agent declined: the evidence did not contain the answer",
    "cancelled": "cancelled by the user",
    "error": "the run failed (see the trace's run_end error)",
}


METRIC_KEYS = ("questions", "em", "f1", *[f"recall@{k}" for k in RECALL_KS], "latency_p50_s", "latency_p95_s",
               "lm_calls_mean", "tool_calls_mean", "tokens_mean", "sufficient_rate", "threshold", "coverage",
               "selective_accuracy", "answers_not_in_cited_passage", "answerable", "em_answerable",
               "f1_answerable", "unanswerable", "unanswerable_refused", "answerable_refused")


def render_markdown(scores: list[QuestionScore], metrics: dict[str, Any],
                    figures: list[tuple[str, str]]) -> str:
    st = metrics.get("settings", {})
    lines = [f"# Evaluation report: {st.get('dataset', '?')} ({st.get('mode', '?')})", ""]
    lines += ["| setting | value |", "|---|---|"]
    shown = ("dataset", "split", "mode", "lm", "fast_lm", "program", "index")
    lines += [f"| {key} | `{st[key]}` |" for key in shown if key in st]
    lines += _metric_lines(metrics) + _stop_lines(metrics) + _hop_lines(scores)
    for title, name in figures:
        lines += ["", f"### {title}", "", f"![{title}]({name})"]
    lines += _miss_lines(scores)
    return "\n".join(lines) + "\n"


def _metric_lines(metrics: dict[str, Any]) -> list[str]:
    lines = ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {key} | {metrics[key]} |" for key in (*METRIC_KEYS, *SYNTHESIS_KEYS) if key in metrics]
    if metrics.get("em_by_kind"):
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(metrics["em_by_kind"].items()))
        lines.append(f"| EM (answerable) by kind of document | {kinds} |")
    if metrics.get("shape"):
        shapes = ", ".join(f"{k} {v}" for k, v in sorted(metrics["shape"].items()))
        lines.append(f"| shapes | {shapes} |")
    if metrics.get("curve"):
        lines += ["", f"## Coverage and accuracy by confidence threshold (right = F1 >= {SELECTIVE_F1})", "",
                  "| threshold | coverage | accuracy when answering |", "|---|---|---|"]
        lines += [f"| {c['threshold']:.2f} | {c['coverage']:.2f} | {c['accuracy']:.2f} |"
                  for c in metrics["curve"] if c["coverage"] > 0]
    return lines


def _stop_lines(metrics: dict[str, Any]) -> list[str]:
    lines = ["", "## Where the agent stopped", "", "| stop | questions | meaning |", "|---|---|---|"]
    for name, n in sorted(metrics.get("stop", {}).items(), key=lambda kv: -kv[1]):
        budget = "a budget ran out: " + name.split(":", 1)[-1] if name.startswith("budget") else ""
        lines.append(f"| {name} | {n} | {STOP_MEANING.get(name, budget)} |")
    return lines


def _hop_lines(scores: list[QuestionScore]) -> list[str]:
    hops = {k: v for k, v in _by(scores, lambda s: s.hops).items() if k is not None}
    if not hops:
        return []
    lines = ["", "## By number of hops", "",
             "| hops | n | EM | F1 | " + " | ".join(f"recall@{k}" for k in RECALL_KS) + " |",
             "|---|---|---|---|" + "---|" * len(RECALL_KS)]
    for h, g in hops.items():
        recalls = [str(_mean([s.recall.get(f"recall@{k}", 0.0) for s in g])) for k in RECALL_KS]
        lines.append(f"| {h} | {len(g)} | {_mean([s.em for s in g])} | {_mean([s.f1 for s in g])} | "
                     + " | ".join(recalls) + " |")
    return lines


def _miss_lines(scores: list[QuestionScore]) -> list[str]:
    wrong = [s for s in scores if s.f1 < 1.0][:15]
    if not wrong:
        return []
    lines = ["", "## Misses (first 15)", "", "| id | prediction | gold | F1 | stop |",
             "|---|---|---|---|---|"]
    for s in wrong:
        pred = (s.prediction or "—").replace("|", "\\|")[:60]
        gold = " / ".join(s.gold).replace("|", "\\|")[:60]
        lines.append(f"| {s.qid} | {pred} | {gold} | {s.f1:.2f} | {s.stop} |")
    return lines
