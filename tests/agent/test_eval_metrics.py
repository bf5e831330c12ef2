"""Answer and evidence metrics: hand-checked cases and the official HotpotQA script as reference."""

from __future__ import annotations

import re
import string
from collections import Counter

import pytest

from agent.eval.metrics import (
    evidence_ranking,
    exact_match,
    f1_score,
    normalize_answer,
    recall_at,
    score_traces,
    stop_reason,
)
from agent.trace import Trace


# --- reference: hotpot_evaluate_v1.py (HotpotQA), verbatim logic -----------------------------------
def ref_normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def ref_f1(prediction, ground_truth):
    normalized_prediction = ref_normalize_answer(prediction)
    normalized_ground_truth = ref_normalize_answer(ground_truth)
    zero = 0.0
    special = ["yes", "no", "noanswer"]
    if normalized_prediction in special and normalized_prediction != normalized_ground_truth:
        return zero
    if normalized_ground_truth in special and normalized_prediction != normalized_ground_truth:
        return zero
    prediction_tokens = normalized_prediction.split()
    ground_truth_tokens = normalized_ground_truth.split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return zero
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def ref_em(prediction, ground_truth):
    return float(ref_normalize_answer(prediction) == ref_normalize_answer(ground_truth))


# --- hand-checked ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("The Eiffel Tower!", "eiffel tower"),
    ("  an  Apple, a day ", "apple day"),
    ("Theory of the Art", "theory of art"),       # 'the' inside 'theory' is kept
    ("U.S.A.", "usa"),
    ("1,702", "1702"),
    ("", ""),
])
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_takes_any_gold():
    assert exact_match("the Oller Boatworks", ["Oller Boatworks"]) == 1.0
    assert exact_match("38 metres", ["38", "38 metres"]) == 1.0
    assert exact_match("38 m", ["38", "38 metres"]) == 0.0
    assert exact_match("anything", []) == 0.0


def test_f1_hand_checked():
    # pred {oller, boatworks, company}, gold {oller, boatworks}: P=2/3 R=1 -> F1=0.8
    assert f1_score("Oller Boatworks company", ["Oller Boatworks"]) == pytest.approx(0.8)
    # max over gold answers: "38" matches the first exactly
    assert f1_score("38", ["38 metres", "38"]) == 1.0
    # pred {38, metres, tall}, gold {38}: P=1/3 R=1 -> 0.5
    assert f1_score("38 metres tall", ["38"]) == pytest.approx(0.5)
    assert f1_score("Lowbridge", ["Highbridge"]) == 0.0
    assert f1_score("", ["x"]) == 0.0
    assert f1_score("x", []) == 0.0
    # repeated tokens count once per match (Counter intersection): pred {a b b} vs gold {b}
    assert f1_score("b b c", ["b"]) == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))


def test_yes_no_only_exact():
    assert f1_score("yes", ["yes"]) == 1.0
    assert f1_score("yes it is", ["yes"]) == 0.0
    assert f1_score("no", ["no way"]) == 0.0


CASES = [("The Eiffel Tower", "Eiffel Tower"), ("Paris, France", "Paris"), ("yes", "no"), ("no", "no"),
         ("1702", "in 1702"), ("Lord of the Rings", "The Lord of the Rings"), ("a b c d", "c d e f g"),
         ("Charles Dickens's novel", "Charles Dickens"), ("", "something"), ("noanswer", "noanswer"),
         ("the the the", "the"), ("Río de la Plata", "rio de la plata")]


@pytest.mark.parametrize("pred,gold", CASES)
def test_matches_official_hotpotqa_script(pred, gold):
    assert normalize_answer(pred) == ref_normalize_answer(pred)
    assert exact_match(pred, [gold]) == ref_em(pred, gold)
    assert f1_score(pred, [gold]) == pytest.approx(ref_f1(pred, gold))


# --- evidence recall ---------------------------------------------------------------------------------
def test_evidence_ranking_maxp():
    ranking = evidence_ranking(["a.md#2", "b.md#0", "a.md#0", "c#d.md#1"])
    assert list(ranking) == ["a.md", "b.md", "c#d.md"]
    assert ranking["a.md"] > ranking["b.md"] > ranking["c#d.md"]


def test_recall_at_k_hand_checked():
    qrels = {"q1": {"a": 1, "b": 1}, "q2": {"x": 1}, "q3": {"y": 1}}
    run = {"q1": evidence_ranking(["a#0", "c#0", "b#0"]),   # a at 1, b at 3: R@2=0.5, R@5=1
           "q2": evidence_ranking(["z#0", "z#1", "x#4"]),   # x at 2 (z counted once): R@2=1
           "q3": {}}                                          # nothing retrieved
    got = recall_at(qrels, run)
    assert got["q1"] == {"recall@2": 0.5, "recall@5": 1.0}
    assert got["q2"] == {"recall@2": 1.0, "recall@5": 1.0}
    assert got["q3"] == {"recall@2": 0.0, "recall@5": 0.0}


