"""Indexing speed: Hopper's stages against their raw models, side by side in one process.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_index.py [--folder DIR] [--n 200]
        [--only embed,graph,index,scifact,search] [--scifact-docs 1000]

- embed: the same N chunk texts of a real folder (default `../shared/data/realdocs/docs`),
  embedded by raw `SentenceTransformer.encode` (fp32 torch) and by Hopper's `Embedder` at
  `precision = fp32` and `int8`; rounds alternate, the median rate counts.
- graph: raw `nlp.pipe(texts, batch_size=64)` of the full spaCy pipeline (`list(...)` of Docs)
  against Hopper's `SpacyExtractor.extract` of the same chunks (mentions and triples).
- index: the whole `hopper index --rebuild` of the folder in a child process: wall time, chunks/s
  per stage (from its progress lines) and peak RSS, sampled: of the whole process tree (the
  command and its extraction workers) and of its largest process.
- scifact: dense nDCG@10 of fp32 and int8 vectors on SciFact (judged documents plus others,
  `--scifact-docs` in all; MaxP; ir-measures through `agent.eval.retrieval`).
- search: warm in-process latency per retriever on the index of `index`, copied `--copies`
  times (real vectors, duplicated documents) so it holds 10k+ chunks, and the cold command.

Ratios are what to compare: the machine is shared, so the load average (`uptime`) is recorded
beside each part. Prints tables and writes `benchmarks/results/index.json` (command and commit
included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results" / "index.json"
HOPPER = str(Path(sys.executable).with_name("hopper"))


def load() -> float:
    return round(os.getloadavg()[0], 2)


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip()


def folder_chunks(folder: Path, n: int):
    """N chunks spread evenly over the folder's chunks (Hopper's own ingestion and chunking)."""
    from tools.chunking import chunk_documents
    from tools.ingest import IngestReport, iter_documents
    from tools.settings import ChunkSettings

    chunks = chunk_documents(list(iter_documents([folder], "auto", 20.0, IngestReport())), ChunkSettings())
    step = max(1, len(chunks) // n)
    return chunks[::step][:n], len(chunks)


def _rate(fn, n: int) -> float:
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


def bench_embed(texts: list[str], rounds: int) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from tools.embed import Embedder, resolve_model_path
    from tools.settings import EmbedSettings

    cores = len(os.sched_getaffinity(0))
    torch.set_num_threads(cores)
    raw = SentenceTransformer(str(resolve_model_path("default")), device="cpu", local_files_only=True)
    ours = {p: Embedder(EmbedSettings(precision=p)) for p in ("fp32", "int8")}
    for e in ours.values():
        e.encode(texts[:8])  # load (and for int8 make the cached model) before timing
    raw.encode(texts[:8])
    rates: dict[str, list[float]] = {"raw_st_fp32": [], "hopper_fp32": [], "hopper_int8": []}
    loads = [load()]
    for _ in range(rounds):
        rates["raw_st_fp32"].append(_rate(lambda: raw.encode(texts, batch_size=64), len(texts)))
        rates["hopper_fp32"].append(_rate(lambda: ours["fp32"].encode(texts), len(texts)))
        rates["hopper_int8"].append(_rate(lambda: ours["int8"].encode(texts), len(texts)))
        loads.append(load())
    med = {k: round(statistics.median(v), 2) for k, v in rates.items()}
    a, b = ours["fp32"].encode(texts), ours["int8"].encode(texts)
    cos = (a * b).sum(axis=1)
    return {"texts": len(texts), "rounds": rounds, "texts_per_s": med, "all_rates": rates,
            "ratio_vs_raw": {k: round(v / med["raw_st_fp32"], 2) for k, v in med.items()},
            "int8_vs_fp32_cosine": {"min": round(float(cos.min()), 4), "mean": round(float(cos.mean()), 4)},
            "backend_int8": ours["int8"].model.backend(len(texts)), "load": loads}


def bench_graph(chunks, rounds: int) -> dict:
    from graphs.extract import SpacyExtractor, _import_spacy
    from graphs.settings import GraphSettings

    settings = GraphSettings()
    spacy = _import_spacy(torch_layers=False)
    nlp = spacy.load(settings.spacy_model)
    texts = [c.text for c in chunks]
    ours = SpacyExtractor(settings)  # default: one worker process per core (spawned per call)
    one = SpacyExtractor(GraphSettings(workers=1))  # in this process, as raw nlp.pipe runs
    _ = ours.nlp
    list(nlp.pipe(texts[:8]))
    rates: dict[str, list[float]] = {"raw_nlp_pipe": [], "hopper_extract_1proc": [], "hopper_extract": []}
    loads = [load()]
    for _ in range(rounds):
        rates["raw_nlp_pipe"].append(_rate(lambda: list(nlp.pipe(texts, batch_size=settings.batch_size)),
                                           len(texts)))
        rates["hopper_extract_1proc"].append(_rate(lambda: one.extract(chunks), len(texts)))
        rates["hopper_extract"].append(_rate(lambda: ours.extract(chunks), len(texts)))
        loads.append(load())
    med = {k: round(statistics.median(v), 2) for k, v in rates.items()}
    return {"texts": len(texts), "rounds": rounds, "texts_per_s": med, "all_rates": rates,
            "time_ratio_hopper_over_raw": {k: round(med["raw_nlp_pipe"] / med[k], 2)
                                           for k in ("hopper_extract_1proc", "hopper_extract")},
            "pipeline_raw": nlp.pipe_names, "pipeline_hopper": ours.nlp.pipe_names, "load": loads}




def _tree_memory_mb(pid: int) -> tuple[int, int, int]:
    """Memory of process `pid` and all its descendants in MB (Linux /proc): the sum of their resident
    sets (shared library pages counted once per process), the sum of their proportional sets (PSS:
    each shared page divided among the processes that map it) and the largest single resident set."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append(int(entry))
    tree, rss, pss = [pid], [], []
    while tree:
        p = tree.pop()
        tree.extend(children.get(p, []))
        try:
            rss.append(int(Path(f"/proc/{p}/status").read_text().split("VmRSS:")[1].split()[0]) // 1024)
            pss.append(int(Path(f"/proc/{p}/smaps_rollup").read_text().split("Pss:")[1].split()[0]) // 1024)
        except (OSError, IndexError):
            continue
    return sum(rss), sum(pss), max(rss, default=0)


def bench_index(folder: Path, index_dir: Path, graph: bool) -> dict:
    """`hopper index --rebuild` in a child process; its process tree's memory is sampled every 0.2 s:
    the peaks of the sums over the tree (the command and its extraction workers at once) of resident
    and of proportional set sizes, and the peak of the largest single process (what
    `/usr/bin/time -v` reports)."""
    import threading

    cmd = [HOPPER, "index", str(folder), "--index", str(index_dir), "--rebuild"]
    if not graph:
        cmd.append("--no-graph")
    before = load()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    peaks = [0, 0, 0]

    def sample() -> None:
        while proc.poll() is None:
            peaks[:] = [max(a, b) for a, b in zip(peaks, _tree_memory_mb(proc.pid), strict=True)]
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read()
    proc.wait()
    sampler.join()
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"hopper index failed ({proc.returncode}): {stderr[-2000:]}")
    lines = [ln for ln in stderr.splitlines() if ln.startswith("hopper:")]
    return {"command": " ".join(cmd[1:]), "wall_seconds": round(wall, 1), "peak_rss_tree_mb": peaks[0],
            "peak_pss_tree_mb": peaks[1], "peak_rss_largest_process_mb": peaks[2],
            "progress_tail": lines[-6:], "load": [before, load()]}


def bench_scifact(work: Path, max_docs: int) -> dict:
    import numpy as np

    from agent.eval.datasets import load_beir
    from agent.eval.retrieval import calc_metrics
    from tools.chunking import chunk_documents, embed_text
    from tools.embed import Embedder
    from tools.ingest import IngestReport, iter_documents
    from tools.settings import ChunkSettings, EmbedSettings

    folder = DATA / "scifact"
    dataset = load_beir(folder)
    judged = {d for docs in dataset.qrels.values() for d in docs}
    lines = (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    keep = [ln for ln in lines if json.loads(ln)["_id"] in judged]
    keep += [ln for ln in lines if json.loads(ln)["_id"] not in judged][:max(0, max_docs - len(keep))]
    corpus = work / f"scifact-{max_docs}.jsonl"
    corpus.write_text("\n".join(keep) + "\n", encoding="utf-8")
    docs = list(iter_documents([corpus], "jsonl", 50, IngestReport()))
    chunks = chunk_documents(docs, ChunkSettings())
    texts = [embed_text(c) for c in chunks]
    queries = {q.qid: q.question for q in dataset.questions}
    out: dict = {"documents": len(docs), "chunks": len(chunks), "queries": len(queries), "load": [load()]}
    for precision in ("fp32", "int8"):
        embedder = Embedder(EmbedSettings(precision=precision))
        t = time.perf_counter()
        vectors = embedder.encode(texts)
        took = time.perf_counter() - t
        qv = embedder.encode(list(queries.values()))
        scores = qv @ vectors.T
        run = {}
        for qid, row in zip(queries, scores, strict=True):
            ranked: dict[str, float] = {}
            for i in np.argsort(-row)[:100]:
                ranked.setdefault(chunks[i].doc_id, float(row[i]))
            run[qid] = ranked
        metrics = calc_metrics(dataset.qrels, run, ("nDCG@10", "R@100"))
        out[precision] = {"ndcg@10": round(metrics["ndcg@10"], 4),
                          "recall@100": round(metrics["recall@100"], 4),
                          "embed_chunks_per_s": round(len(texts) / took, 1)}
        out["load"].append(load())
    out["ndcg_delta"] = round(out["int8"]["ndcg@10"] - out["fp32"]["ndcg@10"], 4)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", type=Path, default=DATA / "realdocs" / "docs")
    p.add_argument("--n", type=int, default=200, help="chunk texts for the side-by-side parts")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", default="embed,graph,index,search")
    p.add_argument("--no-graph", action="store_true", help="index part without the knowledge graph")
    p.add_argument("--scifact-docs", type=int, default=1000)
    p.add_argument("--copies", type=int, default=3, help="copies of the folder's index for the search part")
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hopper-bench-index")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    parts = set(args.only.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {"command": " ".join(["python", "benchmarks/bench_index.py", *sys.argv[1:]]),
                     "commit": commit(), "folder": str(args.folder), "cpus": len(os.sched_getaffinity(0)),
                     "machine": platform.machine(), "uptime_start": load()}
    if parts & {"embed", "graph"}:
        chunks, total = folder_chunks(args.folder, args.n)
        results["folder_chunks"] = total
    if "embed" in parts:
        from tools.chunking import embed_text

        r = results["embed"] = bench_embed([embed_text(c) for c in chunks], args.rounds)
        _table("embedding, texts/s (median)", r["texts_per_s"], r["ratio_vs_raw"], "÷ raw")
    if "graph" in parts:
        r = results["graph"] = bench_graph(chunks, args.rounds)
        _table("graph extraction, texts/s (median)", r["texts_per_s"], r["time_ratio_hopper_over_raw"],
               "time ÷ raw")
    if "scifact" in parts and (DATA / "scifact").is_dir():
        r = results["scifact"] = bench_scifact(args.work, args.scifact_docs)
        print(f"SciFact dense ({r['documents']} docs, {r['chunks']} chunks): nDCG@10 fp32 "
              f"{r['fp32']['ndcg@10']:.4f}, int8 {r['int8']['ndcg@10']:.4f} (delta {r['ndcg_delta']:+.4f})")
    if "index" in parts:
        r = results["index"] = bench_index(args.folder, args.work / "index", not args.no_graph)
        print(f"hopper index: {r['wall_seconds']} s, peak RSS {r['peak_rss_tree_mb']} MB (process tree), "
              f"PSS {r['peak_pss_tree_mb']} MB (process tree), RSS {r['peak_rss_largest_process_mb']} MB "
              "(largest process)")
        print("\n".join(r["progress_tail"]))
    if "search" in parts:
        from search_timing import bench_search  # benchmarks/ is on sys.path when run as a script

        r = results["search"] = bench_search(args.work / "index", args.work / "big", args.copies, HOPPER)
        _table(f"search at {r['chunks']:,} chunks, ms (median)", r["warm_ms"], r["cold_s"], "cold s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    shutil.rmtree(args.work / "big", ignore_errors=True)
    return 0


def _table(title: str, values: dict, extra: dict, extra_name: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} · load {load()}")
    for col in ("", "value", extra_name):
        table.add_column(col)
    for k, v in values.items():
        table.add_row(k, str(v), str(extra.get(k, "")))
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
