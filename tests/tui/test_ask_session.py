"""`hopper ask --session ID|new`: a follow-up asked from the command line is read with the session's
earlier turns, the turn is saved in the session, and the session's index is the one searched."""

from __future__ import annotations

import json

import pytest
from dspy.adapters import JSONAdapter
from dspy.utils import DummyLM

from tools.errors import ConfigError
from tui.cli import build_parser
from tui.sessions import SessionStore

DOCS = {
    "oska_tamm.md": "# Oska Tamm\nOska Tamm (1829–1903) was an engineer. He was born in Lowbridge. "
                    "He died in Verrin in the winter of 1903.",
    "renna_vos.md": "# Renna Vos\nRenna Vos was a painter. She died in Caskwell in 1934.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish.",
}


@pytest.fixture
def ask(small_index, monkeypatch, tmp_path):
    index = small_index("ask-session", DOCS)
    monkeypatch.chdir(tmp_path)  # no ./hopper.toml from the working folder
    db = tmp_path / "sessions.sqlite3"

    def run(*argv: str, reply: str, index_dir: str | None = str(index.dir)):
        import agent.lm

        monkeypatch.setattr(agent.lm, "get_lm",
                            lambda *a, **k: DummyLM([{"answer": reply}] * 3, adapter=JSONAdapter()))
        from tui.commands import ask as cmd

        where = ["--index", index_dir] if index_dir else []
        args = build_parser().parse_args(["ask", *argv, *where, "--sessions-db", str(db), "--json"])
        return cmd.run(args)

    run.db, run.index = db, index
    return run


def test_a_follow_up_from_the_command_line_is_read_with_the_session(ask, capsys):
    assert ask("Where was Oska Tamm born?", "--session", "new", reply="Lowbridge") == 0
    first = json.loads(capsys.readouterr().out)
    sid = first["session"]
    assert isinstance(sid, int) and first["standalone"] == ""
    # no --index: the session's own index is searched
    assert ask("When did he die?", "--session", str(sid), reply="1903", index_dir=None) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["standalone"] == "When did Oska Tamm die?" and "1903" in out["short_answer"]
    assert out["citations"][0]["doc_id"] == "oska_tamm.md"
    store = SessionStore(ask.db)
    turns = store.turns(sid)
    assert [t.question for t in turns] == ["Where was Oska Tamm born?", "When did he die?"]
    assert turns[1].answer["standalone"] == "When did Oska Tamm die?" and turns[1].status == "ok"
    assert any(e["type"] == "followup" for e in turns[1].events)
    assert store.get_session(sid).index_dir == str(ask.index.dir) and store.get_session(sid).model == "local"
    store.close()


def test_a_session_is_not_run_on_another_index(ask, tmp_path, capsys):
    assert ask("Where was Oska Tamm born?", "--session", "new", reply="Lowbridge") == 0
    sid = json.loads(capsys.readouterr().out)["session"]
    other = tmp_path / "other-index"
    other.mkdir()
    with pytest.raises(ConfigError, match=f"session {sid} was made on index"):
        ask("When did he die?", "--session", str(sid), reply="1903", index_dir=str(other))
    with pytest.raises(ConfigError, match="no saved session 99"):
        ask("When did he die?", "--session", "99", reply="1903")
    with pytest.raises(ConfigError, match="a number or 'new'"):
        ask("When did he die?", "--session", "last", reply="1903")


def test_hopper_tui_reopens_a_session_on_its_index_and_lm(tmp_path, monkeypatch):
    import tui.app
    from tui.commands import tui as tui_cmd

    monkeypatch.chdir(tmp_path)
    index = tmp_path / "idx"
    index.mkdir()
    db = tmp_path / "s.db"
    store = SessionStore(db)
    sid = store.new_session("Where?", str(index), "local:1.5b")
    store.close()
    opened = {}

    class Stub:
        def run(self):
            return None

    def make_app(cfg, **kwargs):
        opened.update(index=cfg.index_dir, lm=cfg.lm.model, session=kwargs.get("session_id"))
        return Stub()

    monkeypatch.setattr(tui.app, "make_app", make_app)
    args = build_parser().parse_args(["tui", "--session", str(sid), "--sessions-db", str(db)])
    assert tui_cmd.run(args) == 0
    assert opened == {"index": str(index), "lm": "local:1.5b", "session": sid}
    other = tmp_path / "other"
    other.mkdir()
    args = build_parser().parse_args(["tui", "--session", str(sid), "--index", str(other),
                                      "--sessions-db", str(db)])
    with pytest.raises(ConfigError, match=f"session {sid} was made on index"):
        tui_cmd.run(args)
