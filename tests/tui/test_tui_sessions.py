"""The sessions store: turns written as they happen, history, deletion, versioning."""

from __future__ import annotations

import sqlite3

import pytest

from agent.trace import Trace
from tools.errors import DataFormatError
from tui.sessions import SessionStore, default_db_path


def test_turn_lifecycle_and_history(store):
    sid = store.new_session("", "idx")
    t1 = store.start_turn(sid, "Who designed the Verrin lighthouse?")
    # the turn exists from question time, running, before any event
    [turn] = store.turns(sid)
    assert turn.status == "running" and turn.events == [] and turn.answer == {}
    trace = Trace(subscribers=[lambda e: store.append_event(t1, e)])
    trace.emit("run_start", question="Who designed the Verrin lighthouse?")
    trace.emit("run_end", status="ok", seconds=1.0)
    assert [e["type"] for e in store.turns(sid)[0].events] == ["run_start", "run_end"]
    store.finish_turn(t1, "ok", {"answer": "Oska Tamm [1].", "citations": []})
    t2 = store.start_turn(sid, "Cancelled one?")
    store.finish_turn(t2, "cancelled", {"answer": "Cancelled.", "citations": []})
    t3 = store.start_turn(sid, "Broken one?")
    store.finish_turn(t3, "error", {"answer": "boom"}, error="boom")
    assert store.history(sid) == [("Who designed the Verrin lighthouse?", "Oska Tamm [1].")]
    info = store.get_session(sid)
    assert info.title == "Who designed the Verrin lighthouse?" and info.turns == 3
    assert [t.status for t in store.turns(sid)] == ["ok", "cancelled", "error"]


def test_list_and_delete(store):
    a = store.new_session("", "idx")
    store.start_turn(a, "first?")
    b = store.new_session("", "idx")
    store.start_turn(b, "second?")
    assert [s.id for s in store.list_sessions()] == [b, a]  # most recently used first
    store.delete_session(b)
    assert [s.id for s in store.list_sessions()] == [a]
    assert store.turns(b) == []


def test_survives_reopen_and_rejects_newer_schema(tmp_path):
    path = tmp_path / "s.sqlite3"
    s = SessionStore(path)
    sid = s.new_session("t", "idx")
    s.close()
    s2 = SessionStore(path)
    assert s2.get_session(sid).title == "t"
    s2.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(DataFormatError, match="newer"):
        SessionStore(path)
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("not a database at all" * 100)
    with pytest.raises(DataFormatError, match="not a Hopper sessions database"):
        SessionStore(bad)


def test_default_path(monkeypatch, tmp_path):
    monkeypatch.setenv("HOPPER_SESSIONS_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("HOPPER_SESSIONS_DB")
    assert default_db_path().name == "sessions.sqlite3" and "hopper" in str(default_db_path())


def test_delete_returns_rows_that_restore_puts_back(store):
    sid = store.new_session("", "idx")
    t1 = store.start_turn(sid, "first?")
    store.append_event(t1, '{"type": "run_start", "data": {}}')
    store.finish_turn(t1, "ok", {"answer": "A.", "citations": []})
    before = store.turns(sid)
    saved = store.delete_session(sid)
    assert store.list_sessions() == [] and store.delete_session(sid) is None
    assert store.restore_session(saved) == sid
    assert store.turns(sid) == before and store.get_session(sid).title == "first?"


def test_recent_questions_oldest_first_without_repeats(store):
    a = store.new_session("", "idx")
    for q in ("one?", "two?", "two?", "three?"):
        store.start_turn(a, q)
    b = store.new_session("", "idx")
    store.start_turn(b, "four?")
    assert store.recent_questions() == ["one?", "two?", "three?", "four?"]
    assert store.recent_questions(limit=2) == ["three?", "four?"]
