"""The run context's shared state: the spaCy pipeline is loaded once however many threads ask."""

from __future__ import annotations

import threading
import time

import pytest

import graphs.extract as extract
from agent.config import AgentSettings
from agent.research import ResearchAgent


@pytest.fixture
def slow_spacy(monkeypatch):
    """spaCy stand-in whose `load` takes a while and counts its calls (the real load takes seconds)."""
    loads: list[str] = []

    class SlowSpacy:
        @staticmethod
        def load(model, disable=()):
            loads.append(model)
            time.sleep(0.3)
            return object()

    monkeypatch.setattr(extract, "_import_spacy", lambda torch_layers: SlowSpacy())
    monkeypatch.delitem(extract._NLP_CACHE, "fake_pipeline", raising=False)
    yield loads
    extract._NLP_CACHE.pop("fake_pipeline", None)


def together(calls: int, fn) -> list:
    """`fn()` called by `calls` threads released at the same moment; their results."""
    barrier = threading.Barrier(calls)
    out: list = []

    def work():
        barrier.wait()
        out.append(fn())

    threads = [threading.Thread(target=work) for _ in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_eval_workers_sharing_one_agent_load_spacy_once(slow_spacy):
    agent = ResearchAgent(AgentSettings(), None)  # eval workers share one Session, hence one agent
    agent.runtime.nlp.model = "fake_pipeline"
    got = together(2, agent.runtime.nlp)
    assert slow_spacy == ["fake_pipeline"] and got[0] is got[1]


def test_load_spacy_from_two_threads_loads_once(slow_spacy):
    got = together(2, lambda: extract.load_spacy("fake_pipeline"))
    assert slow_spacy == ["fake_pipeline"] and got[0] is got[1]
