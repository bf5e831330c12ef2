"""A minimal progress protocol so `tools` reports long work without knowing who renders it."""

from __future__ import annotations

from typing import Protocol


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
