"""Bad input and unusable paths: one line (`hopper: error: ...`) naming the path and the fix, never a
traceback, at the CLI and in the TUI."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import ReplaySession, settle

from tools.index import Index, build_index
from tools.settings import IndexSettings
from tui.cli import main

REPO = Path(__file__).resolve().parents[2]


def hopper(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert err.startswith("hopper: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def settings() -> IndexSettings:
    s = IndexSettings()
    s.graph = False
    return s


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lighthouse.md").write_text("# Verrin Lighthouse\nThe Verrin lighthouse was designed by Oska "
                                          "Tamm.")
    return folder


# ---- paths -----------------------------------------------------------------------------------------

def test_a_symlink_loop_given_as_path_is_one_line(tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    code, _, err = hopper(capsys, "index", str(loop), "--index", str(tmp_path / "idx"), "--no-graph")
    assert code == 2
    assert one_line_error(err) == (f"hopper: error: {loop}: a symbolic link loop; remove the link or name "
                                   f"the "
                                   f"real path")


def test_index_naming_a_file_is_one_line(tmp_path, docs, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("not an index")
    code, _, err = hopper(capsys, "index", str(docs), "--index", str(target), "--no-graph")
    assert code == 2
    assert one_line_error(err) == (f"hopper: error: --index {target} is a file, not a folder: name a folder "
                                   f"(it is created if missing)")
    assert target.read_text() == "not an index"


def _without_dac_override(*argv: str) -> subprocess.CompletedProcess:
    """Run `hopper` as a user the file permissions apply to (root without CAP_DAC_OVERRIDE)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0:
        cmd = [sys.executable, "-m", "tui.cli", *argv]
    elif setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    else:
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search",
               sys.executable, "-m", "tui.cli", *argv]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
                          check=False)


def test_an_index_folder_the_user_cannot_write_is_one_line_and_the_old_index_stays(tmp_path, docs):
    idx = tmp_path / "idx"
    build_index([docs], idx, settings())
    before = Index(idx).generation
    (docs / "more.md").write_text("# More\nThe Sarn river flows past Lowbridge.")
    idx.chmod(0o555)
    try:
        run = _without_dac_override("index", str(docs), "--index", str(idx), "--no-graph")
        # ... and a new index folder inside a folder the user cannot write
        parent = tmp_path / "locked"
        parent.mkdir(mode=0o555)
        run_new = _without_dac_override("index", str(docs), "--index", str(parent / "idx"), "--no-graph")
    finally:
        idx.chmod(0o755)
    assert run.returncode == 2, run.stderr
    assert one_line_error(run.stderr) == (f"hopper: error: cannot write the index in {idx}: permission "
                                          f"denied; "
                                          f"check its permissions (chmod/chown) or choose another path")
    assert run_new.returncode == 2
    assert one_line_error(run_new.stderr).startswith(f"hopper: error: cannot write the index in "
                                                     f"{parent / 'idx'}: "
                                                     f"permission denied; check its permissions")
    index = Index(idx)  # the old generation is still served
    assert index.generation == before
    assert index.retriever("bm25").search("Verrin", 1)[0].doc_id == "lighthouse.md"


def test_any_oserror_on_a_user_path_is_one_line_at_the_cli(tmp_path, capsys, monkeypatch):
    """The class, not the cases: an `OSError` from any command reaches the user as one line with the fix."""
    from tui.commands import search

    def broken(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "idx" / "chunks.jsonl"))

    monkeypatch.setattr(search, "run", broken)
    code, _, err = hopper(capsys, "search", "lighthouse", "--index", str(tmp_path / "idx"))
    assert code == 2
    assert one_line_error(err) == (f"hopper: error: {tmp_path / 'idx' / 'chunks.jsonl'}: permission denied; "
                                   f"check its permissions (chmod/chown) or choose another path")


def test_a_symlink_loop_inside_a_folder_is_skipped_with_its_reason_printed_once(tmp_path, docs, capsys,
                                                                                 caplog):
    (docs / "self.md").symlink_to(docs / "self.md")
    (docs / "back").symlink_to(docs)
    (docs / "latin1.txt").write_bytes("Café society in Zürich: naïve façades.".encode("latin-1"))
    (docs / "blob.txt").write_bytes(bytes(range(256)) * 8)
    code, out, err = hopper(capsys, "index", str(docs), "--index", str(tmp_path / "idx"), "--no-graph")
    assert code == 0
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]  # a log handler's lines
    text = out + err + "\n".join(logged)
    assert text.count(f"skipped {docs / 'self.md'}: symbolic link loop") == 1
    assert text.count(f"skipped {docs / 'back'}: symbolic link loop") == 1
    assert text.count("blob.txt") == 1 and "skipped" in text and "latin1.txt" not in text
    assert "2 added" in out or "3 added" in out  # lighthouse.md and latin1.txt (the back link is skipped)
    index = Index(tmp_path / "idx")
    assert set(index.store.docs) == {"lighthouse.md", "latin1.txt"}


