"""`hopper ask` with a list question: Markdown with references, --json, --out report, --shape errors."""

from __future__ import annotations

import json

import pytest
from dspy.adapters import JSONAdapter
from dspy.utils import DummyLM

from tools.errors import ConfigError
from tui.cli import build_parser

DOCS = {
    "renna_vos.md": "# Renna Vos\nRenna Vos (1859–1937) was an astronomer. She was born in Highbridge, "
                    "the daughter "
    "of a clockmaker.",
    "dace_quillon.md": "# Dace Quillon\nDace Quillon (1911–1988) was a poet. He was born in Highbridge, "
                       "the son of a "
    "railway signalman.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish.",
}


@pytest.fixture
def ask(small_index, monkeypatch, tmp_path):
    index = small_index("ask-synthesis", DOCS)
    monkeypatch.chdir(tmp_path)  # no ./hopper.toml from the working folder

    def run(*argv: str, replies=({"overview": "Renna Vos and Dace Quillon were born in Highbridge."},)):
        import agent.lm

        monkeypatch.setattr(agent.lm, "get_lm", lambda *a, **k: DummyLM(list(replies), adapter=JSONAdapter()))
        from tui.commands import ask as cmd

        args = build_parser().parse_args(["ask", *argv, "--index", str(index.dir)])
        return cmd.run(args)

    return run


def test_json_and_report(ask, capsys, tmp_path):
    assert (
        ask("Which people were born in Highbridge?", "--json", "--out", str(tmp_path / "r" / "report.md"))
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["shape"] == "list" and len(out["items"]) == 2
    docs = {c["n"]: c["doc_id"] for c in out["citations"]}
    assert {docs[n] for it in out["items"] for n in it["citations"]} == {"renna_vos.md", "dace_quillon.md"}
    assert all(c["quote"] for c in out["citations"])
    report = (tmp_path / "r" / "report.md").read_text()
    assert "## Which people were born in Highbridge?" in report and "## References" in report
    assert "> She was born in Highbridge, the daughter of a clockmaker." in report


def test_markdown_answer_with_numbered_references(ask, capsys):
    assert ask("Which people were born in Highbridge?") == 0
    text = capsys.readouterr().out
    assert "answer (list)" in text and "References" in text
    assert "[1]" in text and "[2]" in text and "born in Highbridge" in text


def test_shape_needs_agent_mode(ask):
    with pytest.raises(ConfigError, match="--shape list needs --mode agent"):
        ask("Which people were born in Highbridge?", "--shape", "list", "--mode", "rag")
