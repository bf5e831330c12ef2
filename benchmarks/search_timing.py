"""Search latency at 10k+ chunks, for `bench_index.py`: warm in-process and the cold command.

The big index is the folder's index copied `copies` times under new document ids (real text,
real vectors: each chunk's vector is the one the folder's index already holds, so nothing is
embedded twice). Queries are realdocs questions. Warm = median of later searches in one
process after the first (what the TUI sees); cold = the whole `hopper search` command.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
QUERIES = 7


def _queries() -> list[str]:
    lines = (DATA / "realdocs" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(ln)["question"] for ln in lines[::20][:QUERIES]]


def copied_index(src: Path, dst: Path, copies: int) -> Path:
    """`src`'s documents `copies` times into a new index at `dst`, reusing `src`'s vectors."""
    import numpy as np

    from tools import embed
    from tools.chunking import embed_text
    from tools.index import Index, build_index
    from tools.ingest import IngestReport, iter_documents
    from tools.settings import IndexSettings

    index = Index(src)
    vectors = np.load(index.gen_dir / "vectors.npy")
    known = {embed_text(c): vectors[i] for i, c in enumerate(index.store.chunks)}
    real = embed.Embedder.encode

    def encode(self, texts, progress=None):
        missing = [t for t in texts if t not in known]
        if missing:
            known.update(zip(missing, real(self, missing), strict=True))
        if progress:
            progress(len(texts))
        return np.stack([known[t] for t in texts]) if texts else real(self, texts)

    roots = index.manifest.settings.get("roots", [])
    docs = list(iter_documents([Path(r) for r in roots], "auto", 20.0, IngestReport()))
    copied = [dataclasses.replace(d, doc_id=f"copy{k}/{d.doc_id}", source=f"{d.source}#copy{k}")
              for k in range(copies) for d in docs]
    settings = IndexSettings(graph=False)
    embed.Embedder.encode = encode
    try:
        build_index([], dst, settings, documents=copied, rebuild=True)
    finally:
        embed.Embedder.encode = real
    return dst


def warm_latency(index_dir: Path, retrievers: tuple[str, ...]) -> tuple[dict, dict]:
    from agent.retrieval import open_retriever
    from tools.index import Index

    queries = _queries()
    warm, first = {}, {}
    for name in retrievers:
        index = Index(index_dir)
        retriever = open_retriever(index, name)
        t = time.perf_counter()
        retriever.search(queries[0], 10)
        first[name] = round((time.perf_counter() - t) * 1000, 1)
        times = []
        for q in queries[1:]:
            t = time.perf_counter()
            retriever.search(q, 10)
            times.append((time.perf_counter() - t) * 1000)
        warm[name] = round(statistics.median(times), 1)
    return warm, first


def cold_command(index_dir: Path, retrievers: tuple[str, ...], hopper: str, runs: int = 3) -> dict:
    query = _queries()[0]
    out = {}
    for name in retrievers:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            cmd = [hopper, "search", query, "--index", str(index_dir), "--retriever", name, "--json"]
            subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            times.append(time.perf_counter() - t)
        out[name] = round(statistics.median(times), 2)
    return out


def bench_search(src: Path, big: Path, copies: int, hopper: str) -> dict:
    from tools.index import Index

    before = os.getloadavg()[0]
    t = time.perf_counter()
    copied_index(src, big, copies)
    build_s = time.perf_counter() - t
    chunks = Index(big).manifest.counts["chunks"]
    basic = ("bm25", "dense", "hybrid")
    warm, first = warm_latency(big, basic)
    cold = cold_command(big, basic, hopper)
    result = {"chunks": chunks, "copies": copies, "build_seconds": round(build_s, 1), "warm_ms": warm,
              "first_search_ms": first, "cold_s": cold}
    src_index = Index(src)
    if src_index.has("graph"):
        graph = ("graph", "hybrid+graph")
        g_warm, g_first = warm_latency(src, graph)
        result["graph_index_chunks"] = src_index.manifest.counts["chunks"]
        result["graph_warm_ms"], result["graph_first_search_ms"] = g_warm, g_first
        result["graph_cold_s"] = cold_command(src, graph, hopper)
        warm.update({f"{k} ({result['graph_index_chunks']:,} chunks)": v for k, v in g_warm.items()})
    result["load"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    return result
