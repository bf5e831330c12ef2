"""Saved TUI sessions: every question, answer and trace, written as it happens (SQLite).

The database lives at `platformdirs.user_data_dir("hopper")/sessions.sqlite3` unless a path
is given (tests) or `HOPPER_SESSIONS_DB` is set. Schema (version 3)::

    sessions(id INTEGER PRIMARY KEY, title TEXT, index_dir TEXT, created REAL, updated REAL,
             model TEXT)  -- the LM the session was started with (v2; '' in sessions made before)
    turns(id INTEGER PRIMARY KEY, session_id INTEGER -> sessions.id ON DELETE CASCADE,
          question TEXT, answer TEXT  -- JSON of AgentResult.to_dict(with_trace=False), '' while running
          status TEXT                 -- running | ok | budget | cancelled | error
          trace TEXT                  -- a v1/v2 turn's trace as JSONL; '' for turns made since
          error TEXT, created REAL, updated REAL)
    events(id INTEGER PRIMARY KEY, turn_id INTEGER -> turns.id ON DELETE CASCADE,
           line TEXT)                 -- one trace event (agent.trace schema, one JSON line) per row (v3)

A version 1 database gains the `model` column when it is opened; an older turn keeps its trace in
`turns.trace` and is read from there. A turn row is created when the question is asked, each trace
event is inserted as its own row the moment it arrives (the cost of an event does not grow with
the trace), and the answer and status are written at the end, so a crash loses at most one event.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import DataFormatError
from tools.redact import mask_secrets

SCHEMA_VERSION = 3
_TURN_COLUMNS = ("id", "session_id", "question", "answer", "status", "trace", "error", "created", "updated")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL DEFAULT '',
    index_dir TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    model TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'running',
    trace TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_session ON turns(session_id, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_turn ON events(turn_id, id);
"""


