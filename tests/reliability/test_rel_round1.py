"""Probes of the first round that held (so they cannot regress): two indexers at once, damaged and
newer index files under `hopper search`, an unknown setting, a symbolic link loop, a question too long
for the embedded LM. Each ends in one line naming the problem and the fix, and loses nothing."""

from __future__ import annotations

import fcntl
import json

import pytest

from tools.index import Index
from tui.cli import main

QUERY = "Where was Oska Tamm born?"


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("hopper: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_second_indexer_is_refused_while_one_runs(shared_index, index_copy, clean_env, capsys):
    with (index_copy / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `hopper index` holds it
        code = main(["index", str(shared_index[0]), "--index", str(index_copy), "--no-graph"])
    assert code == 2 and "is being indexed by another process" in one_line(capsys)
    assert Index(index_copy).generation == 1


@pytest.mark.parametrize(("damage", "says"), [
    ("manifest", "manifest.json is unreadable"),
    ("newer", "was written by a newer Hopper"),
    ("chunks", "malformed JSON line"),
    ("generation", "named by the manifest is missing"),
])
def test_search_on_a_damaged_or_newer_index_is_one_line(index_copy, clean_env, capsys, damage, says):
    manifest = json.loads((index_copy / "manifest.json").read_text())
    gen = index_copy / manifest["path"]
    if damage == "manifest":
        (index_copy / "manifest.json").write_text("{half a manif")
    elif damage == "newer":
        (index_copy / "manifest.json").write_text(json.dumps({**manifest, "version": 99}))
    elif damage == "chunks":
        (gen / "chunks.jsonl").write_text("{not json\n" * 4)
    else:
        gen.rename(index_copy / "elsewhere")
    code = main(["search", QUERY, "--index", str(index_copy), "-r", "hybrid"])
    assert code == 2 and says in one_line(capsys)


def test_an_unknown_setting_is_one_line(clean_env, tmp_path, capsys):
    (tmp_path / "hopper.toml").write_text("[agent]\nmax_roundz = 3\n")
    assert main(["config", "show"]) == 2
    assert "unknown setting 'agent.max_roundz'" in one_line(capsys)


def test_a_symbolic_link_loop_is_one_line(clean_env, tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert main(["index", str(loop), "--index", str(tmp_path / "idx"), "--no-graph"]) == 2
    assert "symbolic link loop" in one_line(capsys)


def test_a_question_too_long_for_the_embedded_lm_is_refused_before_loading_it(shared_index, clean_env,
                                                                              capsys):
    question = "Where was Oska Tamm born? " * 4000
    assert main(["ask", question, "--index", str(shared_index[1]), "--lm", "local"]) == 2
    assert "the question is too long for the LM" in one_line(capsys)
