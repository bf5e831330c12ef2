"""Milvus backend against the local backend on SciFact: nDCG@10, ingest chunks/s, query p50.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_milvus.py [--work DIR] [--limit N] [--reembed]

Both backends index the same chunks and the same embeddings: the local index is built once
with `build_index` (its embedding time is reported on its own), then the Milvus collection
is written from that generation's `chunks.jsonl` + `vectors.npy` by `MilvusComponent`, which
is what `build_index` runs after embedding (`--reembed` builds it end to end instead).
"Ingest" is chunks + vectors -> searchable index: FAISS + bm25s files for local, analysis +
batched insert + flush + index build for Milvus. Documents are scored by their best chunk
(MaxP) and nDCG@10 comes from ir-measures, through the same code as `hopper eval`.
Query p50 is measured separately at k=10 (what the agent asks for), query embedding included.

Prints a table and writes `benchmarks/results/milvus.json`. Skipped with a note when
`../shared/data/scifact` is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "scifact"
RESULTS = REPO / "benchmarks" / "results" / "milvus.json"
RETRIEVERS = ("bm25", "dense", "hybrid")


def _settings(backend: str):
    from tools.settings import IndexSettings

    settings = IndexSettings(graph=False)
    settings.backend.kind = backend  # type: ignore[assignment]
    return settings


def subset_corpus(work: Path, qrels: dict[str, dict[str, int]], max_docs: int) -> Path:
    """A corpus of every judged document plus the first others, up to `max_docs` (quick runs)."""
    judged = {d for docs in qrels.values() for d in docs}
    out = work / f"corpus-{max_docs}.jsonl"
    with (DATA / "corpus.jsonl").open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        lines = src.readlines()
        keep = [ln for ln in lines if json.loads(ln)["_id"] in judged]
        keep += [ln for ln in lines if json.loads(ln)["_id"] not in judged][:max(0, max_docs - len(keep))]
        dst.writelines(keep)
    return out


def build_local(work: Path, corpus: Path, progress) -> tuple[Path, dict]:
    """The local index (built once per work folder and corpus) and its build figures."""
    from tools.index import build_index

    index_dir, record = work / f"local-{corpus.stem}", work / f"local-{corpus.stem}.json"
    if record.exists() and (index_dir / "manifest.json").exists():
        return index_dir, json.loads(record.read_text())
    res = build_index([corpus], index_dir, _settings("local"), fmt="jsonl", rebuild=True,
                      progress=progress)
    info = {"documents": res.manifest.counts["documents"], "chunks": res.manifest.counts["chunks"],
            "embed_seconds": round(res.timings["embed"], 2), "build_seconds": round(res.seconds, 2),
            "timings": {k: round(v, 3) for k, v in res.timings.items()}}
    record.write_text(json.dumps(info, indent=1))
    return index_dir, info


def _context(gen_dir: Path, settings, chunks, vectors, index_dir: Path, progress):
    from tools.index import BuildContext

    return BuildContext(gen_dir=gen_dir, prev_dir=None, settings=settings, chunks=chunks, vectors=vectors,
                        added=list(chunks), removed_ids=set(), added_docs={c.doc_id for c in chunks},
                        removed_docs=set(), progress=progress, index_dir=index_dir)


def time_local_ingest(local_dir: Path, work: Path, progress) -> float:
    """Seconds for the local components (FAISS + bm25s) over the stored chunks and vectors."""
    import numpy as np

    from tools.backends.local import BM25Component, DenseComponent
    from tools.store import ChunkStore, current_generation_dir

    _, gen = current_generation_dir(local_dir)
    chunks, vectors = ChunkStore.load(gen).chunks, np.load(gen / "vectors.npy")
    scratch = work / "local-ingest"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    ctx = _context(scratch, _settings("local"), chunks, vectors, scratch, progress)
    t = time.perf_counter()
    DenseComponent().build(ctx)
    BM25Component().build(ctx)
    seconds = time.perf_counter() - t
    shutil.rmtree(scratch, ignore_errors=True)
    return seconds


def build_milvus(local_dir: Path, work: Path, corpus: Path, progress, reembed: bool) -> tuple[Path, float]:
    """A Milvus-backed index of the same chunks; returns (folder, ingest seconds)."""
    import numpy as np

    from tools.backends.milvus import MilvusComponent
    from tools.backends.milvus_conn import release
    from tools.index import build_index
    from tools.store import ChunkStore, GenerationWriter, current_generation_dir

    index_dir = work / "milvus"
    release()
    shutil.rmtree(index_dir, ignore_errors=True)
    settings = _settings("milvus")
    if reembed:
        res = build_index([corpus], index_dir, settings, fmt="jsonl", rebuild=True, progress=progress)
        return index_dir, res.timings["milvus"]
    manifest, gen = current_generation_dir(local_dir)
    writer = GenerationWriter(index_dir, None)
    for name in ("chunks.jsonl", "docs.json", "vectors.npy"):
        shutil.copy2(gen / name, writer.tmp_dir / name)
    chunks, vectors = ChunkStore.load(gen).chunks, np.load(gen / "vectors.npy")
    ctx = _context(writer.tmp_dir, settings, chunks, vectors, index_dir, progress)
    t = time.perf_counter()
    counts = MilvusComponent().build(ctx)
    seconds = time.perf_counter() - t
    meta = dict(manifest.settings, fingerprint=settings.fingerprint(), full=dataclasses.asdict(settings))
    writer.publish(meta, {**manifest.counts, **counts}, ["milvus"], manifest.corpus_hash)
    return index_dir, seconds


def evaluate(index, dataset, limit: int | None) -> dict[str, dict]:
    from agent.eval.retrieval import calc_metrics, run_retrieval

    out = {}
    qids = [q.qid for q in (dataset.questions[:limit] if limit else dataset.questions)]
    qrels = {q: dataset.qrels[q] for q in qids}
    for name in RETRIEVERS:
        retriever = index.retriever(name)
        retriever.search("warm up", 10)
        run = run_retrieval(dataset, retriever, depth=100, limit=limit)
        latencies = []
        for q in dataset.questions[:limit] if limit else dataset.questions:
            t = time.perf_counter()
            retriever.search(q.question, 10)
            latencies.append(time.perf_counter() - t)
        metrics = calc_metrics(qrels, run.run, ("nDCG@10", "R@100"))
        out[name] = {"ndcg@10": round(metrics["ndcg@10"], 4), "recall@100": round(metrics["recall@100"], 4),
                     "p50_ms": round(1000 * statistics.median(latencies), 1),
                     "p95_ms": round(1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))], 1),
                     "p50_ms_depth300": round(1000 * statistics.median(run.latencies), 1)}
        print(f"  {index.settings.backend.kind:6} {name:6} {out[name]}", file=sys.stderr, flush=True)
    return out


def _table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    local, milvus = results["local"], results["milvus"]
    table = Table(title=f"SciFact ({results['queries']} queries, {results['chunks']} chunks, "
                        f"{results['cpus']} CPUs): local vs Milvus Lite")
    for col in ("retriever", "nDCG@10 local", "nDCG@10 milvus", "delta", "p50 ms local", "p50 ms milvus"):
        table.add_column(col, justify="left" if col == "retriever" else "right")
    for name in RETRIEVERS:
        a, b = local["retrievers"][name], milvus["retrievers"][name]
        table.add_row(name, f"{a['ndcg@10']:.4f}", f"{b['ndcg@10']:.4f}",
                      f"{b['ndcg@10'] - a['ndcg@10']:+.4f}", f"{a['p50_ms']:.1f}", f"{b['p50_ms']:.1f}")
    Console().print(table)
    print(f"ingest (chunks+vectors -> searchable): local {local['ingest_chunks_per_s']:.0f} chunks/s, "
          f"milvus {milvus['ingest_chunks_per_s']:.0f} chunks/s; embedding (shared, once) "
          f"{results['embed_chunks_per_s']:.0f} chunks/s ({results['embed_seconds']:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hopper-bench-milvus",
                   help="folder for the indexes (the local one is reused between runs)")
    p.add_argument("--limit", type=int, default=0, help="evaluate only the first N queries (0 = all)")
    p.add_argument("--max-docs", type=int, default=0,
                   help="index only the judged documents plus others up to N (0 = the whole corpus)")
    p.add_argument("--reembed", action="store_true",
                   help="build the Milvus index end to end with build_index")
    args = p.parse_args(argv)
    if not (DATA / "corpus.jsonl").exists():
        print(f"skipped: SciFact is absent ({DATA})")
        return 0
    from agent.eval.datasets import load_beir
    from tools.backends.milvus_conn import release
    from tools.index import Index
    from tui.progress import RichProgress

    args.work.mkdir(parents=True, exist_ok=True)
    limit = args.limit or None
    dataset = load_beir(DATA)
    corpus = (subset_corpus(args.work, dataset.qrels, args.max_docs) if args.max_docs
              else DATA / "corpus.jsonl")
    with RichProgress() as progress:
        local_dir, built = build_local(args.work, corpus, progress)
        local_ingest = time_local_ingest(local_dir, args.work, progress)
        milvus_dir, milvus_ingest = build_milvus(local_dir, args.work, corpus, progress, args.reembed)
    n = built["chunks"]
    results = {
        "dataset": (f"scifact (subset: judged + others, {args.max_docs} docs)" if args.max_docs
                    else "scifact"),
        "queries": len(dataset.questions[:limit] if limit else dataset.questions),
        "documents": built["documents"], "chunks": n, "cpus": os.cpu_count(), "machine": platform.machine(),
        "embedder": "all-MiniLM-L6-v2", "embed_seconds": built["embed_seconds"],
        "embed_chunks_per_s": round(n / built["embed_seconds"], 1), "milvus_reembedded": args.reembed,
        "local": {"ingest_seconds": round(local_ingest, 2), "ingest_chunks_per_s": round(n / local_ingest, 1),
                  "retrievers": evaluate(Index(local_dir), dataset, limit)},
        "milvus": {"uri": "Milvus Lite file (milvus.db in the index folder)",
                   "ingest_seconds": round(milvus_ingest, 2),
                   "ingest_chunks_per_s": round(n / milvus_ingest, 1),
                   "retrievers": evaluate(Index(milvus_dir), dataset, limit)},
    }
    release()
    local, milvus = results["local"]["retrievers"], results["milvus"]["retrievers"]
    deltas = [abs(milvus[r]["ndcg@10"] - local[r]["ndcg@10"]) for r in RETRIEVERS]
    results["max_abs_ndcg_delta"] = round(max(deltas), 4)
    _table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
