"""Probes: a damaged index makes `hopper ask` fail with the same one line as `hopper search`."""

from __future__ import annotations

import pytest
from rel_support import FakeOpenAI

from tui.cli import main

QUESTION = "On which river lies Lowbridge?"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.startswith("hopper: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("mode", ["agent", "rag"])
def test_ask_on_a_truncated_faiss_file_fails_like_search(index_copy, clean_env, capsys, mode):
    faiss_file = next(index_copy.glob("gen-*/dense.faiss"))
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    code, _, err = cli(capsys, "search", QUESTION, "--index", str(index_copy), "-r", "dense")
    assert code == 2 and "unreadable FAISS index" in one_line(err)
    search_error = one_line(err)
    with FakeOpenAI("Sarn") as srv:
        code, out, err = cli(capsys, "ask", QUESTION, "--index", str(index_copy), "--mode", mode,
                             "--lm", "openai/fake", "--api-base", srv.url, "--no-cache")
    assert code == 2 and out == ""
    assert one_line(err) == search_error


def test_ask_on_damaged_chunks_fails_with_one_line(index_copy, clean_env, capsys):
    chunks = next(index_copy.glob("gen-*/chunks.jsonl"))
    chunks.write_text("{not json\n" * 8)
    with FakeOpenAI("Sarn") as srv:
        code, out, err = cli(capsys, "ask", QUESTION, "--index", str(index_copy), "--mode", "rag",
                             "--lm", "openai/fake", "--api-base", srv.url, "--no-cache")
    assert code == 2 and "malformed JSON line" in one_line(err) and "rebuild" in err
