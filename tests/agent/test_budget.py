"""Budgets that hold: the prompt budget checked before a run, LM calls bounded by the run's deadline,
a status that says why, and the trace written even when the run fails."""

from __future__ import annotations

import json
import time

import pytest

from agent.config import HopperConfig, load_config
from agent.research import INSUFFICIENT
from agent.session import Session
from tui.cli import main

INSUFFICIENT_LM = "insufficient: unusable LM replies"

DOCS = {
    "lighthouse.md": "# Verrin Lighthouse\nThe Verrin lighthouse was designed by the engineer Oska Tamm in "
                     "1869.",
    "tamm.md": "# Oska Tamm\nOska Tamm was born in the river town of Lowbridge and trained as a mason.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish.",
}
QUESTION = "Who designed the Verrin lighthouse?"


@pytest.fixture(scope="module")
def index(small_index):
    return small_index("budget", DOCS)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for var in [v for v in __import__("os").environ if v.startswith("HOPPER_")]:
        monkeypatch.delenv(var)


def remote_config(url: str, index, **agent) -> HopperConfig:
    cfg = HopperConfig()
    cfg.index_dir = str(index.dir)
    cfg.lm.model, cfg.lm.api_base, cfg.lm.cache = "openai/fake", url, False
    cfg.lm.timeout_s, cfg.lm.retries = 120.0, 2
    for key, value in agent.items():
        setattr(cfg.agent, key, value)
    return cfg


# ---- the prompt budget, before the run -----------------------------------------------------------------

def test_a_question_longer_than_the_context_is_refused_before_the_run_saying_what_fits(clean_env, capsys):
    from agent.budget import question_room

    question = ("Why " + "is the lighthouse on the hill and not by the sea " * 400).strip()  # 20,000 chars
    start = time.perf_counter()
    code = main(["ask", question, "--index", "no-such-index"])
    err = capsys.readouterr().err
    assert code == 2 and time.perf_counter() - start < 5  # not 92 s into a run
    fits = int(question_room(load_config()) * 3)
    assert err == (f"hopper: error: the question is too long for the LM: about {len(question) // 3 + 1:,} "
                   f"tokens "
                   f"({len(question):,} characters), but with lm.n_ctx = 4,096 (from default), lm.max_tokens "
                   f"= 512 "
                   f"and agent.evidence_k = 6 passages, about {fits:,} characters fit: shorten the question "
                   f"to its "
                   f"point (index long text with `hopper index` and ask about it instead)\n")


def test_the_budget_follows_the_settings_and_ordinary_questions_pass():
    from agent.budget import check_prompt_budget
    from tools.errors import InputError

    cfg = HopperConfig()
    check_prompt_budget(QUESTION, cfg)
    long = "x" * 20_000
    with pytest.raises(InputError, match="about 2,3"):
        check_prompt_budget(long, cfg)
    cfg.lm.n_ctx = 32_768
    check_prompt_budget(long, cfg)  # a larger window does make room
    cfg.lm.n_ctx, cfg.lm.model = 4096, "openai/gpt-4o-mini"
    check_prompt_budget(long, cfg)  # a remote model's window is its provider's


def test_the_session_refuses_too_long_questions_too_tui_and_eval_path():
    from tools.errors import InputError

    cfg = HopperConfig()
    cfg.agent.mode = "closed"
    with pytest.raises(InputError, match="too long for the LM"):
        Session(cfg, load_program=False).ask("y" * 20_000)


# ---- the run's deadline bounds every LM call -------------------------------------------------------------

MARGIN_S = 10.0
"""How far past `agent.max_seconds` a run may end (the issue's "one small margin")."""


@pytest.mark.slow  # each mode waits out its 5 s budget on purpose
@pytest.mark.parametrize("mode", ["closed", "rag", "agent"])
def test_a_slow_lm_server_cannot_carry_the_run_past_its_budget(fake_openai, index, mode):
    with fake_openai(mode="slow", delay=60.0) as srv:
        session = Session(remote_config(srv.url, index, max_seconds=5.0), load_program=False)
        start = time.perf_counter()
        result = session.ask(QUESTION, mode=mode)
        took = time.perf_counter() - start
    assert took < 5.0 + MARGIN_S  # was: every call waited the full 60 s (timeout 120 s, 2 retries)
    assert result.status == "budget" and result.answer.startswith("The time budget ran out")
    assert [e.data["reason"] for e in result.trace.of_type("budget")] == ["seconds"]
    assert result.trace.first("run_end").data["status"] == "budget"
    assert len(srv.requests) <= 2  # no retry after the budget ran out


def test_each_remote_call_gets_at_most_the_time_left(fake_openai, index):
    from agent.lm import get_lm
    from agent.lm.deadline import BudgetExceeded, bounded, deadline

    assert bounded(120.0, 2) == (120.0, 2)  # no deadline: the settings as they are
    with deadline(10.0):
        timeout, retries = bounded(120.0, 2)
        assert 9.0 < timeout <= 10.0 and retries == 0
        assert bounded(2.0, 2) == (2.0, 2)  # three 2 s attempts fit in 10 s
    with deadline(0.5), pytest.raises(BudgetExceeded):
        bounded(120.0, 2)
    with fake_openai(mode="slow", delay=25.0) as srv:
        lm = get_lm(remote_config(srv.url, index).lm)
        start = time.perf_counter()
        with deadline(2.0), pytest.raises(BudgetExceeded, match="agent.max_seconds"):
            lm("hello")
        assert time.perf_counter() - start < 3.0


# ---- a status that says why ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["rag", "agent"])
def test_garbage_lm_replies_end_insufficient_with_the_reason(fake_openai, index, mode):
    # A yes/no question: no span of the passages can stand in for the LM's verdict.
    with fake_openai(reply="lorem ipsum dolor sit amet, <<<>>> ~~~") as srv:
        result = Session(remote_config(srv.url, index), load_program=False).ask(
            "Was the Verrin lighthouse designed by Oska Tamm?", mode=mode)
    assert result.answer == INSUFFICIENT and not result.sufficient
    assert result.status == INSUFFICIENT_LM
    assert result.trace.first("run_end").data["status"] == INSUFFICIENT_LM


# ---- --trace FILE is written even when the run fails -----------------------------------------------------

def test_trace_is_written_when_the_run_fails(fake_openai, index, tmp_path, clean_env, capsys, monkeypatch):
    monkeypatch.setenv("HOPPER_LM_RETRIES", "0")
    out = tmp_path / "run.jsonl"
    with fake_openai(mode="error") as srv:
        code = main(["ask", QUESTION, "--index", str(index.dir), "--mode", "rag", "--lm", "openai/fake",
                     "--api-base", srv.url, "--no-cache", "--trace", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("hopper: error: ") and err.count("\n") == 1
    events = [json.loads(line) for line in out.read_text().splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "run_start" and "tool_call" in types and types[-1] == "run_end"
    assert events[-1]["data"]["status"] == "error" and events[-1]["data"]["error"]
