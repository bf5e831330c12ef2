"""A minimal progress protocol so `tools` reports long work without knowing who renders it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import ClassVar, Protocol, TextIO


class Progress(Protocol):
    def start(self, task: str, total: int | None) -> None: ...

    def advance(self, task: str, n: int = 1) -> None: ...

    def finish(self, task: str) -> None: ...


class NullProgress:
    """Progress that shows nothing (library use, tests)."""

    def start(self, task: str, total: int | None) -> None:
        pass

    def advance(self, task: str, n: int = 1) -> None:
        pass

    def finish(self, task: str) -> None:
        pass


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class StageTotals:
    """What each stage of a long job did (items, seconds), for the job's last line.

    A `Progress` itself: feed it the same calls as the visible progress. A stage started more
    than once (the graph embeds node names after the chunks) adds up.
    """

    LABELS: ClassVar[dict[str, str]] = {"read": "reading", "embed": "embedding", "bm25": "BM25 index",
                                        "graph": "graph extraction", "graph-embed": "node embedding",
                                        "milvus": "Milvus insert"}

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._open: dict[str, tuple[float, int]] = {}
        self.stages: dict[str, dict[str, float]] = {}
        """stage -> {"items": done, "seconds": took}, in the order the stages started."""

    def start(self, task: str, total: int | None) -> None:
        self._open[task] = (self.clock(), 0)
        self.stages.setdefault(task, {"items": 0, "seconds": 0.0})

    def advance(self, task: str, n: int = 1) -> None:
        if task not in self._open:
            self.start(task, None)
        started, done = self._open[task]
        self._open[task] = (started, done + n)

    def finish(self, task: str) -> None:
        if task not in self._open:
            return
        started, done = self._open.pop(task)
        stage = self.stages[task]
        stage["items"] += done
        stage["seconds"] += self.clock() - started

    def line(self) -> str:
        """`totals: embedding 4,143 in 3m10s (21.8/s) · graph extraction ...`, one part per stage."""
        parts = []
        for task, stage in self.stages.items():
            items, took = int(stage["items"]), stage["seconds"]
            rate = f" ({items / took:,.1f}/s)" if items and took > 0 else ""
            count = f"{items:,} " if items else ""
            parts.append(f"{self.LABELS.get(task, task)} {count}in {_duration(took)}{rate}")
        total = sum(stage["seconds"] for stage in self.stages.values())
        return "totals: " + " · ".join([*parts, f"all {_duration(total)}"])


class LineProgress:
    """Progress for a log file or pipe: one plain line per task every `interval` seconds.

    Each line says the stage, done/total, the rate and the time left, e.g.
    `hopper: embedding 1,200/7,803 (15%) · 92.1/s · ETA 1m12s`; a last line when the task ends.
    """

    LABELS: ClassVar[dict[str, str]] = {"read": "reading", "embed": "embedding", "bm25": "BM25 index",
                                        "graph": "graph extraction", "milvus": "Milvus insert"}

    DEFAULT_INTERVAL = 5.0

    def __init__(self, stream: TextIO | None = None, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.interval = self.DEFAULT_INTERVAL if interval is None else interval
        self.clock = clock
        self._tasks: dict[str, list[float | int | None]] = {}  # task -> [started, last shown, done, total]

    def start(self, task: str, total: int | None) -> None:
        now = self.clock()
        self._tasks[task] = [now, now, 0, total]
        size = f" ({total:,} items)" if total else ""
        self._write(f"{self.LABELS.get(task, task)} started{size}")

    def advance(self, task: str, n: int = 1) -> None:
        if task not in self._tasks:
            self.start(task, None)
        state = self._tasks[task]
        state[2] += n
        now = self.clock()
        if now - state[1] >= self.interval:
            state[1] = now
            self._write(self.line(task))

    def finish(self, task: str) -> None:
        if task not in self._tasks:
            return
        started, _, done, _ = self._tasks.pop(task)
        took = self.clock() - started
        rate = f" ({done / took:,.1f}/s)" if took > 0 and done else ""
        count = f": {done:,}" if done else ""
        self._write(f"{self.LABELS.get(task, task)} done{count} in {_duration(took)}{rate}")

    def line(self, task: str) -> str:
        """The current one-line status of `task`: stage, done/total, rate, ETA."""
        started, _, done, total = self._tasks[task]
        took = max(self.clock() - started, 1e-9)
        rate = done / took
        share = f"/{total:,} ({100 * done / total:.0f}%)" if total else ""
        parts = [f"{self.LABELS.get(task, task)} {done:,}{share}"]
        parts.append(f"{rate:,.1f}/s")
        if total and rate > 0:
            parts.append(f"ETA {_duration(max(total - done, 0) / rate)}")
        return " · ".join(parts)

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stderr
        print(f"hopper: {text}", file=stream, flush=True)
