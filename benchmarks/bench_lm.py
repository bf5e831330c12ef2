"""Benchmark the embedded LMs: load time, prompt and generation speed, structured-output parse rate.

    .venv/bin/python benchmarks/bench_lm.py                 # Qwen 0.5B + SmolLM2, 2 threads, 50 calls
    .venv/bin/python benchmarks/bench_lm.py --calls 10 --compare-calls 0 --models local

Speed comes from llama.cpp's own counters (prompt evaluation and token generation timed
separately), median of `--repeats` runs with the KV cache cleared each time. The parse rate is
the share of `dspy.Predict` calls over representative agent signatures (decomposition ->
`list[str]`, judge -> `bool` + `str`, answer -> `str` + `list[int]`) that parse on the first
try (no parse retries, no adapter fallback). Results go to `benchmarks/results/lm.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import dspy

from agent.config import LMSettings
from agent.lm import get_lm
from agent.lm.local import load_model, unload_all
from agent.lm.models import select_local

PASSAGE = (
    "The Vellmark lighthouse stands on a basalt spur at the mouth of the Orre estuary. It was designed by "
    "the engineer Ada Thorsen in 1871 after two winters of wrecks, and built from granite quarried at "
    "Hallin. Its first keeper, Jonas Bray, kept a logbook that records storms, ships and the price of lamp "
    "oil. In 1903 the oil lamp was replaced by an incandescent mantle, and in 1958 the station was "
    "electrified. The tower is 31 metres tall and its light is visible for 19 nautical miles. "
)


class Decompose(dspy.Signature):
    """Break a multi-hop question into the simpler sub-questions that must be answered first."""

    question: str = dspy.InputField()
    subquestions: list[str] = dspy.OutputField(desc="two to four short questions")


class Judge(dspy.Signature):
    """Decide whether the evidence is enough to answer the question, and say what is missing."""

    question: str = dspy.InputField()
    evidence: str = dspy.InputField()
    sufficient: bool = dspy.OutputField()
    missing: str = dspy.OutputField(desc="what is still unknown; empty if nothing")


class Answer(dspy.Signature):
    """Answer the question from the numbered passages and cite the passages used."""

    question: str = dspy.InputField()
    passages: list[str] = dspy.InputField()
    answer: str = dspy.OutputField()
    citations: list[int] = dspy.OutputField(desc="numbers of the passages used")


PEOPLE = ["Ada Thorsen", "Jonas Bray", "Marie Curie", "Alan Turing", "Grace Hopper", "Ida Pfeiffer",
          "Niels Bohr", "Rosalind Franklin", "Nikola Tesla", "Hedy Lamarr", "Emmy Noether", "Carl Linnaeus",
          "Lise Meitner", "Srinivasa Ramanujan", "Mary Anning", "Gregor Mendel", "Ada Lovelace"]
PLACES = ["Warsaw", "London", "Vienna", "Copenhagen", "Uppsala", "Smiljan", "Erlangen", "Lyme Regis", "Brno"]


def structured_cases(n: int) -> list[tuple[type[dspy.Signature], dict]]:
    """`n` distinct calls cycling through the three signatures."""
    cases: list[tuple[type[dspy.Signature], dict]] = []
    i = 0
    while len(cases) < n:
        person, place = PEOPLE[i % len(PEOPLE)], PLACES[i % len(PLACES)]
        kind = i % 3
        if kind == 0:
            q = f"In which country was the university where {person} studied, and who founded it?"
            cases.append((Decompose, {"question": q}))
        elif kind == 1:
            q = f"Where was {person} born?"
            ev = f"{person} was born in {place}." if i % 2 else f"{person} moved to {place} as an adult."
            cases.append((Judge, {"question": q, "evidence": ev}))
        else:
            q = f"Who designed the lighthouse that {person} visited in {place}?"
            second = f"[2] {person} visited the Vellmark lighthouse while travelling from {place}."
            cases.append((Answer, {"question": q, "passages": [f"[1] {PASSAGE}", second]}))
        i += 1
    # grouped by signature, as an agent run makes them: llama.cpp reuses the shared prompt prefix
    order = {Decompose: 0, Judge: 1, Answer: 2}
    return sorted(cases, key=lambda case: order[case[0]])


def _valid(pred: dspy.Prediction, sig: type[dspy.Signature]) -> bool:
    if sig is Decompose:
        return isinstance(pred.subquestions, list) and all(isinstance(s, str) for s in pred.subquestions)
    if sig is Judge:
        return isinstance(pred.sufficient, bool) and isinstance(pred.missing, str)
    return isinstance(pred.answer, str) and isinstance(pred.citations, list)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run(llama, messages, max_tokens: int, fmt: dict | None) -> tuple[object, float]:
    import llama_cpp

    llama.reset()  # no KV-cache reuse between runs
    llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
    cpu = _cpu()
    kwargs = {"response_format": fmt} if fmt else {}
    llama.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, **kwargs)
    return llama_cpp.llama_perf_context(llama._ctx.ctx), _cpu() - cpu


def speed(model: str, threads: int, repeats: int) -> dict:
    """Load time and llama.cpp's prompt / generation throughput (median of `repeats`).

    Wall-clock rates come from llama.cpp's counters. On a shared machine they drop with the
    load, so CPU-time rates are also given: tokens per (process CPU seconds / threads), i.e.
    the speed with the threads' cores to itself (an estimate, conservative when threads spin).
    """
    path = select_local(model).path()  # assembled (and verified) before timing the load
    unload_all()
    loaded = load_model(path, n_ctx=2048, n_threads=threads)
    llama = loaded.llama
    story = [{"role": "user", "content": PASSAGE * 3 + "\nRetell this story in detail, sentence by sentence."}]
    facts = [{"role": "user", "content": PASSAGE * 3 + '\nList every fact above as JSON: {"facts": ["..."]}'}]
    schema = {"type": "json_object", "schema": {"type": "object", "properties": {
        "facts": {"type": "array", "items": {"type": "string"}}}, "required": ["facts"]}}
    rates: dict[str, list[float]] = {k: [] for k in ("p", "g", "j", "p_cpu", "g_cpu", "j_cpu")}
    n_p = n_g = n_j = 0
    for _ in range(repeats):
        perf1, cpu1 = _run(llama, story, 1, None)  # prompt only
        perf, cpu = _run(llama, story, 128, None)  # prompt + generation
        perf_j, cpu_j = _run(llama, facts, 128, schema)  # generation under a JSON-schema grammar
        n_p, n_g, n_j = perf.n_p_eval, perf.n_eval, perf_j.n_eval
        rates["p"].append(perf.n_p_eval / max(perf.t_p_eval_ms, 1e-6) * 1000)
        rates["g"].append(perf.n_eval / max(perf.t_eval_ms, 1e-6) * 1000)
        rates["j"].append(perf_j.n_eval / max(perf_j.t_eval_ms, 1e-6) * 1000)
        rates["p_cpu"].append(perf1.n_p_eval / max(cpu1 / threads, 1e-6))
        rates["g_cpu"].append(perf.n_eval / max((cpu - cpu1) / threads, 1e-6))
        rates["j_cpu"].append(perf_j.n_eval / max((cpu_j - cpu1) / threads, 1e-6))
    med = {k: round(statistics.median(v), 1) for k, v in rates.items()}
    return {"model": model, "gguf": path.name, "threads": threads, "load_s": round(loaded.load_seconds, 3),
            "prompt_tokens": n_p, "generated_tokens": n_g, "json_generated_tokens": n_j,
            "prompt_tok_s": med["p"], "gen_tok_s": med["g"], "json_gen_tok_s": med["j"],
            "prompt_tok_s_cpu": med["p_cpu"], "gen_tok_s_cpu": med["g_cpu"], "json_gen_tok_s_cpu": med["j_cpu"]}


def parse_rate(model: str, adapter_name: str, n: int, threads: int) -> dict:
    """First-try parse success of `n` structured calls (no retries, no adapter fallback)."""
    settings = LMSettings(model=model, cache=False, max_tokens=256, n_threads=threads, retries=0)
    lm = get_lm(settings)
    adapter = dspy.JSONAdapter() if adapter_name == "json" else dspy.ChatAdapter(use_json_adapter_fallback=False)
    ok, seconds, failures = 0, [], []
    with dspy.context(lm=lm, adapter=adapter):
        for sig, inputs in structured_cases(n):
            start = time.perf_counter()
            try:
                pred = dspy.Predict(sig)(**inputs)
                good = _valid(pred, sig)
            except Exception as exc:  # noqa: BLE001 - a parse failure is a data point here, not a crash
                good = False
                failures.append(f"{sig.__name__}: {type(exc).__name__}: {str(exc)[:120]}")
            seconds.append(time.perf_counter() - start)
            ok += good
            print(f"  {adapter_name} {len(seconds)}/{n} {sig.__name__}: {'ok' if good else 'FAIL'} "
                  f"({seconds[-1]:.1f}s)", file=sys.stderr, flush=True)
    return {"model": model, "adapter": adapter_name, "calls": n, "parsed": ok, "parse_rate": round(ok / n, 3),
            "mean_call_s": round(statistics.mean(seconds), 2), "failures": failures[:5]}


def machine() -> dict:
    import llama_cpp

    load = os.getloadavg()
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "cpu": next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name")), platform.processor()),
            "llama_cpp_python": llama_cpp.__version__, "dspy": dspy.__version__,
            "load_avg_1m_at_start": round(load[0], 2), "date": time.strftime("%Y-%m-%d %H:%M")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=["local", "local:smollm2"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--calls", type=int, default=50, help="structured calls with the JSON adapter (Qwen)")
    ap.add_argument("--compare-calls", type=int, default=20, help="same with the chat adapter, for comparison")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "lm.json"))
    args = ap.parse_args(argv)

    result = {"machine": machine(), "speed": [], "parse": []}
    out = Path(args.out)
    for model in args.models:
        result["speed"].append(speed(model, args.threads, args.repeats))
        _save(result, out)  # partial results survive an interrupted run
    if args.calls:
        result["parse"].append(parse_rate("local", "json", args.calls, args.threads))
        _save(result, out)
    if args.compare_calls:
        result["parse"].append(parse_rate("local", "chat", args.compare_calls, args.threads))
    _save(result, out)
    _print(result, out)
    return 0


def _save(result: dict, out: Path) -> None:
    result["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(out)


def _print(result: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    m = result["machine"]
    speed_table = Table(title=f"Embedded LM speed ({m['usable_cpus']} CPUs, {m['cpu']}, load "
                              f"{m['load_avg_1m_at_start']} -> {m['load_avg_1m_at_end']})")
    for col in ("model", "threads", "load s", "prompt tok/s", "gen tok/s", "JSON gen tok/s"):
        speed_table.add_column(col)
    for s in result["speed"]:
        speed_table.add_row(s["model"], str(s["threads"]), f"{s['load_s']:.2f}",
                            f"{s['prompt_tok_s']:.1f} ({s['prompt_tok_s_cpu']:.0f} cpu)",
                            f"{s['gen_tok_s']:.1f} ({s['gen_tok_s_cpu']:.0f} cpu)",
                            f"{s['json_gen_tok_s']:.1f} ({s['json_gen_tok_s_cpu']:.0f} cpu)")
    console.print(speed_table)
    if result["parse"]:
        parse_table = Table(title="Structured-output parse rate (first try, no retries)")
        for col in ("model", "adapter", "calls", "parsed", "rate", "mean s/call"):
            parse_table.add_column(col)
        for p in result["parse"]:
            parse_table.add_row(p["model"], p["adapter"], str(p["calls"]), str(p["parsed"]),
                                f"{p['parse_rate']:.0%}", f"{p['mean_call_s']:.1f}")
        console.print(parse_table)
    console.print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