# ---- input that is refused, not run -------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["ask", ""], ["ask", "   "], ["search", ""], ["search", " \t"]])
def test_an_empty_question_or_query_is_refused(tmp_path, capsys, argv):
    code, out, err = hopper(capsys, *argv, "--index", str(tmp_path / "missing"))
    assert code == 2 and out == ""
    what = "question" if argv[0] == "ask" else "query"
    assert one_line_error(err).startswith(f"hopper: error: the {what} is empty: give one, e.g. hopper "
                                          f"{argv[0]} ")


@pytest.mark.parametrize("k", ["0", "-5", "1001"])
def test_k_out_of_range_is_refused(tmp_path, capsys, k):
    code, _, err = hopper(capsys, "search", "lighthouse", "--index", str(tmp_path / "missing"), "-k", k)
    assert code == 2
    assert one_line_error(err) == f"hopper: error: -k must be between 1 and 1,000; got {k}"


def test_negative_max_rounds_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOPPER_AGENT_MAX_ROUNDS", "-3")
    code, _, err = hopper(capsys, "ask", "Who designed the lighthouse?", "--index", str(tmp_path / "x"))
    assert code == 2
    assert one_line_error(err).startswith("hopper: error: agent.max_rounds = -3 (from env "
                                          "HOPPER_AGENT_MAX_ROUNDS)")


# ---- the TUI boundary ---------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_an_oserror_in_the_tui_is_one_notification_with_the_fix(make, tmp_path):
    lock = tmp_path / "idx" / ".lock"
    app = make(ReplaySession(error=PermissionError(13, "Permission denied", str(lock))))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.main.ask("Who designed the Verrin lighthouse?")
        await settle(app, pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == [f"{lock}: permission denied; check its permissions (chmod/chown) or choose another "
                          f"path"]

    def broken(cfg):
        raise IsADirectoryError(21, "Is a directory", str(tmp_path / "program.json"))

    app = make(None, session_factory=broken)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and errors[0].startswith(f"{tmp_path / 'program.json'}: is a directory; it is a folder")


@pytest.mark.asyncio
async def test_a_setting_out_of_range_is_refused_in_the_tui_too(make, replay):
    app = make(replay)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.apply_settings({"agent.max_rounds": -3}) is False
        await pilot.pause()
        assert app.config.agent.max_rounds != -3
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == ["agent.max_rounds = -3 (from tui) is out of range: it must be between 1 and 50"]


def test_search_shows_terminal_escapes_of_a_document_as_text(tmp_path, capsys):
    """A document holding ESC[2J (clear screen), ESC[31m (colour) and OSC 52 (set the clipboard),
    and Rich markup in its title: `hopper search` prints them as visible text, never raw."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "evil.md").write_text("# Lighthouse [red]notes[/red]\nThe lighthouse \x1b[2J\x1b[31mkeeper"
                                    " \x1b]52;c;aGVsbG8=\x07 lives in Lowbridge.\n")
    idx = tmp_path / "idx"
    build_index([folder], idx, settings())
    code, out, err = hopper(capsys, "search", "lighthouse keeper", "--index", str(idx), "-r", "bm25")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "\\x07" in out and "[red]notes[/red]" in out


def test_ask_shows_terminal_escapes_of_a_cited_passage_as_text(capsys):
    from agent.result import AgentResult, Citation
    from agent.trace import Trace
    from tui.commands.ask import print_answer

    text = "Lowbridge lies on the Sarn.\x1b[2J\x1b]52;c;aGVsbG8=\x07"
    cite = Citation(1, "lowbridge.md#0", "lowbridge.md", "Lowbridge \x1b[31m[bold]", "lowbridge.md", text,
                    quote=text)
    trace = Trace()
    trace.emit("run_end", status="ok", seconds=1.0, lm_calls=1, tool_calls=1, tokens=10, error=None)
    result = AgentResult("On which river lies Lowbridge?", "Sarn\x1b[2J [1]", "Sarn\x1b[2J", [cite],
                         ["lowbridge.md#0"], ["lowbridge.md"], True, "ok", trace, confidence=0.9)
    print_answer(result)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "[bold]" in out
