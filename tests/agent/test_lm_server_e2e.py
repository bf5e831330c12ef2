"""End to end through a real OpenAI-compatible server: `llama_cpp.server` on loopback with the
embedded 0.5B GGUF, and `hopper ask` pointed at it by URL (the remote mode: no logit scoring,
the free reader and LM-written query trees by default). Slow: it starts the server, indexes the
demo corpus and runs the model on two cores."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agent.reading.checks import normalize
from tests.conftest import DEMO

pytestmark = pytest.mark.slow

HOPPER = Path(sys.executable).with_name("hopper")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer within {seconds:.0f}s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """llama.cpp's server (`python -m agent.lm.serve`, i.e. `llama_cpp.server` with the embedded
    model's CPU settings) serving the embedded model on a free loopback port."""
    from agent.lm.models import ensure_gguf

    model = ensure_gguf()
    log = tmp_path_factory.mktemp("server") / "server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "agent.lm.serve", "--model", str(model),
                                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
                                 "--n_threads", "2", "--seed", "0"],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory) -> Path:
    from tools.index import build_index
    from tools.settings import IndexSettings

    out = tmp_path_factory.mktemp("demo") / "index"
    build_index([DEMO / "docs"], out, IndexSettings())
    return out


def ask(server: str, index: Path, question: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    cmd = [str(HOPPER), "ask", question, "--index", str(index), "--lm", server, "--no-cache", "--json",
           *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=400,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _assert_right_and_cited(result: dict, answers: set[str], doc: str) -> None:
    short = normalize(result.get("short_answer") or result["answer"])
    assert any(a in short for a in answers), result["answer"]
    assert result["citations"], result
    cited = {c["doc_id"] for c in result["citations"]}
    assert doc in cited, cited
    quoted = " ".join(normalize(f"{c.get('title', '')} {c.get('quote', '')}") for c in result["citations"])
    assert any(a in quoted for a in answers), result["citations"]


LOOKUP = ("In which town was Oska Tamm born?", {"lowbridge"}, "people/oska_tamm.md")
MULTI_HOP = ("On which river lies the birthplace of the designer of the Verrin lighthouse?", {"sarn"},
             "places/lowbridge.md")


def test_agent_mode_with_the_remote_defaults_answers_a_lookup(server, demo_index):
    question, answers, doc = LOOKUP
    result = ask(server, demo_index, question)
    _assert_right_and_cited(result, answers, doc)


def test_rag_mode_answers_through_the_server(server, demo_index):
    question, answers, doc = LOOKUP
    _assert_right_and_cited(ask(server, demo_index, question, "--mode", "rag"), answers, doc)


def test_free_reader_and_lm_decomposition_answer_a_multi_hop_question(server, demo_index):
    question, answers, doc = MULTI_HOP
    env = {"HOPPER_AGENT_READER": "free", "HOPPER_AGENT_DECOMPOSE": "lm"}
    result = ask(server, demo_index, question, env=env)
    _assert_right_and_cited(result, answers, doc)