def default_db_path() -> Path:
    """Where sessions are kept: `$HOPPER_SESSIONS_DB`, else the user data directory."""
    env = os.environ.get("HOPPER_SESSIONS_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("hopper")) / "sessions.sqlite3"


@dataclass
class SessionInfo:
    id: int
    title: str
    index_dir: str
    created: float
    updated: float
    turns: int = 0
    model: str = ""


@dataclass
class Turn:
    id: int
    session_id: int
    question: str
    status: str
    answer: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    created: float = 0.0

    @property
    def answer_text(self) -> str:
        return str(self.answer.get("answer", ""))


class SessionStore:
    """Thread-safe access to the sessions database (the agent worker writes trace events)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise DataFormatError(f"{self.path}: not a Hopper sessions database ({exc}); "
                                  f"move it away or set HOPPER_SESSIONS_DB") from exc
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise DataFormatError(f"{self.path}: sessions schema v{row[0]} is newer than this Hopper "
                                  f"(v{SCHEMA_VERSION})")
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(sessions)")}
        if "model" not in columns:  # version 1: sessions did not record their LM
            self._db.execute("ALTER TABLE sessions ADD COLUMN model TEXT NOT NULL DEFAULT ''")
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple = ()) -> int:
        """Run one statement; the id of the row it inserted (if any)."""
        with self._lock:
            return int(self._db.execute(sql, args).lastrowid or 0)

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Run one query and fetch its rows under the lock (a cursor read after the lock is released
        would interleave with another thread's statements on the same connection)."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- sessions ---------------------------------------------------------------------------------
    def new_session(self, title: str = "", index_dir: str = "", model: str = "") -> int:
        now = time.time()
        # A URL's password never goes to disk: a masked model is reopened with the current LM.
        return self._write("INSERT INTO sessions (title, index_dir, created, updated, model) "
                           "VALUES (?, ?, ?, ?, ?)", (title, index_dir, now, now, mask_secrets(model)))

    def list_sessions(self) -> list[SessionInfo]:
        rows = self._rows(
            "SELECT s.id, s.title, s.index_dir, s.created, s.updated, COUNT(t.id), s.model FROM sessions s "
            "LEFT JOIN turns t ON t.session_id = s.id GROUP BY s.id "
            "ORDER BY s.updated DESC, s.id DESC")
        return [SessionInfo(*row) for row in rows]

    def get_session(self, session_id: int) -> SessionInfo | None:
        return next((s for s in self.list_sessions() if s.id == session_id), None)

    def delete_session(self, session_id: int) -> dict[str, Any] | None:
        """Delete a session; returns its rows (for `restore_session`, i.e. undo), None if there was none."""
        with self._lock:
            row = self._db.execute("SELECT id, title, index_dir, created, updated, model FROM sessions "
                                   "WHERE id = ?", (session_id,)).fetchone()
            turns = self._db.execute(f"SELECT {', '.join(_TURN_COLUMNS)} FROM turns WHERE session_id = ? "
                                     "ORDER BY id", (session_id,)).fetchall()
            events = self._db.execute("SELECT e.id, e.turn_id, e.line FROM events e JOIN turns t ON "
                                      "t.id = e.turn_id WHERE t.session_id = ? ORDER BY e.id",
                                      (session_id,)).fetchall()
            self._db.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        return None if row is None else {"session": list(row), "turns": [list(t) for t in turns],
                                         "events": [list(e) for e in events]}

    def restore_session(self, saved: dict[str, Any]) -> int:
        """Put back a session `delete_session` returned (same ids, turns and traces)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                row = (list(saved["session"]) + [""])[:6]  # a row saved before v2 has no model
                self._db.execute("INSERT INTO sessions (id, title, index_dir, created, updated, model) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", tuple(row))
                self._db.executemany(f"INSERT INTO turns ({', '.join(_TURN_COLUMNS)}) VALUES "
                                     f"({', '.join('?' * len(_TURN_COLUMNS))})",
                                     [tuple(t) for t in saved["turns"]])
                self._db.executemany("INSERT INTO events (id, turn_id, line) VALUES (?, ?, ?)",
                                     [tuple(e) for e in saved.get("events", [])])
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return int(saved["session"][0])

    def recent_questions(self, limit: int = 500) -> list[str]:
        """Questions asked in any session, oldest first (the input's Up/Down history)."""
        rows = self._rows("SELECT question FROM turns ORDER BY id DESC LIMIT ?", (limit,))
        out: list[str] = []
        for (question,) in reversed(rows):
            if not out or out[-1] != question:
                out.append(question)
        return out

    # -- turns ------------------------------------------------------------------------------------
    def start_turn(self, session_id: int, question: str) -> int:
        now = time.time()
        with self._lock:
            cur = self._db.execute("INSERT INTO turns (session_id, question, created, updated) "
                                   "VALUES (?, ?, ?, ?)", (session_id, question, now, now))
            self._db.execute("UPDATE sessions SET updated = ?, "
                             "title = CASE WHEN title = '' THEN ? ELSE title END "
                             "WHERE id = ?", (now, question, session_id))
        return int(cur.lastrowid)

    def append_event(self, turn_id: int, event) -> None:
        """Append one `TraceEvent` (or its JSON line) to the turn's trace: one row, one statement."""
        line = event if isinstance(event, str) else event.to_json()
        self._write("INSERT INTO events (turn_id, line) VALUES (?, ?)", (turn_id, line.rstrip("\n")))

    def finish_turn(self, turn_id: int, status: str, answer: dict[str, Any] | None = None,
                    error: str = "") -> None:
        payload = json.dumps(answer, ensure_ascii=False, default=str) if answer is not None else ""
        self._write("UPDATE turns SET status = ?, answer = ?, error = ?, updated = ? WHERE id = ?",
                    (status, payload, error, time.time(), turn_id))

    def turns(self, session_id: int) -> list[Turn]:
        with self._lock:
            rows = self._db.execute("SELECT id, session_id, question, status, answer, trace, error, created "
                                    "FROM turns WHERE session_id = ? ORDER BY id", (session_id,)).fetchall()
            lines: dict[int, list[str]] = {}
            for turn_id, line in self._db.execute(
                    "SELECT e.turn_id, e.line FROM events e JOIN turns t ON t.id = e.turn_id "
                    "WHERE t.session_id = ? ORDER BY e.id", (session_id,)):
                lines.setdefault(turn_id, []).append(line)
        out = []
        for tid, sid, question, status, answer, trace, error, created in rows:
            legacy = [line for line in trace.splitlines() if line.strip()]  # a v1/v2 turn's trace
            events = [json.loads(line) for line in legacy + lines.get(tid, [])]
            saved = json.loads(answer) if answer else {}
            out.append(Turn(tid, sid, question, status, saved, events, error, created))
        return out

    def history(self, session_id: int) -> list[tuple[str, str]]:
        """Earlier (question, answer) pairs that a follow-up question sees as context: a follow-up's
        question as it was researched (standalone), and the short answer where there is one."""
        return [(str(t.answer.get("standalone") or t.question), str(t.answer.get("short_answer") or "")
                 or t.answer_text) for t in self.turns(session_id)
                if t.status in ("ok", "budget") and t.answer_text]


def session_index(info: SessionInfo, requested: str | None = None) -> str:
    """The index a saved session runs on: its own; `requested` (an explicit --index) must be the same.

    Raises `ConfigError` naming both folders when they differ, or when the session's index is gone.
    """
    from tools.errors import ConfigError

    own = info.index_dir
    if not own:
        return requested or ""
    if requested and not same_dir(requested, own):
        raise ConfigError(f"session {info.id} was made on index {own}, not {requested}: leave --index out "
                          f"to use its index, or start a new session")
    if not Path(own).expanduser().is_dir():
        raise ConfigError(f"session {info.id} was made on index {own}, which no longer exists: build it "
                          f"again with `hopper index DOCS --index {own}`, or start a new session")
    return own


def same_dir(a: str, b: str) -> bool:
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
