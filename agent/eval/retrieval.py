"""Retrieval evaluation: run every query through a retriever, score documents by their best
chunk (MaxP), and compute ranking metrics with ir-measures."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from agent.eval.datasets import Dataset
from tools.types import Hit, Retriever

DEFAULT_MEASURES = ("nDCG@10", "R@2", "R@5", "R@10", "R@100")


def doc_ranking(hits: list[Hit], depth: int) -> dict[str, float]:
    """Per-document scores from chunk hits: a document scores as its best chunk (MaxP)."""
    scores: dict[str, float] = {}
    for rank, hit in enumerate(hits):
        # Rank-based score keeps fused and raw scores comparable and ties stable.
        s = float(depth - rank)
        if s > scores.get(hit.doc_id, float("-inf")):
            scores[hit.doc_id] = s
    return scores


def calc_metrics(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]],
                 measures: tuple[str, ...] = DEFAULT_MEASURES) -> dict[str, float]:
    """Mean metrics over the queries in `qrels` (a query missing from `run` scores 0)."""
    import ir_measures  # heavy (pandas), only when retrieval is scored

    parsed = [ir_measures.parse_measure(m) for m in measures]
    full_run = {q: run.get(q) or {"__none__": 0.0} for q in qrels}
    agg = ir_measures.calc_aggregate(parsed, qrels, full_run)
    return {_name(m): float(agg[m]) for m in parsed}


def per_query_metrics(qrels, run, measures=DEFAULT_MEASURES) -> dict[str, dict[str, float]]:
    import ir_measures  # heavy (pandas), only when retrieval is scored

    parsed = [ir_measures.parse_measure(m) for m in measures]
    full_run = {q: run.get(q) or {"__none__": 0.0} for q in qrels}
    out: dict[str, dict[str, float]] = {}
    for m in ir_measures.iter_calc(parsed, qrels, full_run):
        out.setdefault(m.query_id, {})[_name(m.measure)] = float(m.value)
    return out


def _name(measure) -> str:
    text = str(measure)
    return text.replace("nDCG", "ndcg").replace("R@", "recall@")


@dataclass
class RetrievalRun:
    run: dict[str, dict[str, float]]
    latencies: list[float]


def run_retrieval(dataset: Dataset, retriever: Retriever, depth: int = 100, limit: int | None = None,
                  on_query=None) -> RetrievalRun:
    run: dict[str, dict[str, float]] = {}
    latencies = []
    questions = dataset.questions[:limit] if limit else dataset.questions
    # Chunks per document vary: fetch extra chunks so `depth` distinct documents survive MaxP.
    chunk_depth = depth * 3
    for q in questions:
        t = time.perf_counter()
        hits = retriever.search(q.question, chunk_depth)
        latencies.append(time.perf_counter() - t)
        run[q.qid] = doc_ranking(hits, chunk_depth)
        if on_query:
            on_query(q)
    return RetrievalRun(run, latencies)


def summarize(dataset: Dataset, result: RetrievalRun, index_seconds: float, limit: int | None = None) -> dict:
    qids = [q.qid for q in (dataset.questions[:limit] if limit else dataset.questions)]
    qrels = {q: dataset.qrels[q] for q in qids if dataset.qrels.get(q)}
    metrics = calc_metrics(qrels, result.run)
    total = sum(result.latencies)
    lat = sorted(result.latencies)
    metrics.update({
        "queries": len(qids),
        "index_seconds": round(index_seconds, 2),
        "query_seconds": round(total, 3),
        "qps": round(len(qids) / total, 1) if total else 0.0,
        "latency_p50_ms": round(statistics.median(lat) * 1000, 2) if lat else 0.0,
        "latency_p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 2) if lat else 0.0,
    })
    return metrics
