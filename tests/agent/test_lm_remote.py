"""The LiteLLM / remote path against a canned OpenAI-compatible server on loopback (no network)."""

from __future__ import annotations

import logging
import socket
import time

import dspy
import pytest

from agent.config import LMSettings
from agent.lm import LMRateLimitedError, LMUnavailableError, get_lm, lm_context, was_cache_hit
from tools.errors import ModelError

KEY = "sk-test-0123456789abcdef"


class QA(dspy.Signature):
    """Answer the question in one word."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


def _json_or_chat(body: dict) -> str:
    """Answer in whichever format the adapter asked for."""
    text = " ".join(str(m.get("content")) for m in body.get("messages", []))
    if "[[ ## answer ## ]]" in text and "JSON object" not in text:
        return "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
    return '{"answer": "Paris"}'


def _settings(url: str, **kw) -> LMSettings:
    base = {"model": "openai/tiny-fake", "api_base": url, "api_key": KEY, "cache": False, "retries": 0,
            "timeout_s": 5.0}
    base.update(kw)
    return LMSettings(**base)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("engine", ["auto", "litellm"])
@pytest.mark.parametrize("adapter", ["json", "chat"])
def test_predict_through_openai_compatible_server(engine, adapter, fake_openai):
    with fake_openai(reply=_json_or_chat) as srv:
        settings = _settings(srv.url, engine=engine, adapter=adapter, temperature=0.0, max_tokens=64)
        with lm_context(settings) as lm:
            pred = dspy.Predict(QA)(question="What is the capital of France?")
        assert pred.answer == "Paris"
        sent = srv.requests[-1]
        assert sent["model"] == "tiny-fake"
        assert sent["temperature"] == 0.0
        assert srv.headers[-1]["authorization"] == f"Bearer {KEY}"
        usage = lm.history[-1]["usage"]
        assert usage["prompt_tokens"] == 11 and usage["completion_tokens"] == 3


def test_url_as_model_names_the_served_model(fake_openai):
    with fake_openai(reply="Paris") as srv:
        lm = get_lm(LMSettings(model=f"{srv.url}#served-model", cache=False, retries=0))
        assert lm.model == "openai/served-model"
        assert lm("Capital of France? One word.") == ["Paris"]
        assert srv.requests[-1]["model"] == "served-model"


def test_disk_cache_hit_skips_the_server(tmp_path, fake_openai):
    with fake_openai(reply=_json_or_chat) as srv:
        settings = _settings(srv.url, cache=True, cache_dir=str(tmp_path))
        with lm_context(settings) as lm:
            first = dspy.Predict(QA)(question="cache me")
            second = dspy.Predict(QA)(question="cache me")
        assert first.answer == second.answer == "Paris"
        assert len(srv.requests) == 1
        assert not was_cache_hit(lm, -2) and was_cache_hit(lm, -1)
        assert any(tmp_path.iterdir())


def test_no_cache_calls_again(fake_openai):
    with fake_openai(reply="Paris") as srv:
        lm = get_lm(_settings(srv.url, cache=False))
        lm("same prompt")
        lm("same prompt")
        assert len(srv.requests) == 2


def test_unreachable_server_fails_fast_with_the_fix():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    start = time.perf_counter()
    with pytest.raises(LMUnavailableError) as info, lm_context(_settings(url, retries=0, timeout_s=2.0)):
        dspy.Predict(QA)(question="anyone there?")
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert f"cannot reach LM server at {url} (connection refused)" in message
    assert "--lm local" in message and "\n" not in message and KEY not in message


def test_malformed_reply_is_reported_clearly(fake_openai):
    with fake_openai(mode="malformed") as srv, pytest.raises(ModelError) as info:
        get_lm(_settings(srv.url))("hello")
    message = str(info.value)
    assert "not an OpenAI chat completion" in message and srv.url in message and KEY not in message


def test_rate_limit_is_retried_then_reported(fake_openai):
    with fake_openai(mode="ratelimit") as srv:
        with pytest.raises(LMRateLimitedError) as info:
            get_lm(_settings(srv.url, retries=1))("hello")
        assert len(srv.requests) == 2  # one retry, bounded by lm.retries
    assert "after 2 attempts" in str(info.value)


def test_timeout_names_the_setting(fake_openai):
    with fake_openai(mode="slow", delay=2.0) as srv:
        start = time.perf_counter()
        with pytest.raises(LMUnavailableError, match="timed out after 0.3s"):
            get_lm(_settings(srv.url, timeout_s=0.3))("hello")
        assert time.perf_counter() - start < 2.0


def test_secrets_stay_out_of_repr_history_and_logs(caplog, fake_openai):
    caplog.set_level(logging.DEBUG)
    with fake_openai(mode="error") as srv:
        lm = get_lm(_settings(srv.url))
        with pytest.raises(ModelError) as info:
            lm("hello")
    assert KEY not in repr(lm) and KEY not in str(info.value)
    assert KEY not in caplog.text
    assert all(KEY not in str(entry.get("kwargs")) for entry in lm.history)
    assert "api_key" not in lm.dump_state()


def test_fast_lm_from_another_provider_gets_no_key():
    settings = LMSettings(model="openai/big", fast_model="anthropic/small", api_key=KEY, cache=False)
    assert get_lm(settings).kwargs["api_key"] == KEY
    fast = get_lm(settings, fast=True)
    assert fast.model == "anthropic/small" and fast.kwargs.get("api_key") != KEY
