"""Knowledge-graph benchmark: HotpotQA recall, PathQuestion path coverage, SciFact extraction.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_graph.py [--only hotpotqa,pathquestion,scifact]

Prints tables and writes `benchmarks/results/graph.json`. Reads `../shared/data` (relative
to the repository); each part is skipped with a note when its data is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results" / "graph.json"

RETRIEVERS = ("bm25", "dense", "hybrid", "graph", "hybrid+graph")


def hotpot_qrels(questions: list[dict]) -> dict[str, dict[str, int]]:
    """Gold documents of each question: the distinct titles in `supporting_facts`."""
    return {q["_id"]: {title: 1 for title, _ in q["supporting_facts"]} for q in questions}


def doc_run(hits) -> dict[str, float]:
    """Per-document scores from chunk hits: a document scores by its best chunk (by rank)."""
    run: dict[str, float] = {}
    for rank, hit in enumerate(hits):
        run.setdefault(hit.doc_id, float(len(hits) - rank))
    return run


def recall(qrels, runs, cutoffs=(2, 5)) -> dict[str, float]:
    import ir_measures
    from ir_measures import R

    measures = [R @ c for c in cutoffs]
    agg = ir_measures.calc_aggregate(measures, qrels, runs)
    return {f"R@{c}": round(float(agg[R @ c]), 4) for c in cutoffs}


def bench_hotpotqa(work: Path, variants: bool) -> dict:
    from agent.retrieval import open_retriever
    from graphs.component import GraphComponent
    from graphs.retriever import GraphRetriever
    from tools.index import Index, build_index
    from tools.retrievers import FusionRetriever

    folder = DATA / "hotpotqa"
    questions = json.loads((folder / "questions.json").read_text())
    index_dir = work / "hotpotqa-index"
    t0 = time.perf_counter()
    component = GraphComponent()
    res = build_index([folder / "corpus.json"], index_dir, fmt="hotpotqa", components=[component])
    build_s = time.perf_counter() - t0
    index = Index(index_dir)
    index.warm()
    qrels = hotpot_qrels(questions)
    out: dict = {"questions": len(questions), "index": res.manifest.counts,
                 "build_seconds": round(build_s, 1), "graph_stats": component.stats, "retrievers": {}}

    def evaluate(retriever, depth: int = 10) -> dict:
        runs, times = {}, []
        retriever.search("warm up", 5)
        for q in questions:
            t = time.perf_counter()
            hits = retriever.search(q["question"], depth)
            times.append(time.perf_counter() - t)
            runs[q["_id"]] = doc_run(hits)
        row = recall(qrels, runs)
        row["ms_per_query"] = round(1000 * statistics.mean(times), 1)
        row["p95_ms"] = round(1000 * sorted(times)[int(0.95 * (len(times) - 1))], 1)
        return row

    for name in RETRIEVERS:
        out["retrievers"][name] = evaluate(open_retriever(index, name))
    if variants:
        base = GraphRetriever(index).settings
        trials = {  # each changes one default
            "graph: no passage nodes (entity mass)": {"passage_weight": 0.0},
            "graph: passage weight 0.3": {"passage_weight": 0.3},
            "graph: title weight 1 (no title boost)": {"title_weight": 1.0},
            "graph: seeds log(1+N/df)": {"seed_specificity": "idf"},
            "graph: seeds unweighted": {"seed_specificity": "none"},
            "graph: damping 0.5 (HippoRAG)": {"damping": 0.5},
            "graph: noun seeds weight 1": {"noun_seed_weight": 1.0},
        }
        out["variants"] = {}
        for label, change in trials.items():
            g = GraphRetriever(index, dataclasses.replace(base, **change))
            row = evaluate(g)
            fusion = index.settings.fusion
            fused = FusionRetriever([index.retriever("dense"), index.retriever("bm25"), g], fusion,
                                    name="hybrid+graph", weights=[1.0, 1.0, fusion.graph_weight])
            row["hybrid+graph"] = {k: v for k, v in evaluate(fused).items() if k.startswith("R@")}
            out["variants"][label] = row
    return out


def _paths_share(kg_tools, kb_graph, file: Path, limit: int | None) -> dict:
    from graphs.normalize import normalize

    text = file.read_text(encoding="utf-8")
    lines = [ln.rstrip("\n").split("\t") for ln in text.splitlines() if ln.strip()]
    lines = lines[:limit] if limit else lines
    exists = found = simple = simple_found = reachable = 0
    times = []
    for parts in lines:
        path = parts[2].split("#<end>#")[0].split("#")
        ents, rels = path[0::2], path[1::2]
        hops = len(rels)
        keys = [normalize(e) for e in ents]
        ok = all(kb_graph.has_edge(keys[i], keys[i + 1], rels[i])
                 or kb_graph.has_edge(keys[i + 1], keys[i], rels[i]) for i in range(hops))
        exists += ok
        t = time.perf_counter()
        found_paths = kg_tools.find_paths(keys[0], keys[-1], max_hops=hops, limit=5)  # what paths() shows
        times.append(time.perf_counter() - t)
        hit = any(p == keys for p in found_paths)
        found += hit
        reachable += bool(found_paths)
        if len(set(keys)) == len(keys):  # PathQuestion also has paths that revisit the topic entity
            simple += 1
            simple_found += hit
        kg_tools.paths(ents[0], ents[-1], max_hops=hops)  # the text tool, as the agent calls it
    n = len(lines)
    return {"questions": n, "gold_path_in_graph": round(exists / n, 4),
            "answer_reachable": round(reachable / n, 4), "gold_simple_share": round(simple / n, 4),
            "gold_in_paths_top5": round(found / n, 4),
            "gold_in_paths_top5_simple": round(simple_found / max(1, simple), 4),
            "paths_ms_mean": round(1000 * statistics.mean(times), 2),
            "paths_ms_p95": round(1000 * sorted(times)[int(0.95 * (n - 1))], 2),
            "paths_ms_max": round(1000 * max(times), 2)}


def bench_pathquestion(work: Path) -> dict:
    from graphs.tools import GraphTools
    from graphs.tsv import import_tsv

    folder = DATA / "pathquestion"
    out = {}
    for qfile, kb in (("PQ-2H.txt", "2H-kb.txt"), ("PQ-3H.txt", "3H-kb.txt")):
        t0 = time.perf_counter()
        report = import_tsv(folder / kb, work / f"pq-{kb}")
        import_s = time.perf_counter() - t0
        tools = GraphTools.from_folder(work / f"pq-{kb}")
        row = _paths_share(tools, tools.kg.graph, folder / qfile, None)
        row.update({"kb": kb, "triples": report.triples, "malformed_lines": len(report.errors),
                    "nodes": tools.kg.graph.number_of_nodes(), "edges": tools.kg.graph.number_of_edges(),
                    "import_seconds": round(import_s, 2)})
        out[qfile.removesuffix(".txt")] = row
    return out


def bench_scifact(limit: int) -> dict:
    from graphs.build import add_extractions, new_graph
    from graphs.extract import SpacyExtractor
    from graphs.settings import GraphSettings
    from tools.chunking import chunk_documents
    from tools.ingest import IngestReport, iter_documents
    from tools.settings import ChunkSettings

    docs = list(iter_documents([DATA / "scifact" / "corpus.jsonl"], "jsonl", 50, IngestReport()))
    docs = docs[:limit] if limit else docs
    chunks = chunk_documents(docs, ChunkSettings())
    out = {"documents": len(docs), "chunks": len(chunks), "cpus": len(os.sched_getaffinity(0)), "runs": {}}
    for workers in (1, 2):
        settings = GraphSettings(workers=workers)
        extractor = SpacyExtractor(settings)
        _ = extractor.nlp
        t0 = time.perf_counter()
        extractions = extractor.extract(chunks)
        secs = time.perf_counter() - t0
        graph = new_graph()
        t1 = time.perf_counter()
        add_extractions(graph, extractions, {c.chunk_id: c for c in chunks}, settings)
        out["runs"][f"workers={workers}"] = {
            "extract_seconds": round(secs, 1), "chunks_per_s": round(len(chunks) / secs, 1),
            "graph_seconds": round(time.perf_counter() - t1, 1),
            "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
            "relation_edges": sum(1 for *_, k in graph.edges(data="kind") if k == "relation")}
    return out


def _table(title: str, rows: dict[str, dict], cols: list[str]) -> None:
    print(f"\n{title}")
    print("| " + " | ".join(["", *cols]) + " |")
    print("|" + "---|" * (len(cols) + 1))
    for name, row in rows.items():
        print("| " + " | ".join([name, *(str(row.get(c, "")) for c in cols)]) + " |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="hotpotqa,pathquestion,scifact")
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hopper-bench-graph")
    p.add_argument("--scifact-limit", type=int, default=1000,
                   help="abstracts for the throughput run (0 = all)")
    p.add_argument("--no-variants", action="store_true")
    args = p.parse_args(argv)
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    parts = args.only.split(",")
    if "hotpotqa" in parts and (DATA / "hotpotqa").is_dir():
        r = results["hotpotqa"] = bench_hotpotqa(args.work, not args.no_variants)
        _table(f"HotpotQA ({r['questions']} questions), gold = supporting titles", r["retrievers"],
               ["R@2", "R@5", "ms_per_query", "p95_ms"])
        if "variants" in r:
            variants = {k: {**v, "fused R@5": v["hybrid+graph"]["R@5"]} for k, v in r["variants"].items()}
            _table("graph variants", variants, ["R@2", "R@5", "fused R@5", "ms_per_query"])
    if "pathquestion" in parts and (DATA / "pathquestion").is_dir():
        r = results["pathquestion"] = bench_pathquestion(args.work)
        _table("PathQuestion (imported KB)", r,
               ["questions", "gold_path_in_graph", "answer_reachable", "gold_simple_share",
                "gold_in_paths_top5", "gold_in_paths_top5_simple", "paths_ms_mean", "paths_ms_p95", "nodes",
                "edges"])
    if "scifact" in parts and (DATA / "scifact").is_dir():
        r = results["scifact"] = bench_scifact(args.scifact_limit)
        _table(f"SciFact extraction ({r['documents']} abstracts, {r['chunks']} chunks, {r['cpus']} CPUs)",
               r["runs"], ["chunks_per_s", "extract_seconds", "nodes", "edges", "relation_edges"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # keep parts not rerun
    RESULTS.write_text(json.dumps({**merged, **results}, indent=2))
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
