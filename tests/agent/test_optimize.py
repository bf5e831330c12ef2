"""`hopper optimize`: the metric, BootstrapFewShot on a real index with a scripted LM, and the program
file round trip."""

from __future__ import annotations

import json

import dspy
import pytest

from agent.config import HopperConfig
from agent.eval.datasets import load_dataset
from agent.optimize import (
    OptimizeSettings,
    compile_agent,
    evidence_recall,
    make_metric,
    save_program,
    tidy_demos,
    to_examples,
)
from agent.session import Session, default_program, load_program_file
from tests.agent.test_eval_runner import dataset_dir, index_dir, scripted_lm  # noqa: F401 - fixtures
from tools.errors import DataFormatError


def test_metric_combines_f1_and_recall():
    metric = make_metric(answer_weight=0.7)
    ex = dspy.Example(question="q", answers=["Oller Boatworks"],
                      supporting_ids=["a", "b"]).with_inputs("question")
    perfect = dspy.Prediction(answer="the Oller Boatworks", evidence_docs=["a", "b", "c"])
    assert metric(ex, perfect) == pytest.approx(1.0)
    half = dspy.Prediction(answer="Oller Boatworks company", evidence_docs=["x", "a"])  # F1 0.8, recall 0.5
    assert metric(ex, half) == pytest.approx(0.7 * 0.8 + 0.3 * 0.5)
    assert metric(ex, dspy.Prediction(answer="", evidence_docs=[])) == 0.0
    no_docs = dspy.Example(question="q", answers=["x"], supporting_ids=[]).with_inputs("question")
    assert metric(no_docs, dspy.Prediction(answer="x", evidence_docs=[])) == 1.0  # answer only
    assert evidence_recall(["a"], ["b", "c", "d", "e", "f", "a"], k=5) == 0.0
    # the right words earn nothing when a check refused them or the answer was withheld
    refused = dspy.Prediction(answer="Oller Boatworks", evidence_docs=["a", "b"],
                              checks=[{"code": "answer.not_in_evidence", "ok": False}])
    assert metric(ex, refused) == pytest.approx(0.3)
    withheld = dspy.Prediction(answer="Oller Boatworks", evidence_docs=["a", "b"], not_found=True)
    assert metric(ex, withheld) == pytest.approx(0.3)


@pytest.fixture
def cfg(index_dir):  # noqa: F811
    c = HopperConfig()
    c.index.graph = False
    c.index_dir = str(index_dir)
    return c


def test_bootstrap_compile_save_and_load_round_trip(cfg, dataset_dir, tmp_path):  # noqa: F811
    from agent.lm import lm_context

    session = Session(cfg, lm=scripted_lm(), load_program=False)
    trainset = to_examples(load_dataset(dataset_dir), limit=3)
    settings = OptimizeSettings(max_bootstrapped_demos=2, max_demo_chars=60)
    with lm_context(cfg, lm=session.lm):
        compiled = compile_agent(session.agent, trainset, settings)
    demos = {name: p.demos for name, p in compiled.named_predictors()}
    assert set(demos) >= {"decompose.predict", "rewrite.predict", "reader.extract", "reader.choose",
                          "respond.predict", "closed_book.predict"}
    assert len(demos["reader.extract"]) == 2  # the reader is the step every run goes through
    assert demos["decompose.predict"] == []  # the embedded model's query trees come from the parse
    assert demos["closed_book.predict"] == []  # not used in agent mode
    assert demos["reader.extract"][0]["question"] == trainset[0].question
    assert all(len(d["passages"]) <= 62 for d in demos["reader.extract"])  # cut to max_demo_chars
    path = save_program(compiled, tmp_path / "program.json", lm=cfg.lm.model, optimizer="bootstrap",
                        train="t")
    data = json.loads(path.read_text())
    assert data["hopper"]["lm"] == "local" and data["hopper"]["optimizer"] == "bootstrap"
    assert set(data["program"]) >= {"decompose.predict", "reader.extract"}
    assert all(v["lm"] is None for v in data["program"].values())
    # round trip: a fresh agent loads the file and has the same demos
    fresh = Session(cfg, lm=scripted_lm(), load_program=False)
    load_program_file(fresh.agent, path, cfg)
    assert [dict(d) for d in fresh.agent.reader.extract.demos] == [dict(d) for d in demos["reader.extract"]]
    # the demos reach the prompt of a real run
    lm = scripted_lm()
    fresh.lm = lm
    fresh.agent.runtime.lm = lm
    result = fresh.ask("What do otters eat?")
    # "seaweed" is not in the evidence: refused, and the answer chosen among the sentence's spans
    refused = [e.data for e in result.trace.of_type("check") if not e.data["ok"]]
    assert refused[0]["target"] == "seaweed" and refused[0]["code"] == "answer.not_in_evidence"
    assert result.short_answer and result.short_answer in result.citations[0].text
    read_prompt = json.dumps(lm.history[0]["messages"])
    assert trainset[0].question in read_prompt


