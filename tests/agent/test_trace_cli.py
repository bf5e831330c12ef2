"""`hopper trace show` (a trace as a tree) and `hopper trace diff` (metric deltas, wins and losses)."""

from __future__ import annotations

import pytest

from agent.eval.datasets import Question
from agent.eval.runner import TraceWriter, prepare_run_dir
from agent.trace import Trace
from tests.agent.test_eval_metrics import make_trace
from tui.cli import main

GOLD = [Question("q1", "Where was Tamm born?", ["Lowbridge"], ["tamm"], {"hops": 1}),
        Question("q2", "How tall is Verrin?", ["38 metres"], ["verrin"], {"hops": 1}),
        Question("q3", "Who built the Petrel?", ["Oller Boatworks"], ["petrel", "oller"], {"hops": 2})]


def make_run(path, answers: dict[str, str], evidence: dict[str, list[str]]):
    prepare_run_dir(path, {"mode": "agent", "lm": "x", "dataset": str(path)}, GOLD)
    writer = TraceWriter(path / "traces.jsonl")
    for qid, ans in answers.items():
        writer.write(make_trace(qid, ans, evidence.get(qid, [])))
    writer.close()
    return path


def full_trace() -> Trace:
    t = Trace(run_id="abc123")
    t.emit("run_start", question="In which town was the designer of the Verrin lighthouse born?",
           mode="agent", lm="Qwen 0.5B")
    t.emit("tool_call", node=None, tool="hybrid_search", args={"query": "Verrin designer"},
           hits=[{"chunk_id": "verrin#0", "doc_id": "verrin", "title": "Verrin lighthouse", "score": 0.9}],
           new=["verrin#0"], seconds=0.01, error=None)
    t.emit("lm_call", step="decompose", model="qwen", prompt_tokens=120, completion_tokens=20, seconds=1.5,
           cached=False)
    t.emit("decompose", nodes=[{"id": 1, "text": "Who designed the Verrin lighthouse?", "depends_on": []},
                               {"id": 2, "text": "Where was #1 born?", "depends_on": [1]}], fallback=None)
    t.emit("queries", node=1, queries=[{"tool": "bm25", "query": "Verrin lighthouse designer"}])
    t.emit("round", node=1, round=1, answered=True, answer="Oska Tamm", support=["verrin#0"], confidence=0.9,
           method="free")
    t.emit("node_answer", node=1, text="Who designed the Verrin lighthouse?", answer="Oska Tamm",
           chunk_ids=["verrin#0"], status="answered")
    t.emit("round", node=2, round=1, answered=False, answer="", support=[], confidence=0.0, method="none")
    t.emit("rewrite", node=2, queries=[{"tool": "hybrid_search", "query": "Oska Tamm birthplace"}],
           fallback=None)
    t.emit("budget", reason="rounds", node=2)
    t.emit("node_answer", node=2, text="Where was Oska Tamm born?", answer="", chunk_ids=[],
           status="unanswered")
    t.emit("fallback", step="answer", node=None, code="answer.checks_failed",
           reason="answer 'Holm' failed the final checks: evidence judged insufficient")
    t.emit("answer", answer="Lowbridge [1]", short_answer="Lowbridge", sufficient=True,
           citations=[{"n": 1, "chunk_id": "tamm#0", "doc_id": "tamm", "title": "Oska Tamm", "source": "x"}],
           evidence=["verrin#0", "tamm#0"])
    t.emit("run_end", status="ok", seconds=4.2, lm_calls=5, tool_calls=3, tokens=900, error=None)
    return t


def test_show_renders_tree(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    full_trace().save(path)
    assert main(["trace", "show", str(path)]) == 0
    out = capsys.readouterr().out
    for text in ("In which town was the designer", "decompose", "#2 Where was #1 born?", "hybrid_search",
                 "queries bm25: Verrin lighthouse designer", "rewrite hybrid_search: Oska Tamm birthplace",
                 "read round 1", "'Oska Tamm'", "not yet", "budget rounds", "unanswered", "fallback",
                 "answer 'Lowbridge'", "Oska Tamm", "5 LM calls", "900 tokens", "├──"):
        assert text in out, text


def test_an_old_traces_judge_event_is_read_as_a_reading_round(tmp_path, capsys):
    import json

    from agent.trace import load_trace

    old = {"v": 1, "run": "r1", "seq": 0, "t": 0.1, "type": "judge",
           "data": {"node": 1, "round": 1, "answerable": True, "answer": "Oska Tamm", "support": ["verrin#0"],
                    "missing": "", "next_tool": "", "next_query": ""}}
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(old) + "\n")
    event = load_trace(path).events[0]
    assert event.type == "round" and event.data == {"node": 1, "round": 1, "answered": True,
                                                    "answer": "Oska Tamm", "support": ["verrin#0"]}
    assert main(["trace", "show", str(path)]) == 0
    assert "read round 1" in capsys.readouterr().out


