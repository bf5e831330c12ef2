"""`agent.lm.calls`: each thread sees its own LM calls, whatever the shared LM's history says."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import dspy
from dspy.adapters.json_adapter import JSONAdapter
from dspy.utils import DummyLM

from agent.lm.calls import cache_hit, record_calls, truncated


class QA(dspy.Signature):
    """Answer the question."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


def test_threads_sharing_one_lm_record_only_their_own_calls():
    lm = DummyLM({f"q{i}": {"answer": f"a{i}"} for i in range(6)}, adapter=JSONAdapter())
    start = threading.Barrier(3)
    seen: dict[int, list[str]] = {}

    def ask(worker: int) -> None:
        start.wait()
        with dspy.context(lm=lm, adapter=JSONAdapter()), record_calls() as calls:
            for i in (worker, worker + 3):
                dspy.Predict(QA)(question=f"q{i}")
        seen[worker] = [c["outputs"][0] for c in calls]

    threads = [threading.Thread(target=ask, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(lm.history) == 6  # the shared history holds every thread's calls, interleaved
    for worker, outputs in seen.items():
        assert len(outputs) == 2
        assert f'"a{worker}"' in outputs[0] and f'"a{worker + 3}"' in outputs[1], (worker, outputs)


def test_nothing_is_recorded_outside_the_block():
    lm = DummyLM({"q": {"answer": "a"}}, adapter=JSONAdapter())
    with dspy.context(lm=lm, adapter=JSONAdapter()):
        with record_calls() as calls:
            pass
        dspy.Predict(QA)(question="q")
    assert calls == [] and len(lm.history) == 1


def test_cache_hit_and_truncation_are_read_from_the_entry():
    assert cache_hit({"usage": {}}) and not cache_hit({"usage": {"prompt_tokens": 3}})
    cut = {"choices": [{"finish_reason": "length"}]}
    assert truncated({"response": cut})
    assert truncated({"response": SimpleNamespace(choices=[SimpleNamespace(finish_reason="length")])})
    assert not truncated({"response": {"choices": [{"finish_reason": "stop"}]}})
    assert not truncated({"response": None}) and not truncated({})
