"""Messages the TUI's workers and widgets post (dataclass `Message`s handled with `@on`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class TraceArrived(Message):
    """One agent trace event, posted from the agent worker thread."""

    turn_id: int
    event: Any  # agent.trace.TraceEvent


@dataclass
class RunFinished(Message):
    """The agent worker finished: `result` on success or cancellation, `error` otherwise."""

    turn_id: int
    result: Any = None  # agent.research.AgentResult
    error: str = ""
    title: str = ""


@dataclass
class CitationSelected(Message):
    """A citation was chosen (key, list or link in the answer); the evidence pane shows it.

    None clears the pane."""

    citation: dict[str, Any] | None


@dataclass
class SessionChosen(Message):
    """The sessions screen asked to open a saved session (None: start a new one)."""

    session_id: int | None


@dataclass
class SessionReady(Message):
    """The agent session (index + LMs) was built in a worker, or failed to build."""

    session: Any = None
    error: str = ""


@dataclass
class IndexProgress(Message):
    """Progress of an indexing worker (`tools.progress.Progress` calls forwarded to the UI)."""

    task: str
    completed: int
    total: int | None


@dataclass
class IndexFinished(Message):
    """An indexing worker finished: `counts` of the new generation, or `error`."""

    counts: dict[str, int]
    summary: str = ""
    error: str = ""


@dataclass
class SettingsChanged(Message):
    """Settings were edited; `rebuild` when the LMs must be loaded again."""

    rebuild: bool = False
