"""Export a TUI session as the Markdown report `hopper ask --out` writes (`agent.report`)."""

from __future__ import annotations

from pathlib import Path

from tui.widgets.turns import TurnView, as_result


def exportable(turns: list[TurnView]) -> list[TurnView]:
    """The turns worth a report: finished with an answer (not running, cancelled or failed)."""
    return [t for t in turns if t.status in ("ok", "budget") and (t.answer or t.items)]


def default_export_path(session_id: int | None, folder: Path | None = None) -> Path:
    return (folder or Path.cwd()) / f"hopper-session-{session_id if session_id is not None else 'new'}.md"


def export_session(turns: list[TurnView], path: str | Path, *, index_dir: str = "",
                   title: str = "") -> tuple[Path, int]:
    """Write the report of `turns` to `path`; returns (path, answers written).

    Raises ValueError when there is nothing to export, OSError when the file cannot be written.
    """
    from agent.report import write_report

    chosen = exportable(turns)
    if not chosen:
        raise ValueError("no finished answer in this session to export yet")
    heading = title or f"Hopper session: {' '.join(chosen[0].question.split())}"
    written = write_report([as_result(t) for t in chosen], path, title=heading, index_dir=index_dir or None)
    return written, len(chosen)
