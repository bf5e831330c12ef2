"""Probes: a run stopped by its time budget says so (and how to raise it) instead of "could not find
enough evidence"."""

from __future__ import annotations

import json

from rel_support import FakeOpenAI

from tui.cli import main


def test_a_run_out_of_time_says_the_time_budget_ran_out(shared_index, clean_env, capsys, monkeypatch):
    monkeypatch.setenv("HOPPER_AGENT_MAX_SECONDS", "1")
    monkeypatch.setenv("HOPPER_LM_RETRIES", "0")
    with FakeOpenAI("Sarn", delay=3.0) as srv:  # every LM reply comes too late
        code = main(["ask", "On which river lies Lowbridge?", "--index", str(shared_index[1]), "--lm",
                     "openai/fake", "--api-base", srv.url, "--no-cache", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "budget" and not out["sufficient"]
    assert out["answer"].startswith("The time budget ran out (agent.max_seconds = 1 s)")
    assert "HOPPER_AGENT_MAX_SECONDS" in out["answer"]
