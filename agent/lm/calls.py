"""The LM calls made inside a block of code, on this thread only.

An LM shared by several threads (`hopper eval --workers N`) keeps one `history`, so its last
entry may belong to another thread's call. `record_calls()` collects the history entries of
the calls made inside the block by this thread: DSPy appends each call's entry to every
module on its (thread-local) caller stack, and the recorder puts itself on that stack.
Whether a call was answered from the cache, or cut off by `max_tokens`, is then read from
the call's own entry. With DSPy's history switched off (`disable_history`) nothing is
recorded, and both read as False.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Recorder:
    """Stands on DSPy's caller-module stack; DSPy appends each LM call's entry to `history`."""

    def __init__(self) -> None:
        self.history: list[dict[str, Any]] = []


@contextmanager
def record_calls() -> Iterator[list[dict[str, Any]]]:
    """The history entries (DSPy's: prompt, response, usage, ...) of this thread's LM calls in the block."""
    import dspy  # heavy: dspy (~1 s); agent.lm is imported by `hopper --help`

    recorder = _Recorder()
    with dspy.settings.context(caller_modules=[*(dspy.settings.caller_modules or []), recorder]):
        yield recorder.history


def cache_hit(entry: dict[str, Any]) -> bool:
    """Whether the call was answered from the cache: DSPy records a hit with empty usage."""
    return not entry.get("usage")


def truncated(entry: dict[str, Any]) -> bool:
    """Whether the reply was cut off by `max_tokens` (finish reason `length`)."""
    response = entry.get("response")
    reason = getattr(response, "finish_reason", None)
    if reason is None:
        try:
            choice = response["choices"][0] if isinstance(response, dict) else response.choices[0]
            reason = choice["finish_reason"] if isinstance(choice, dict) else choice.finish_reason
        except (AttributeError, IndexError, KeyError, TypeError):
            return False
    return reason == "length"
