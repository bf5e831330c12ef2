"""Rich progress bars (rate and ETA) for the `tools.progress.Progress` protocol."""

from __future__ import annotations

import sys


class RichProgress:
    """Renders each task as a Rich progress bar on a terminal; on a log file or pipe (stderr not a
    terminal) it writes one plain line per task every few seconds instead (`tools.progress.LineProgress`)."""

    LABELS = {"read": "reading", "embed": "embedding", "bm25": "BM25 index", "graph": "graph extraction",
              "milvus": "Milvus insert"}

    def __init__(self, enabled: bool | None = None, *, lines: bool = True, interval: float | None = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from tools.progress import StageTotals

        enabled = sys.stderr.isatty() if enabled is None else enabled
        self.totals = StageTotals()
        """Items and seconds per finished stage (`totals.line()` is the job's last line)."""
        self._lines = None
        if not enabled and lines:
            from tools.progress import LineProgress

            self._lines = LineProgress(interval=interval)
        self._progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"),
            TimeRemainingColumn(), console=Console(stderr=True), disable=not enabled, transient=False,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def start(self, task: str, total: int | None) -> None:
        self.totals.start(task, total)
        if self._lines is not None:
            self._lines.start(task, total)
        self._tasks[task] = self._progress.add_task(self.LABELS.get(task, task), total=total, rate="")

    def advance(self, task: str, n: int = 1) -> None:
        if task not in self._tasks:
            self.start(task, None)
        self.totals.advance(task, n)
        if self._lines is not None:
            self._lines.advance(task, n)
        tid = self._tasks[task]
        self._progress.advance(tid, n)
        t = self._progress.tasks[tid]
        speed = t.speed
        self._progress.update(tid, rate=f"{speed:,.0f}/s" if speed else "")

    def finish(self, task: str) -> None:
        self.totals.finish(task)
        if self._lines is not None:
            self._lines.finish(task)
        if task in self._tasks:
            tid = self._tasks[task]
            t = self._progress.tasks[tid]
            self._progress.update(tid, total=t.completed or t.total or 1, completed=t.completed or 1)
