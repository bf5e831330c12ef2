"""`hopper eval --mode agent`: the runner on a real index with a scripted LM, resume, rescore, reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from dspy.adapters.json_adapter import JSONAdapter
from dspy.utils import DummyLM

from agent.config import HopperConfig
from agent.eval.datasets import load_dataset
from agent.eval.report import score_run, write_report
from agent.eval.runner import ResumeMismatchError, load_finished, run_questions
from agent.session import Session
from agent.trace import iter_traces
from tools.errors import DataFormatError

DOCS = [
    {"id": "bridge", "title": "Zorblat Bridge",
     "text": "The Zorblat Bridge over the Kess is painted crimson."},
    {"id": "tamm", "title": "Oska Tamm",
     "text": "Oska Tamm, designer of the Verrin lighthouse, was born in Lowbridge."},
    {"id": "verrin", "title": "Verrin lighthouse", "text": "The Verrin lighthouse is 38 metres tall."},
    {"id": "caskwell", "title": "University of Caskwell",
     "text": "The University of Caskwell was founded in 1702."},
    {"id": "otters", "title": "Otters", "text": "Otters are semi-aquatic mammals that eat fish."},
]
QUESTIONS = [
    {"id": "q1", "question": "What colour is the Zorblat Bridge?", "answers": ["crimson"],
     "supporting_ids": ["bridge"]},
    {"id": "q2", "question": "Where was Oska Tamm born?", "answers": ["Lowbridge"],
     "supporting_ids": ["tamm"]},
    {"id": "q3", "question": "How tall is the Verrin lighthouse?", "answers": ["38 metres", "38"],
     "supporting_ids": ["verrin"]},
    {"id": "q4", "question": "When was Caskwell founded?", "answers": ["1702"],
     "supporting_ids": ["caskwell"]},
    {"id": "q5", "question": "What do otters eat?", "answers": ["fish"], "supporting_ids": ["otters"]},
]
# The scripted LM answers each question by its text; q5 is answered wrongly on purpose.
REPLIES = {"Zorblat": "crimson", "Oska": "Lowbridge", "Verrin": "38 metres", "Caskwell": "1702",
           "otters": "seaweed"}


def reply(question: str, short: str) -> dict:
    return {"sub_questions": [question], "keywords": question, "hypothetical_passage": short,
            "paraphrase": "", "answerable": True, "answer": short, "support": [1], "missing": "",
            "next_query": "", "short_answer": short, "sufficient": True}


def scripted_lm() -> DummyLM:
    by_question = {}
    for key, short in REPLIES.items():
        question = next(x["question"] for x in QUESTIONS if key in x["question"])
        by_question[question] = reply(question, short)  # the question text, never in a passage
    return DummyLM(by_question, adapter=JSONAdapter())


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("qa")
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (root / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return root


@pytest.fixture(scope="module")
def index_dir(dataset_dir, tmp_path_factory):
    from tools.index import build_index
    from tools.settings import IndexSettings

    settings = IndexSettings()
    settings.graph = False
    out = tmp_path_factory.mktemp("idx") / "index"
    build_index([dataset_dir / "corpus.jsonl"], out, settings, fmt="jsonl")
    return out


@pytest.fixture
def session(index_dir):
    from tools.index import Index

    cfg = HopperConfig()
    cfg.index.graph = False
    cfg.index_dir = str(index_dir)
    s = Session(cfg, Index(index_dir, cfg.index), lm=scripted_lm(), load_program=False)
    s.calls = []
    ask = s.ask

    def counting_ask(question, **kw):
        s.calls.append(question)
        return ask(question, **kw)

    s.ask = counting_ask
    return s


SETTINGS = {"dataset": "test", "mode": "agent", "lm": "dummy"}


def run_ids(run_dir) -> list[str]:
    return [t.run_id for t in iter_traces(run_dir / "traces.jsonl")]


def test_run_scores_and_rescore_equal_live(session, dataset_dir, tmp_path):
    ds = load_dataset(dataset_dir)
    seen = []
    result = run_questions(session, ds, tmp_path / "run", mode="agent", settings=SETTINGS,
                           on_done=lambda q, t, p: seen.append((q.qid, round(p.em, 3))))
    assert (result.total, result.ran, result.skipped, result.interrupted) == (5, 5, 0, False)
    assert sorted(run_ids(tmp_path / "run")) == ["q1", "q2", "q3", "q4", "q5"]
    assert seen[-1] == ("q5", 0.8)  # running EM after the last question
    scores, metrics = score_run(tmp_path / "run")
    assert metrics["questions"] == 5
    assert metrics["em"] == pytest.approx(0.8) and metrics["f1"] == pytest.approx(0.8)
    assert 0.0 < metrics["recall@5"] <= 1.0
    assert metrics["lm_calls_mean"] > 0 and metrics["tool_calls_mean"] > 0
    write_report(tmp_path / "run", scores, metrics)
    for name in ("metrics.json", "results.csv", "report.md", "latency.png", "recall_by_hops.png",
                 "stops.png"):
        assert (tmp_path / "run" / name).exists(), name
    live = json.loads((tmp_path / "run" / "metrics.json").read_text())
    # rescoring the saved traces reproduces the live metrics exactly
    _, again = score_run(tmp_path / "run")
    assert json.loads(json.dumps(again, default=str)) == live
    rows = (tmp_path / "run" / "results.csv").read_text().splitlines()
    assert len(rows) == 6
    assert rows[0].startswith("qid,question,prediction,answer,gold,em,f1,recall@2,recall@5")


def test_resume_after_interrupt_loses_and_repeats_nothing(session, dataset_dir, tmp_path):
    ds = load_dataset(dataset_dir)
    answers = []

    def interrupt_on_third(event):  # Ctrl-C in the middle of the third question
        if event.type == "answer":
            answers.append(event.run)
            if len(answers) == 3:
                raise KeyboardInterrupt

    first = run_questions(session, ds, tmp_path / "run", mode="agent", settings=SETTINGS,
                          subscribers=[interrupt_on_third])
    assert first.interrupted and first.ran == 2
    assert run_ids(tmp_path / "run") == ["q1", "q2"]
    session.calls.clear()
    second = run_questions(session, ds, tmp_path / "run", mode="agent", settings=SETTINGS)
    assert (second.skipped, second.ran, second.interrupted) == (2, 3, False)
    # q1 and q2 are not run again
    assert [q.split()[-1] for q in session.calls] == ["lighthouse?", "founded?", "eat?"]
    ids = run_ids(tmp_path / "run")
    assert sorted(ids) == ["q1", "q2", "q3", "q4", "q5"] and len(ids) == 5


def test_workers_run_every_question_once(session, dataset_dir, tmp_path):
    ds = load_dataset(dataset_dir)
    result = run_questions(session, ds, tmp_path / "run", mode="rag", settings=SETTINGS, workers=3)
    assert result.ran == 5 and sorted(run_ids(tmp_path / "run")) == ["q1", "q2", "q3", "q4", "q5"]
    assert sorted(session.calls) == sorted(q["question"] for q in QUESTIONS)


def test_limit_then_extend(session, dataset_dir, tmp_path):
    ds = load_dataset(dataset_dir)
    run_questions(session, ds, tmp_path / "run", mode="closed", settings=SETTINGS, limit=2)
    assert run_ids(tmp_path / "run") == ["q1", "q2"]
    result = run_questions(session, ds, tmp_path / "run", mode="closed", settings=SETTINGS, limit=4)
    assert (result.skipped, result.ran) == (2, 2)
    assert run_ids(tmp_path / "run") == ["q1", "q2", "q3", "q4"]


def test_refuses_to_resume_with_other_settings(session, dataset_dir, tmp_path):
    ds = load_dataset(dataset_dir)
    run_questions(session, ds, tmp_path / "run", mode="closed", settings=SETTINGS, limit=1)
    with pytest.raises(ResumeMismatchError, match=r"different settings \(changed: mode\)"):
        run_questions(session, ds, tmp_path / "run", mode="rag", settings={**SETTINGS, "mode": "rag"})


def test_cut_off_trace_is_dropped_and_rerun(tmp_path):
    from tests.agent.test_eval_metrics import make_trace

    run = tmp_path / "run"
    run.mkdir()
    done = make_trace("q1", "a", [])
    half = make_trace("q2", "b", [])
    half.events = half.events[:3]  # killed before run_end
    text = done.to_jsonl() + half.to_jsonl() + make_trace("q3", "c", []).to_jsonl()[:40]  # torn last line
    (run / "traces.jsonl").write_text(text)
    finished = load_finished(run)
    assert [t.run_id for t in finished] == ["q1"]
    assert [t.run_id for t in iter_traces(run / "traces.jsonl")] == ["q1"]  # file repaired


KILL_SCRIPT = textwrap.dedent("""
    import sys, threading
    from agent.eval.datasets import load_dataset
    from agent.eval.runner import run_questions

    BLOCK_FROM = 5  # questions 0-4 finish; every worker then blocks on a later question until killed
    workers, block = int(sys.argv[3]), sys.argv[4] == "block"
    lock, blocked = threading.Lock(), [0]

    class BlockingSession:
        def ask(self, question, mode=None, subscribers=(), cancel=None, trace=None):
            trace.emit("run_start", question=question, mode=mode)
            if block and int(question.split()[-1].rstrip("?")) >= BLOCK_FROM:
                with lock:
                    blocked[0] += 1
                    if blocked[0] == workers:  # each worker wrote its finished traces before taking this one
                        print("blocked", flush=True)
                threading.Event().wait()
            trace.emit("answer", answer="x", short_answer="crimson", sufficient=True, citations=[],
                       evidence=[])
            trace.emit("run_end", status="ok", seconds=0.01, lm_calls=1, tool_calls=0, tokens=1, error=None)

    ds = load_dataset(sys.argv[1])
    run_questions(BlockingSession(), ds, sys.argv[2], mode="closed", settings={"x": 1}, workers=workers)
