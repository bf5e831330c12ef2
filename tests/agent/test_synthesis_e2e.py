"""End to end: the embedded model answers a list question over the demo corpus with a cited synthesis."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DEMO_DOCS = Path(__file__).resolve().parents[2] / "examples" / "demo" / "docs"


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory):
    """A session on the embedded model; a broken install (no llama_cpp, no model package) fails
    here rather than skipping, since the model is a dependency of Hopper."""
    from agent.config import load_config
    from agent.session import Session
    from tools.index import build_index

    tmp = tmp_path_factory.mktemp("synthesis-e2e")
    cfg = load_config(env={}, user_file=tmp / "none.toml")
    cfg.index.graph = False  # dense + BM25 keep the test quick; the synthesis does not need the graph
    build_index([DEMO_DOCS], tmp / "idx", cfg.index)
    cfg.index_dir = str(tmp / "idx")
    cfg.lm.model = "local"
    cfg.lm.cache = False
    cfg.agent.max_seconds = 1800  # a busy 2-core machine must not turn the run into a budget stop
    return Session(cfg)


def test_list_question_yields_the_known_items_with_citations_to_their_documents(demo_session, tmp_path):
    from agent.report import write_report

    result = demo_session.ask("Which people were born in Highbridge?")
    assert result.status == "ok" and result.shape == "list" and result.sufficient
    doc_of = {c.n: c.doc_id for c in result.citations}
    for name, doc in (("Renna Vos", "people/renna_vos.html"), ("Dace Quillon", "people/dace_quillon.txt")):
        lines = [it for it in result.items if name in it["text"]]
        assert lines, f"no line names {name}: {result.items}"
        assert doc in {doc_of[n] for it in lines for n in it["citations"]}
    for c in result.citations:  # every reference quotes a sentence of the passage it cites
        assert c.quote and c.quote in " ".join(c.text.split())
    event = result.trace.first("synthesis").data
    assert event["items"] == result.items and result.trace.first("shape").data["source"] == "rules"
    report = write_report([result], tmp_path / "report.md").read_text()
    assert "## References" in report and "people/renna_vos.html" in report
