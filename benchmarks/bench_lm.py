"""The embedded LM side by side: raw llama-cpp-python, Hopper's engine, Hopper through DSPy.

    .venv/bin/python benchmarks/bench_lm.py                      # Qwen 0.5B, 2 threads, 9 calls x 2
    .venv/bin/python benchmarks/bench_lm.py --cases 6 --repeats 1 --threads 2

One process, one loaded GGUF, the same prompts and threads for every variant:

* **raw**: llama-cpp-python at its lowest level: `Llama.eval` of the prompt tokens, then a
  greedy loop of `llama_sampler_sample` + `llama_decode` for as many tokens as Hopper wrote;
* **engine**: Hopper's `LlamaEngine.complete` on the exact request DSPy sent (chat template,
  JSON-schema grammar, prefix hook, counters), without DSPy;
* **dspy**: `dspy.Predict(signature)` through `HopperLM` and the JSON adapter, as the agent calls it.

For each call the variants run back to back on the same tokens (prefix reuse off, so each
evaluates the whole prompt), so a loaded machine slows all three alike: the ratios to raw are
the figures that count. Reported per variant: prompt tokens/s (prompt tokens / first-token
latency), generated tokens/s (tokens after the first / the time after it), first-token latency,
total time and process CPU time / raw, and the share of each call spent outside `llama_decode`
(wall time minus llama.cpp's own decode counters: the per-call and per-token overhead, which
machine load does not inflate the way it does the rates). A second part runs the same calls in
agent order with prefix reuse off and on: prompt tokens llama.cpp evaluated (its own counters),
LM seconds, and whether every reply is identical. Results go to `benchmarks/results/lm.json`.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import dspy  # noqa: E402

from agent.config import LMSettings  # noqa: E402
from agent.lm import get_adapter, get_lm  # noqa: E402

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
          "Niels Bohr", "Rosalind Franklin", "Nikola Tesla", "Hedy Lamarr", "Emmy Noether", "Carl Linnaeus"]
PLACES = ["Warsaw", "London", "Vienna", "Copenhagen", "Uppsala", "Smiljan", "Erlangen", "Lyme Regis", "Brno"]


def agent_cases(n: int) -> list[tuple[type[dspy.Signature], dict]]:
    """`n` calls in the order an agent makes them: decompose, judge, answer, decompose, ..."""
    cases: list[tuple[type[dspy.Signature], dict]] = []
    for i in range(n):
        person, place = PEOPLE[i % len(PEOPLE)], PLACES[i % len(PLACES)]
        if i % 3 == 0:
            cases.append((Decompose, {"question": f"In which country was the university where {person} "
                                                  f"studied, and who founded it?"}))
        elif i % 3 == 1:
            evidence = f"{person} was born in {place}. " + PASSAGE
            cases.append((Judge, {"question": f"Where was {person} born?", "evidence": evidence}))
        else:
            second = f"[2] {person} visited the Vellmark lighthouse while travelling from {place}."
            question = f"Who designed the lighthouse that {person} visited in {place}?"
            cases.append((Answer, {"question": question, "passages": [f"[1] {PASSAGE}", second]}))
    return cases


class Probe:
    """Records, around the loaded model, each engine request and the first-token time of each call."""

    def __init__(self, lm):
        self.engine = lm.engine
        self.llama = self.engine.model().llama
        self.requests: list = []
        self.first: list[float] = []
        self.prompts: list[list[int]] = []
        complete, generate = self.engine.complete, self.llama.generate

        def recording_complete(request):
            self.requests.append(request)
            return complete(request)

        def timed_generate(tokens, *args, **kwargs):
            self.prompts.append(list(tokens))
            inner = generate(tokens, *args, **kwargs)
            try:
                for i, token in enumerate(inner):
                    if i == 0:
                        self.first.append(time.perf_counter())
                    yield token
            finally:
                inner.close()

        self.engine.complete = recording_complete
        self.llama.generate = timed_generate

    def reset(self) -> None:
        self.requests.clear(), self.first.clear(), self.prompts.clear()


def raw_call(llama, tokens: list[int], n_gen: int) -> tuple[float, float]:
    """llama-cpp-python without Hopper: (first-token seconds, total seconds) for `n_gen` greedy tokens."""
    import llama_cpp

    llama.reset()
    llama._ctx.kv_cache_clear()
    sampler = llama_cpp.llama_sampler_init_greedy()
    ctx, token = llama._ctx.ctx, (ctypes.c_int32 * 1)()
    try:
        start = time.perf_counter()
        llama.eval(tokens)
        token[0] = llama_cpp.llama_sampler_sample(sampler, ctx, -1)
        first = time.perf_counter()
        for _ in range(n_gen - 1):
            if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(token, 1)) != 0:
                raise RuntimeError("llama_decode failed")
            token[0] = llama_cpp.llama_sampler_sample(sampler, ctx, -1)
        end = time.perf_counter()
    finally:
        llama_cpp.llama_sampler_free(sampler)
        llama.reset()
        llama._ctx.kv_cache_clear()
    return first - start, end - start


def _row(name: str, n_prompt: int, n_gen: int, first: float, total: float, cpu: float, llama) -> dict:
    """One call's figures; `decode_s` is the time llama.cpp spent decoding (its own counters)."""
    import llama_cpp

    perf = llama_cpp.llama_perf_context(llama._ctx.ctx)
    return {"variant": name, "prompt_tokens": n_prompt, "generated_tokens": n_gen, "first_token_s": first,
            "total_s": total, "cpu_s": cpu, "decode_s": (perf.t_p_eval_ms + perf.t_eval_ms) / 1000}