def test_recall_matches_set_definition():
    """ir-measures' R@k equals |relevant ∩ top-k docs| / |relevant| on random rankings."""
    import random

    rng = random.Random(7)
    docs = [f"d{i}" for i in range(12)]
    qrels, run, chunks = {}, {}, {}
    for q in range(30):
        rel = rng.sample(docs, rng.randint(1, 3))
        ranked = [f"{rng.choice(docs)}#{rng.randint(0, 3)}" for _ in range(rng.randint(0, 10))]
        qrels[f"q{q}"] = {d: 1 for d in rel}
        run[f"q{q}"] = evidence_ranking(ranked)
        chunks[f"q{q}"] = ranked
    got = recall_at(qrels, run)
    for q, rel in qrels.items():
        top_docs = list(dict.fromkeys(c.rsplit("#", 1)[0] for c in chunks[q]))
        for k in (2, 5):
            assert got[q][f"recall@{k}"] == pytest.approx(len(set(top_docs[:k]) & set(rel)) / len(rel))


# --- scoring traces ----------------------------------------------------------------------------------
def make_trace(qid, short, evidence, status="ok", sufficient=True, budget=None, nodes=("answered",)):
    t = Trace(run_id=qid)
    t.emit("run_start", question=f"question {qid}", mode="agent")
    t.emit("decompose", nodes=[{"id": i + 1, "text": "x", "depends_on": []} for i in range(len(nodes))],
           fallback=None)
    for i, st in enumerate(nodes, 1):
        t.emit("round", node=i, round=1, answered=st == "answered", answer="", support=[])
        t.emit("round", node=i, round=2, answered=st == "answered", answer="", support=[])
        t.emit("node_answer", node=i, text="x", answer="", chunk_ids=[], status=st)
    if budget:
        t.emit("budget", reason=budget, node=None)
    t.emit("answer", answer=short, short_answer=short, sufficient=sufficient, citations=[], evidence=evidence)
    t.emit("run_end", status=status, seconds=2.5, lm_calls=4, tool_calls=3, tokens=100, error=None)
    return t


def test_score_traces_and_stop_reasons():
    gold = {"q1": {"answers": ["Lowbridge"], "supporting_ids": ["a", "b"], "hops": 2},
            "q2": {"answers": ["1702"], "supporting_ids": [], "hops": 1}}
    traces = [make_trace("q1", "lowbridge.", ["a#0", "x#1", "b#2"]),
              make_trace("q2", "", [], sufficient=False, nodes=("unanswered",)),
              make_trace("q3", "stray", [])]
    scores = {s.qid: s for s in score_traces(traces, gold)}
    assert set(scores) == {"q1", "q2"}  # q3 has no gold
    q1 = scores["q1"]
    assert (q1.em, q1.f1, q1.recall) == (1.0, 1.0, {"recall@2": 0.5, "recall@5": 1.0})
    got = (q1.hops, q1.rounds, q1.subquestions, q1.lm_calls, q1.seconds, q1.stop)
    assert got == (2, 2, 1, 4, 2.5, "answered")
    assert scores["q2"].recall == {}  # no supporting ids: excluded from recall
    assert scores["q2"].stop == "insufficient"
    assert stop_reason(make_trace("q", "a", [], budget="tool_calls")) == "budget:tool_calls"
    assert stop_reason(make_trace("q", "a", [], nodes=("answered", "unanswered"))) == "partial"
    assert stop_reason(make_trace("q", "a", [], status="error")) == "error"


def test_refusals_and_em_are_counted_per_kind():
    from agent.eval.metrics import QuestionScore
    from agent.eval.report import aggregate

    def q(qid, pred, gold, kind, em):
        s = QuestionScore(qid=qid, question="?", prediction=pred, gold=gold, em=em, f1=em, recall={},
                          status="ok", stop="answered", seconds=1.0, lm_calls=1, tool_calls=1, tokens=1,
                          hops=1, rounds=1, subquestions=1, sufficient=bool(pred), fallbacks=0)
        s.kind, s.answerable, s.refused = kind, bool(gold), not pred
        return s

    scores = [q("a", "6", ["6"], "man", 1.0), q("b", "", ["7"], "man", 0.0), q("c", "x", ["y"], "pydoc", 0.0),
              q("d", "", [], "man", 0.0), q("e", "guess", [], "pydoc", 0.0)]
    m = aggregate(scores)
    assert m["answerable"] == 3 and m["em_answerable"] == round(1 / 3, 4)
    assert m["unanswerable"] == 2 and m["unanswerable_refused"] == 0.5
    assert m["answerable_refused"] == round(1 / 3, 4)
    assert m["em_by_kind"] == {"man": 0.5, "pydoc": 0.0}