def test_program_used_by_default_and_via_flag(cfg, tmp_path, monkeypatch, caplog):
    import agent.session as session_mod

    shipped = tmp_path / "programs"
    shipped.mkdir()
    monkeypatch.setattr(session_mod, "PROGRAMS_DIR", shipped)
    assert default_program(cfg) is None
    agent = Session(cfg, lm=scripted_lm(), load_program=False).agent
    path = save_program(agent, shipped / "local.json", lm="local", optimizer="bootstrap", train="demo")
    assert default_program(cfg) == path
    s = Session(cfg, lm=scripted_lm())
    assert s.program == path
    other = HopperConfig()
    other.lm.model = "openai/gpt-4o-mini"
    assert default_program(other) is None  # the shipped program is only for the embedded model
    bigger = HopperConfig()
    bigger.lm.model = "local:1.5b"
    assert default_program(bigger) is None  # each embedded model has its own program, by name
    own = save_program(agent, shipped / "local-1.5b.json", lm="local:1.5b", optimizer="bootstrap", train="t")
    assert default_program(bigger) == own and default_program(cfg) == path
    other.agent.program = str(path)
    assert default_program(other) == path
    with caplog.at_level("WARNING"):
        load_program_file(agent, path, other)
    assert "compiled for LM 'local'" in caplog.text


def test_bad_program_file_is_a_clear_error(cfg, tmp_path):
    agent = Session(cfg, lm=scripted_lm(), load_program=False).agent
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    with pytest.raises(DataFormatError, match="not a readable program file"):
        load_program_file(agent, bad, cfg)
    bad.write_text(json.dumps({"hopper": {"lm": "local"}, "program": {"nope.predict": {}}}))
    with pytest.raises(DataFormatError, match="program does not match this agent"):
        load_program_file(agent, bad, cfg)


def test_tidy_demos_skips_and_trims(cfg):
    agent = Session(cfg, lm=scripted_lm(), load_program=False).agent
    agent.reader.extract.demos = [dspy.Example(question="q", passages="word " * 100, answer="a")]
    agent.rewrite.predict.demos = [dspy.Example(question="q", keywords="p")]
    counts = tidy_demos(agent, OptimizeSettings(max_demo_chars=20, skip_demos=("rewrite",)))
    assert counts["rewrite.predict"] == 0 and counts["reader.extract"] == 1
    assert len(agent.reader.extract.demos[0]["passages"]) <= 22


def test_mipro_is_called_light_and_cheap(cfg, monkeypatch):
    calls = {}

    class FakeMIPRO:
        def __init__(self, **kw):
            calls["init"] = kw

        def compile(self, student, **kw):
            calls["compile"] = kw
            return student

    monkeypatch.setattr(dspy, "MIPROv2", FakeMIPRO)
    agent = Session(cfg, lm=scripted_lm(), load_program=False).agent
    out = compile_agent(agent, [dspy.Example(question="q", answers=["a"]).with_inputs("question")],
                        OptimizeSettings(optimizer="mipro"))
    assert out is agent
    assert calls["init"]["auto"] == "light" and calls["init"]["num_threads"] == 1
    assert calls["compile"]["requires_permission_to_run"] is False
    with pytest.raises(ValueError, match="use one of bootstrap, mipro"):
        compile_agent(agent, [], OptimizeSettings(optimizer="nope"))  # type: ignore[arg-type]


def test_demos_that_repeat_the_question_are_not_kept():
    from agent.optimize import useful_demo

    q = "Where was the designer of the Verrin lighthouse born?"
    good = {"question": q, "sub_questions": ["Who designed the Verrin lighthouse?", "Where was #1 born?"]}
    assert useful_demo("decompose.predict", good)
    assert not useful_demo("decompose.predict", {"question": q, "sub_questions": [q + " #1", q + " #2"]})
    assert not useful_demo("decompose.predict", {"question": q, "sub_questions": [q]})
    assert useful_demo("reader.extract", {"question": q, "answer": "Lowbridge"})  # other steps: kept
