"""The run's deadline, seen by every LM call made inside it.

`ResearchAgent.run` opens `deadline(agent.max_seconds)`; `HopperLM` reads `time_left()` before
each call and bounds the call's timeout (and its retries) by it, so one slow LM server cannot
carry a run far past its budget. A context variable, so TUI worker threads and concurrent
evaluation runs each see their own deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tools.errors import HopperError

MIN_CALL_SECONDS = 1.0
"""A call is not started with less time than this left: the run stops instead."""

_DEADLINE: ContextVar[float | None] = ContextVar("hopper_run_deadline", default=None)


class BudgetExceeded(HopperError):
    """The run's time budget (`agent.max_seconds`) ran out during or before an LM call."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Calls inside the block must finish within `seconds` from now (None: no limit).

    A deadline already set by an outer block is never extended.
    """
    outer = _DEADLINE.get()
    mine = None if seconds is None else time.monotonic() + float(seconds)
    token = _DEADLINE.set(min((d for d in (outer, mine) if d is not None), default=None))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds until the current deadline (negative once passed), or None without one."""
    end = _DEADLINE.get()
    return None if end is None else end - time.monotonic()


def bounded(timeout_s: float | None, retries: int) -> tuple[float | None, int]:
    """(timeout, retries) for the next call, so that the call and its retries end by the deadline.

    Raises:
        BudgetExceeded: when less than `MIN_CALL_SECONDS` are left.
    """
    left = time_left()
    if left is None:
        return timeout_s, retries
    if left < MIN_CALL_SECONDS:
        raise BudgetExceeded("the run's time budget (agent.max_seconds) is spent")
    if timeout_s is None or timeout_s * (retries + 1) > left:
        return (left if timeout_s is None else min(timeout_s, left)), 0
    return timeout_s, retries
