"""End to end with the real embedded model over the demo corpus: a follow-up asked from the command
line in a saved session ("When did he die?" after "Where was Oska Tamm born?") is answered for the
person the first question named, citing his page. Slow: indexes the demo corpus, two real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory):
    from agent.config import HopperConfig
    from tools.index import build_index

    out = tmp_path_factory.mktemp("demo") / "index"
    build_index([DEMO / "docs"], out, HopperConfig().index)
    return out


def test_a_follow_up_is_answered_for_the_person_the_session_named(demo_index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no ./hopper.toml from the working folder
    db = str(tmp_path / "sessions.sqlite3")
    assert main(["ask", "Where was Oska Tamm born?", "--index", str(demo_index), "--session", "new",
                 "--sessions-db", db, "--json", "--no-cache"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["short_answer"] == "Lowbridge"
    assert main(["ask", "When did he die?", "--session", str(first["session"]), "--sessions-db", db,
                 "--json", "--no-cache"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["standalone"] == "When did Oska Tamm die?"
    assert "1903" in out["answer"] and out["short_answer"] == "1903", out["answer"]
    assert out["citations"][0]["doc_id"] == "people/oska_tamm.md"