def test_an_old_traces_first_round_rewrite_event_still_reads(tmp_path, capsys):
    # before the first round's searches were built by code, a `rewrite` event held them
    import json

    from agent.trace import load_trace
    from tui.widgets.run_tree import RunTree

    old = {"v": 1, "run": "r1", "seq": 0, "t": 0.1, "type": "rewrite",
           "data": {"node": 1, "queries": [{"tool": "bm25_search", "query": "Verrin designer"}],
                    "fallback": None}}
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(old) + "\n")
    event = load_trace(path).events[0]
    assert event.type == "rewrite"
    assert main(["trace", "show", str(path)]) == 0
    assert "rewrite bm25_search: Verrin designer" in capsys.readouterr().out
    tree = RunTree()
    tree.start_turn(1, "q?")
    tree.add_event(1, event)
    assert [str(leaf.label) for sub in tree.turn_node(1).children for leaf in sub.children] == [
        "bm25_search Verrin designer"]


def test_show_question_from_run_folder(tmp_path, capsys):
    run = make_run(tmp_path / "a", {"q1": "Lowbridge", "q2": "40 metres"}, {})
    assert main(["trace", "show", str(run), "--question", "q2"]) == 0
    out = capsys.readouterr().out
    assert "question q2" in out and "'40 metres'" in out and "question q1" not in out
    assert main(["trace", "show", str(run / "traces.jsonl"), "--list"]) == 0
    listed = capsys.readouterr().out
    assert "q1" in listed and "q2" in listed
    assert main(["trace", "show", str(run), "--question", "nope"]) == 2
    assert "no trace for question 'nope'" in capsys.readouterr().err


def test_show_missing_or_malformed_file(tmp_path, capsys):
    assert main(["trace", "show", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such trace file" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(full_trace().to_jsonl() + "{oops\n")
    assert main(["trace", "show", str(bad)]) == 2
    assert f"{bad}:15: not a Hopper trace event" in capsys.readouterr().err


def test_diff_deltas_wins_losses(tmp_path, capsys):
    from tui.commands.trace import compare_runs

    a = make_run(tmp_path / "a", {"q1": "Lowbridge", "q2": "40 metres", "q3": "Oller Boatworks"},
                 {"q1": ["tamm#0"], "q3": ["x#0", "y#0", "petrel#0"]})
    b = make_run(tmp_path / "b", {"q1": "Highbridge", "q2": "38 metres", "q3": "Oller Boatworks"},
                 {"q1": ["tamm#0"], "q3": ["petrel#0", "oller#1"]})
    result = compare_runs(a, b)
    assert [q for q, *_ in result["wins"]] == ["q2"]
    assert [q for q, *_ in result["losses"]] == ["q1"]
    assert result["a"]["em"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["b"]["em"] == pytest.approx(2 / 3, abs=1e-4)
    # q2 F1: 40 metres vs 38 metres = 0.5; recall@2: a = (1 + 0 + 0)/3, b = (1 + 0 + 1)/3
    assert result["a"]["f1"] == pytest.approx((1 + 0.5 + 1) / 3, abs=1e-4)
    assert result["delta"]["recall@2"] == pytest.approx(round(2 / 3 - 1 / 3, 4), abs=1e-4)
    recall_wins = compare_runs(a, b, by="recall@2")["wins"]
    assert [q for q, *_ in recall_wins] == ["q3"]
    assert main(["trace", "diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "recall@2" in out and "+0.333" in out
    assert "B wins" in out and "q2: '40 metres' → '38 metres'" in out
    assert "B loses" in out and "q1: 'Lowbridge' → 'Highbridge'" in out


def test_diff_needs_run_folders(tmp_path, capsys):
    assert main(["trace", "diff", str(tmp_path), str(tmp_path)]) == 2
    assert "not an eval run folder" in capsys.readouterr().err
