"""Language models for Hopper: the embedded GGUF models and any LiteLLM model, as DSPy LMs.

Public API::

    get_lm(settings: LMSettings, *, fast: bool = False) -> HopperLM     # a dspy.LM, lazy
    get_adapter(settings: LMSettings) -> dspy.Adapter                   # json (default) or chat
    configure_dspy(cfg: HopperConfig | LMSettings) -> HopperLM          # main thread, once
    lm_context(cfg, *, fast=False) -> ContextManager[HopperLM]          # any thread
    lm_errors(settings) -> ContextManager[None]                         # LM failures -> ModelError
    preload(lm) -> float                                                # load an embedded model now
    describe_lm(settings, *, fast=False) -> str
    was_cache_hit(lm, index=-1) -> bool

See docs/lm.md for configuration, providers, the cache and the embedded models' licences.
"""

from __future__ import annotations

import os

# Offline by default: LiteLLM and DSPy would otherwise fetch a model price list from GitHub.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")

from agent.lm.cache import default_cache_dir, lm_cache_dir, models_dir, use_cache_dir, was_cache_hit
from agent.lm.errors import LMOutputError, LMRateLimitedError, LMUnavailableError, lm_errors, to_model_error
from agent.lm.models import LOCAL_MODELS, is_local

__all__ = [
    "LOCAL_MODELS",
    "HopperJSONAdapter",
    "HopperLM",
    "LMOutputError",
    "LMRateLimitedError",
    "LMUnavailableError",
    "configure_dspy",
    "default_cache_dir",
    "describe_lm",
    "get_adapter",
    "get_lm",
    "is_local",
    "lm_cache_dir",
    "lm_context",
    "lm_errors",
    "models_dir",
    "preload",
    "to_model_error",
    "use_cache_dir",
    "was_cache_hit",
]

_FACTORY = {"HopperJSONAdapter", "HopperLM", "configure_dspy", "describe_lm", "get_adapter", "get_lm",
            "lm_context", "preload"}


def __getattr__(name: str):
    # dspy is imported only when an LM is actually built, so `hopper --help` stays instant.
    if name in _FACTORY:
        from agent.lm import factory

        return getattr(factory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