def _reset_perf(llama) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llama._ctx.ctx)


def side_by_side(lm, adapter, cases, repeats: int) -> list[dict]:
    """Every call through dspy, then the same requests through the engine, then raw; `repeats` times."""
    probe = Probe(lm)
    rows: list[dict] = []
    for rep in range(repeats):
        for n, (sig, inputs) in enumerate(cases):
            probe.reset()
            with dspy.context(lm=lm, adapter=adapter):
                start, cpu = time.perf_counter(), time.process_time()
                try:
                    pred = dspy.Predict(sig)(**inputs)
                    parsed = all(getattr(pred, k, None) is not None for k in sig.output_fields)
                except Exception as exc:  # noqa: BLE001 - an unparsable reply is a data point here
                    parsed = False
                    print(f"  {sig.__name__}: {type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
                total, cpu = time.perf_counter() - start, time.process_time() - cpu
            requests, timings = list(probe.requests), [dict(probe.engine.last_timing)]
            n_prompt, n_gen = timings[0]["prompt_tokens"], timings[0]["completion_tokens"]
            if len(requests) != 1:  # a parse retry: compare the first request only
                continue
            rows.append({**_row("dspy", n_prompt, n_gen, probe.first[0] - start, total, cpu, probe.llama),
                         "case": n, "rep": rep,
                         "signature": sig.__name__, "parsed": parsed})
            probe.reset()
            start, cpu = time.perf_counter(), time.process_time()
            probe.engine.complete(requests[0])
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            rows.append({**_row("engine", n_prompt, n_gen, probe.first[0] - start, total, cpu, probe.llama),
                         "case": n, "rep": rep, "signature": sig.__name__})
            cpu = time.process_time()
            _reset_perf(probe.llama)
            first, total = raw_call(probe.llama, probe.prompts[0], max(1, n_gen))
            rows.append({**_row("raw", n_prompt, n_gen, first, total, time.process_time() - cpu, probe.llama),
                         "case": n, "rep": rep,
                         "signature": sig.__name__})
            print(f"  {rep + 1}/{repeats} {n + 1}/{len(cases)} {sig.__name__}: {n_prompt} prompt + {n_gen} "
                  f"generated tokens; dspy {rows[-3]['total_s']:.2f}s engine {rows[-2]['total_s']:.2f}s "
                  f"raw {total:.2f}s", file=sys.stderr, flush=True)
    return rows


def summarise(rows: list[dict]) -> dict[str, dict]:
    """Per variant: rates from the summed times, medians of first-token latency, ratios to raw."""
    out: dict[str, dict] = {}
    for variant in ("raw", "engine", "dspy"):
        mine = [r for r in rows if r["variant"] == variant]
        if not mine:
            continue
        first = sum(r["first_token_s"] for r in mine)
        after = sum(r["total_s"] - r["first_token_s"] for r in mine)
        out[variant] = {"calls": len(mine), "prompt_tokens": sum(r["prompt_tokens"] for r in mine),
                        "generated_tokens": sum(r["generated_tokens"] for r in mine),
                        "total_s": round(sum(r["total_s"] for r in mine), 3),
                        "cpu_s": round(sum(r["cpu_s"] for r in mine), 3),
                        "decode_s": round(sum(r["decode_s"] for r in mine), 3),
                        "outside_decode_share": round(sum(r["total_s"] - r["decode_s"] for r in mine)
                                                      / sum(r["total_s"] for r in mine), 4),
                        "prompt_tok_s": round(sum(r["prompt_tokens"] for r in mine) / first, 1),
                        "gen_tok_s": round(sum(r["generated_tokens"] - 1 for r in mine) / after, 1),
                        "first_token_s_median": round(statistics.median(r["first_token_s"] for r in mine), 3)}
    raw = out.get("raw")
    for summary in out.values():
        if raw:
            summary["time_ratio_to_raw"] = round(summary["total_s"] / raw["total_s"], 3)
            summary["cpu_ratio_to_raw"] = round(summary["cpu_s"] / raw["cpu_s"], 3)
            summary["prompt_rate_ratio_to_raw"] = round(summary["prompt_tok_s"] / raw["prompt_tok_s"], 3)
            summary["gen_rate_ratio_to_raw"] = round(summary["gen_tok_s"] / raw["gen_tok_s"], 3)
    return out


def reuse(model: str, threads: int, cases, max_tokens: int) -> dict:
    """The same calls in agent order with prefix reuse off and on: tokens evaluated, seconds, replies."""
    result: dict[str, dict] = {}
    for label, mb in (("off", 0), ("on", 256)):
        settings = LMSettings(model=model, cache=False, max_tokens=max_tokens, n_threads=threads,
                              prefix_cache_mb=mb)
        lm = get_lm(settings)
        lm.engine.model().llama.reset()
        replies, start = [], time.perf_counter()
        with dspy.context(lm=lm, adapter=get_adapter(settings)):
            for sig, inputs in cases:
                try:
                    replies.append(dict(dspy.Predict(sig)(**inputs)))
                except Exception as exc:  # noqa: BLE001 - compared like a reply
                    replies.append({"error": type(exc).__name__})
        totals = lm.engine.totals
        result[label] = {"calls": lm.engine.calls, "seconds": round(time.perf_counter() - start, 2),
                         "lm_seconds": round(totals.get("seconds", 0.0), 2),
                         "prompt_tokens": int(totals.get("prompt_tokens", 0)),
                         "prompt_tokens_evaluated": int(totals.get("prompt_eval_tokens", 0)),
                         "prompt_tokens_reused": int(totals.get("reused_tokens", 0)), "replies": replies}
    result["identical_replies"] = result["off"]["replies"] == result["on"]["replies"]
    for label in ("off", "on"):
        result[label].pop("replies")
    return result


def machine() -> dict:
    import llama_cpp

    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "cpu": next((line.split(":", 1)[1].strip()
                         for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name")), platform.processor()),
            "llama_cpp_python": llama_cpp.__version__, "dspy": dspy.__version__,
            "llama_system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
            "load_avg_1m_at_start": round(os.getloadavg()[0], 2), "date": time.strftime("%Y-%m-%d %H:%M")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="local")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cases", type=int, default=9, help="calls (decompose, judge, answer in turn)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--n-batch", type=int, default=512)
    ap.add_argument("--no-reuse-part", action="store_true", help="skip the prefix-reuse comparison")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "lm.json"))
    args = ap.parse_args(argv)

    settings = LMSettings(model=args.model, cache=False, max_tokens=args.max_tokens, n_threads=args.threads,
                          n_batch=args.n_batch, prefix_cache_mb=0)
    lm, adapter = get_lm(settings), get_adapter(settings)
    info = machine()
    print(f"llama.cpp: {info['llama_system_info']}", file=sys.stderr)
    load_s = lm.engine.model().load_seconds
    cases = agent_cases(args.cases)
    rows = side_by_side(lm, adapter, cases, args.repeats)
    result = {"machine": info,
              "settings": {"model": args.model, "threads": args.threads, "n_batch": args.n_batch,
                           "max_tokens": args.max_tokens, "load_s": round(load_s, 3)},
              "summary": summarise(rows), "parse": {"calls": sum(r["variant"] == "dspy" for r in rows),
                                                    "parsed": sum(bool(r.get("parsed")) for r in rows)},
              "calls": rows}
    if not args.no_reuse_part:
        result["reuse"] = reuse(args.model, args.threads, cases, args.max_tokens)
    result["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    _print(result, out)
    return 0


def _print(result: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    m = result["machine"]
    threads = result["settings"]["threads"]
    table = Table(title=f"Embedded LM, side by side ({m['usable_cpus']} CPUs, {threads} "
                        f"threads, load {m['load_avg_1m_at_start']} -> {m['load_avg_1m_at_end']})")
    for col in ("variant", "calls", "prompt tok/s", "gen tok/s", "first token (median)", "time / raw",
                "CPU time / raw", "outside llama_decode"):
        table.add_column(col)
    for name, s in result["summary"].items():
        table.add_row(name, str(s["calls"]), f"{s['prompt_tok_s']:.1f}", f"{s['gen_tok_s']:.1f}",
                      f"{s['first_token_s_median']:.2f}s", f"{s.get('time_ratio_to_raw', 1):.2f}",
                      f"{s.get('cpu_ratio_to_raw', 1):.2f}", f"{s['outside_decode_share']:.1%}")
    console = Console()
    console.print(table)
    if "reuse" in result:
        r = result["reuse"]
        console.print(f"prefix reuse: prompt tokens evaluated {r['off']['prompt_tokens_evaluated']} -> "
                      f"{r['on']['prompt_tokens_evaluated']} (of {r['on']['prompt_tokens']}), LM time "
                      f"{r['off']['lm_seconds']}s -> {r['on']['lm_seconds']}s, identical replies: "
                      f"{r['identical_replies']}")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
