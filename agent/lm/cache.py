"""Where Hopper keeps LM data: the on-disk call cache and the assembled embedded models.

One cache serves every model. It is DSPy's own two-level cache (memory + diskcache), pointed
at `<cache_dir>/lm`: an entry is keyed by the model id, the rendered messages and every
setting that changes the output (temperature, max_tokens, response_format, ...), never by
API keys or base URLs. A hit returns the stored reply with empty usage (no tokens spent),
which is how callers (and tests) observe it: see `was_cache_hit`.

Layout (version 1)::

    $XDG_CACHE_HOME/hopper/          (default ~/.cache/hopper)
        lm/                          DSPy diskcache shards (FanoutCache, 16 shards); `lm.cache_dir` moves it
        models/<name>-<sha12>.gguf   embedded models assembled from their PyPI parts
        wheels/                      llama-cpp-python wheel built once by `make install`
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

logger = logging.getLogger(__name__)

CACHE_LAYOUT_VERSION = 1
DISK_LIMIT_BYTES = int(os.environ.get("HOPPER_LM_CACHE_LIMIT") or 4 * 1024**3)

_lock = threading.Lock()
_configured_dir: str | None = None


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/hopper` (platformdirs' user cache dir on other systems)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "hopper"
    try:
        return Path(user_cache_dir("hopper", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path.home() / ".cache" / "hopper"


def models_dir() -> Path:
    """Where embedded models are assembled: `<user cache>/hopper/models`."""
    return default_cache_dir() / "models"


def lm_cache_dir(cache_dir: str = "") -> Path:
    """The LM call cache: `lm.cache_dir` when set, else `<user cache>/hopper/lm`."""
    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir() / "lm"


def use_cache_dir(cache_dir: str = "") -> Path:
    """Point DSPy's global call cache at `lm_cache_dir(cache_dir)` (once per folder, thread-safe).

    Calling it again with the same folder is free; a different folder replaces the cache
    (used by tests with a temporary folder).
    """
    global _configured_dir
    path = lm_cache_dir(cache_dir)
    with _lock:
        if _configured_dir == str(path):
            return path
        import dspy  # heavy: dspy (~1 s); agent.lm is imported by `hopper --help`

        path.mkdir(parents=True, exist_ok=True)
        dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True,
                             disk_cache_dir=str(path), disk_size_limit_bytes=DISK_LIMIT_BYTES)
        _configured_dir = str(path)
        logger.debug("LM call cache at %s", path)
    return path


def was_cache_hit(lm: Any, index: int = -1) -> bool:
    """Whether the LM's `index`-th recorded call was answered from the cache.

    DSPy records a hit with empty usage: no prompt or completion tokens were spent.
    """
    history = getattr(lm, "history", None) or []
    if not history:
        return False
    return not history[index].get("usage")


def clear_memory_cache() -> None:
    """Forget in-memory entries so the next lookup reads the disk (tests, benchmarks)."""
    import dspy  # heavy: dspy (~1 s); agent.lm is imported by `hopper --help`

    dspy.cache.reset_memory_cache()
