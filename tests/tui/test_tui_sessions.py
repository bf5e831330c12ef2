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


# ---- a long run is saved in linear time, and reads never interleave --------------------------------------

def _wal_frames(store: SessionStore) -> int:
    """Pages written to the write-ahead log since the last checkpoint (autocheckpoint off)."""
    return store._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]


def test_a_2000_event_run_costs_each_event_the_same_whatever_the_traces_length(store):
    sid = store.new_session("", "idx")
    tid = store.start_turn(sid, "a long run?")
    trace = Trace(subscribers=[lambda e: store.append_event(tid, e)])
    store._db.execute("PRAGMA wal_autocheckpoint = 0")  # count every page written, none checkpointed
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)

    def emit(n: int) -> int:
        """Emit `n` events; the pages SQLite wrote for them."""
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        statements.clear()
        for i in range(n):
            trace.emit("step", kind="tool", step="hybrid_search", node=1, text=f"hybrid_search query {i}")
        writes = [s for s in statements if not s.startswith("PRAGMA")]
        assert len(writes) == n and all(s.startswith("INSERT INTO events") for s in writes)  # one row each
        return _wal_frames(store)

    first, second = emit(1000), emit(1000)
    # the second thousand events cost what the first did (rewriting the whole trace per event made
    # them cost three times as much, and each event more than the one before)
    assert second <= 1.2 * first
    store._db.set_trace_callback(None)
    events = store.turns(sid)[0].events
    assert len(events) == 2000 and [e["seq"] for e in events] == list(range(2000))


def test_queries_fetch_their_rows_while_holding_the_lock(store):
    sid = store.new_session("t", "idx")
    store.start_turn(sid, "q?")
    db, lock = store._db, store._lock

    class Checked:
        """The store's connection, checking that every row is fetched under the store's lock."""

        def execute(self, sql, args=()):
            cursor = db.execute(sql, args)

            class Rows:
                lastrowid = cursor.lastrowid

                def fetchall(self):
                    assert lock.locked(), f"rows of {sql!r} fetched without the lock"
                    return cursor.fetchall()

                def fetchone(self):
                    assert lock.locked(), f"row of {sql!r} fetched without the lock"
                    return cursor.fetchone()

                def __iter__(self):
                    assert lock.locked(), f"rows of {sql!r} read without the lock"
                    return iter(cursor)

            return Rows()

    store._db = Checked()
    try:
        assert [s.id for s in store.list_sessions()] == [sid]
        assert store.recent_questions() == ["q?"] and len(store.turns(sid)) == 1
    finally:
        store._db = db


def test_a_version_2_turns_trace_is_still_read_and_later_events_follow_it(tmp_path):
    path = tmp_path / "v2.sqlite3"
    store = SessionStore(path)
    sid = store.new_session("", "idx")
    tid = store.start_turn(sid, "old?")
    store.close()
    with sqlite3.connect(path) as db:  # a turn saved by a v2 Hopper: its trace in turns.trace
        db.execute("UPDATE turns SET trace = ? WHERE id = ?",
                   ('{"type": "run_start", "seq": 0}\n{"type": "step", "seq": 1}\n', tid))
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    store = SessionStore(path)
    store.append_event(tid, '{"type": "run_end", "seq": 2}')
    assert [e["type"] for e in store.turns(sid)[0].events] == ["run_start", "step", "run_end"]
    store.close()


def test_a_password_in_the_lm_url_never_reaches_the_sessions_database(tmp_path):
    db = tmp_path / "s.sqlite3"
    store = SessionStore(db)
    sid = store.new_session("t", "/idx", "http://ann:hunter2@10.0.0.1:8000/v1?api_key=abc")
    assert store.get_session(sid).model == "http://ann:***@10.0.0.1:8000/v1?api_key=***"
    written = b"".join(f.read_bytes() for f in tmp_path.glob("s.sqlite3*"))  # the database and its WAL
    assert b"hunter2" not in written and b"api_key=abc" not in written and b"10.0.0.1" in written
