"""Evaluation of list/compare/explain answers: gold_items, item recall/precision, support rate."""

from __future__ import annotations

import json

from agent.eval.datasets import load_dataset
from agent.eval.metrics import item_matches, item_scores, score_trace, support_counts
from agent.eval.report import aggregate, render_markdown
from agent.eval.runner import prepare_run_dir, read_gold
from agent.trace import Trace

CITATIONS = [
    {
        "n": 1,
        "doc_id": "people/renna_vos.html",
        "title": "Renna Vos",
        "quote": "She was born in Highbridge, the daughter of a clockmaker.",
    },
    {
        "n": 2,
        "doc_id": "places/highbridge.html",
        "title": "Highbridge",
        "quote": "The town has produced more than its share of notable people for its size, among them "
                 "the astronomer "
        "Renna Vos and the poet Dace Quillon, both of whom were born here.",
    },
    {
        "n": 3,
        "doc_id": "organisations/oller_boatworks.txt",
        "title": "Oller Boatworks",
        "quote": "The Oller Boatworks was a boatbuilding firm in Highbridge, founded in 1869.",
    },
]
ITEMS = [
    {"text": "Renna Vos: She was born in Highbridge, the daughter of a clockmaker.", "citations": [1]},
    {
        "text": "Highbridge: among them the astronomer Renna Vos and the poet Dace Quillon, both of "
                "whom were born here.",
        "citations": [2],
    },
    {
        "text": "Oller Boatworks: The Oller Boatworks was a boatbuilding firm in Highbridge, "
        "founded in 1870.",
        "citations": [3],
    },
]


def test_item_matching_by_name_or_document():
    assert item_matches("Renna Vos: She was born ...", set(), ["Renna Vos"])
    assert not item_matches("Renna Voss was ...", set(), "Renna Vos")  # whole words only
    assert item_matches("anything", {"places/highbridge.html"}, "places/highbridge.html")
    assert item_matches("built by Anhalt and Sons", set(), ["Anhalt & Sons", "Anhalt and Sons"])
    recall, precision = item_scores(ITEMS, CITATIONS, [["Renna Vos"], ["Dace Quillon"], ["Ilse Tamm"]])
    assert (round(recall, 3), round(precision, 3)) == (0.667, 0.667)
    assert item_scores([], CITATIONS, ["Renna Vos"]) == (0.0, 0.0)


def test_support_counts_check_each_sentence_against_its_quotes():
    sentences = ITEMS + [
        {"text": "Renna Vos and Dace Quillon were born in Highbridge [1] [2].", "citations": [1, 2]},
        {"text": "Nobody cites this.", "citations": []},
    ]
    total, ok = support_counts(sentences, CITATIONS)
    assert (total, ok) == (
        5,
        3,
    )  # the boatworks line says 1870 (the quote says 1869); one sentence cites nothing


def _trace(qid: str) -> Trace:
    t = Trace(run_id=qid)
    t.emit("run_start", question="Which people were born in Highbridge?")
    t.emit("shape", shape="list", source="rules")
    t.emit(
        "synthesis",
        items=ITEMS,
        dropped=[{"text": "x", "code": "support.low_overlap"}],
        overview={
            "text": "Sources: Renna Vos [1], Highbridge [2] and Oller Boatworks [3].",
            "citations": [1, 2, 3],
            "source": "template",
        },
    )
    t.emit("answer", answer="...", short_answer="", sufficient=True, citations=CITATIONS, evidence=[])
    t.emit("run_end", status="ok", seconds=12.0, lm_calls=1, tool_calls=1, tokens=300)
    return t


def test_scores_aggregate_and_report():
    score = score_trace(_trace("o01"), [], gold_items=[["Renna Vos"], ["Dace Quillon"]])
    assert score.shape == "list" and score.item_recall == 1.0 and round(score.item_precision, 3) == 0.667
    assert (score.sentences, score.supported, score.dropped) == (4, 3, 1)
    factoid = score_trace(Trace(run_id="q1"), ["Sarn"])
    assert factoid.item_recall is None and factoid.sentences == 0
    metrics = aggregate([score, factoid])
    assert (
        metrics["item_recall"] == 1.0 and metrics["support_rate"] == 0.75 and metrics["dropped_mean"] == 1.0
    )
    assert metrics["shape"] == {"list": 1, "factoid": 1}
    md = render_markdown([score, factoid], metrics, [])
    assert "| item_precision | 0.6667 |" in md and "| support_rate | 0.75 |" in md


def test_open_questions_file_loads_as_a_dataset_and_keeps_gold_items(demo_dir, tmp_path):
    data = load_dataset(demo_dir / "open_questions.jsonl", "test")
    assert data.name == "demo/open_questions" and data.corpus_paths == [demo_dir / "docs"]
    assert data.questions and all(q.meta["split"] == "test" and q.meta["gold_items"] for q in data.questions)
    prepare_run_dir(tmp_path, {"x": 1}, data.questions)
    gold = read_gold(tmp_path)
    first = data.questions[0]
    assert (
        gold[first.qid]["gold_items"] == first.meta["gold_items"]
        and gold[first.qid]["shape"] == first.meta["shape"]
    )


def test_open_questions_are_honest(demo_dir):
    """Every gold document exists; every gold name is written in one of the question's supporting
    documents."""
    from agent.eval.metrics import _is_doc_id

    docs = demo_dir / "docs"
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_pdf", demo_dir / "make_pdf.py")
    make_pdf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_pdf)
    rows = [
        json.loads(line)
        for line in (demo_dir / "open_questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    assert len({r["id"] for r in rows}) == len(rows) >= 20
    assert {r["split"] for r in rows} == {"train", "test"} and {r["shape"] for r in rows} == {
        "list",
        "compare",
        "explain",
    }
    for r in rows:
        assert all((docs / d).is_file() for d in r["supporting_ids"]), r["id"]
        texts = " ".join(
            make_pdf.plain_text() if d.endswith(".pdf") else (docs / d).read_text()
            for d in r["supporting_ids"]
        )
        for gold in r["gold_items"]:
            alternatives = [gold] if isinstance(gold, str) else gold
            assert any((docs / a).is_file() if _is_doc_id(a) else a in texts for a in alternatives), (
                r["id"],
                gold,
            )
