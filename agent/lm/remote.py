"""Any other LM, by LiteLLM id or OpenAI-compatible URL, as keyword arguments for `dspy.LM`.

Accepted `--lm` values (see docs/lm.md):

* a LiteLLM id: `openai/gpt-4o-mini`, `anthropic/claude-3-5-haiku-latest`,
  `ollama_chat/qwen2.5:7b`, `hosted_vllm/Qwen/Qwen2.5-7B-Instruct`, ...;
* an OpenAI-compatible base URL: `http://127.0.0.1:8080/v1`, optionally naming the served
  model after `#`: `http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct`.

Keys and API bases come from the configuration (`lm.api_key`, `lm.api_base`, i.e. the config
files or `HOPPER_LM_API_KEY` / `HOPPER_LM_API_BASE`) or from the provider's own variables
(`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `OLLAMA_API_BASE`, ...), which LiteLLM reads itself.
"""

from __future__ import annotations

import os
from typing import Any

# Providers whose servers are usually local and keyless: a placeholder key keeps SDKs happy.
_KEYLESS = {"hosted_vllm", "ollama", "ollama_chat", "lm_studio", "llamafile"}
PLACEHOLDER_KEY = "sk-no-key-required"


def is_url(model: str) -> bool:
    return model.startswith(("http://", "https://"))


def provider_of(model: str) -> str:
    """`openai` for `openai/gpt-4o` and for a URL; the prefix before `/` otherwise."""
    if is_url(model):
        return "openai"
    prefix, sep, _ = model.partition("/")
    return prefix if sep else "openai"


def split_url(model: str) -> tuple[str, str]:
    """(`openai/<served name>`, base URL) for an OpenAI-compatible URL given as `--lm`."""
    url, _, served = model.partition("#")
    return f"openai/{served or 'default'}", url.rstrip("/")


def remote_kwargs(settings: Any, model: str, *, share_credentials: bool = True) -> tuple[str, dict[str, Any]]:
    """The `dspy.LM` model id and keyword arguments for a remote `model`.

    Args:
        settings: the `LMSettings` (temperature, max_tokens, timeout, retries, cache, api_*).
        model: the LiteLLM id or URL to use (`settings.model` or `settings.fast_model`).
        share_credentials: pass `settings.api_key` / `api_base` along. `get_lm` turns this off
            for a fast LM from another provider, so a key never reaches the wrong service.
    """
    api_base = settings.api_base if share_credentials else ""
    api_key = settings.api_key if share_credentials else ""
    model_id = model
    if is_url(model):
        model_id, api_base = split_url(model)
    kwargs: dict[str, Any] = {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "num_retries": max(0, int(settings.retries)),
        "cache": bool(settings.cache),
        "timeout": settings.timeout_s,
        "engine": getattr(settings, "engine", "auto") or "auto",
    }
    if api_base:
        kwargs["api_base"] = api_base
    provider = provider_of(model)
    if api_key:
        kwargs["api_key"] = api_key
    elif provider in _KEYLESS or (provider == "openai" and api_base and not os.environ.get("OPENAI_API_KEY")):
        # A local OpenAI-compatible server rarely checks keys, but the client needs one.
        kwargs["api_key"] = PLACEHOLDER_KEY
    return model_id, kwargs

