"""Probes: a question of punctuation only, or in German or Russian, gets one line saying why (before
any LM call) instead of a best guess with a wrong name."""

from __future__ import annotations

import pytest
from rel_support import FakeOpenAI

from tui.cli import main


@pytest.mark.parametrize(("question", "says"), [
    ("?!? ...", "the question has no words"),
    ("An welchem Fluss liegt Lowbridge?", "the question looks German"),
    ("На какой реке стоит Лоубридж?", "the question looks Cyrillic script"),
])
def test_unreadable_questions_are_refused_before_the_lm(shared_index, clean_env, capsys, question, says):
    with FakeOpenAI("Verrin") as srv:
        code = main(["ask", question, "--index", str(shared_index[1]), "--lm", "openai/fake", "--api-base",
                     srv.url, "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and srv.requests == []
    assert err.startswith(f"hopper: error: {says}") and err.count("\n") == 1


def test_a_query_of_punctuation_only_is_refused_by_search(shared_index, clean_env, capsys):
    assert main(["search", "?!?", "--index", str(shared_index[1])]) == 2
    assert capsys.readouterr().err.startswith("hopper: error: the query has no words")