""")


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_kill_9(dataset_dir, tmp_path, workers):
    """A run killed with SIGKILL mid-way: the re-run finishes the rest, none lost or run twice.

    The child blocks for good once questions 0-4 are finished and says so on its stdout, so the
    kill lands at the same point however loaded the machine is.
    """
    many = tmp_path / "many"
    many.mkdir()
    (many / "corpus.jsonl").write_text((dataset_dir / "corpus.jsonl").read_text())
    qs = [{"id": f"k{i:02d}", "question": f"What colour is thing {i}?", "answers": ["crimson"]}
          for i in range(30)]
    (many / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qs))
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT)
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    args = [sys.executable, str(script), str(many), str(run), str(workers)]
    proc = subprocess.Popen([*args, "block"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "blocked"  # "" if the child died first
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert sorted(t.run_id for t in load_finished(run)) == [f"k{i:02d}" for i in range(5)]
    subprocess.run([*args, "run"], env=env, check=True)
    ids = [t.run_id for t in iter_traces(run / "traces.jsonl")]
    assert sorted(ids) == [q["id"] for q in qs]  # every question exactly once
    _, metrics = score_run(run)
    assert metrics["questions"] == 30 and metrics["em"] == 1.0


def test_malformed_dataset_line_names_the_line(tmp_path):
    (tmp_path / "corpus.jsonl").write_text(json.dumps(DOCS[0]) + "\n")
    torn = '{"id": "q2", "question": \n'
    (tmp_path / "questions.jsonl").write_text(json.dumps(QUESTIONS[0]) + "\n\n" + torn)
    with pytest.raises(DataFormatError, match=r"questions.jsonl:3: malformed JSON line"):
        load_dataset(tmp_path)
    lines = [json.dumps(QUESTIONS[0]), json.dumps({"id": "q2"})]
    (tmp_path / "questions.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"questions.jsonl:2: missing field 'question'"):
        load_dataset(tmp_path)


def test_cli_reports_malformed_line(tmp_path, capsys):
    from tui.cli import main

    (tmp_path / "corpus.jsonl").write_text(json.dumps(DOCS[0]) + "\n")
    (tmp_path / "questions.jsonl").write_text("not json\n")
    code = main(["eval", str(tmp_path), "--mode", "closed", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "questions.jsonl:1: malformed JSON line" in capsys.readouterr().err


def test_cli_rescore(session, dataset_dir, tmp_path, capsys):
    from tui.cli import main

    ds = load_dataset(dataset_dir)
    run_questions(session, ds, tmp_path / "run", mode="agent", settings=SETTINGS)
    scores, metrics = score_run(tmp_path / "run")
    write_report(tmp_path / "run", scores, metrics)
    live = (tmp_path / "run" / "metrics.json").read_text()
    (tmp_path / "run" / "metrics.json").unlink()
    assert main(["eval", "rescore", str(tmp_path / "run"), "--no-plots"]) == 0
    assert (tmp_path / "run" / "metrics.json").read_text() == live
    assert "em=0.8" in capsys.readouterr().out


def test_cli_eval_end_to_end_and_resume(dataset_dir, index_dir, tmp_path, monkeypatch, capsys):
    """`hopper eval DATA --mode agent --out RUN` with a scripted LM: files, settings, resume, mismatch."""
    import agent.lm.factory as factory
    from tui.cli import main

    monkeypatch.setattr(factory, "get_lm", lambda settings, fast=False: scripted_lm())
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    args = ["eval", str(dataset_dir), "--mode", "agent", "--index", str(index_dir), "--out", str(run),
            "--no-program"]
    assert main(args + ["--limit", "3"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("em", "f1", "recall@2", "recall@5", "questions", "latency_p50_s", "lm_calls_mean",
                "tool_calls_mean", "tokens_mean", "settings"):
        assert key in metrics, key
    assert metrics["questions"] == 3 and metrics["em"] == 1.0
    assert metrics["settings"]["mode"] == "agent" and metrics["settings"]["index"] == str(index_dir)
    written = {p.name for p in run.iterdir()}
    assert {"report.md", "results.csv", "traces.jsonl", "recall_by_hops.png"} <= written
    assert main(args) == 0  # extends the run to all 5 questions
    assert "resuming: 3/5 questions already done" in capsys.readouterr().err
    assert sorted(run_ids(run)) == ["q1", "q2", "q3", "q4", "q5"]
    assert json.loads((run / "metrics.json").read_text())["em"] == pytest.approx(0.8)
    code = main(["eval", str(dataset_dir), "--mode", "rag", "--index", str(index_dir), "--out", str(run)])
    assert code == 2
    err = capsys.readouterr().err
    assert "different settings (changed: mode" in err and "pass a new --out folder" in err


def test_two_workers_flag_cached_from_their_own_calls(tmp_path, fake_openai):
    """`--workers 2` shares one LM between threads: each question's `lm_call.cached` comes from its own
    call, even when the other thread's call is the newest entry of the shared LM's history."""
    import threading

    from dspy.utils.callback import BaseCallback

    from agent.config import LMSettings

    def answer(body: dict) -> str:
        text = " ".join(str(m.get("content")) for m in body.get("messages", []))
        short = "Paris" if "France" in text else "Rome"
        return json.dumps({"short_answer": short, "answer": f"It is {short}."})

    data = tmp_path / "qa"
    data.mkdir()
    (data / "corpus.jsonl").write_text(json.dumps(DOCS[0]) + "\n")
    qs = [{"id": "warm", "question": "What is the capital of France?", "answers": ["Paris"]},
          {"id": "cold", "question": "What is the capital of Italy?", "answers": ["Rome"]}]
    (data / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qs))
    both_recorded = threading.Barrier(2, timeout=30)
    seen = threading.local()

    class HoldFirstCall(BaseCallback):
        """Each thread's first LM call returns only once the other thread's call is in the history too."""

        def on_lm_end(self, call_id, outputs, exception=None):
            if not getattr(seen, "first", False):
                seen.first = True
                both_recorded.wait()

    with fake_openai(reply=answer) as srv:
        cfg = HopperConfig()
        cfg.lm = LMSettings(model="openai/tiny-fake", api_base=srv.url, api_key="sk-test", cache=True,
                            cache_dir=str(tmp_path / "lm-cache"), retries=0, timeout_s=10.0)
        session = Session(cfg, load_program=False)
        ds = load_dataset(data)
        run_questions(session, ds, tmp_path / "warm-up", mode="closed", settings=SETTINGS, limit=1)
        session.lm.callbacks.append(HoldFirstCall())
        run_questions(session, ds, tmp_path / "run", mode="closed", settings=SETTINGS, workers=2)
        asked = len(srv.requests)
    assert not both_recorded.broken  # both calls really overlapped
    cached = {t.run_id: [e.data["cached"] for e in t.events if e.type == "lm_call"]
              for t in iter_traces(tmp_path / "run" / "traces.jsonl")}
    assert cached["warm"][0] is True and cached["cold"][0] is False
    assert asked == 2  # the warm-up's call and the cold question's; the warm one came from the cache
