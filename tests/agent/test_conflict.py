"""Conflicting evidence (`agent.reading.conflict`): rival claims of the same type about the same
subject are found, ordinary neighbouring facts are not, and the answer says so and drops its
confidence."""

from __future__ import annotations

import pytest

from agent.reading.answer import compose
from agent.reading.conflict import disagree, rival_claims
from agent.reading.evidence import Sentence
from agent.reading.question import analyse
from agent.trace import Trace
from tools.types import Hit


@pytest.fixture(scope="module")
def nlp():
    from graphs.extract import load_spacy
    from graphs.settings import GraphSettings

    return load_spacy(GraphSettings().spacy_model)


def _s(text: str, doc: str, context: str = "") -> Sentence:
    return Sentence(f"{doc}#0", doc, doc, text, 0, 0, len(text), 0.6, context)


# (question, answer, its sentence, other sentences read, the rival values expected)
CASES = [
    ("On which river lies Lowbridge?", "Sarn", "Lowbridge is a market town that lies on the Sarn river.",
     ["Lowbridge lies on the Pwnriver.",
      "Lowbridge lies near Brampton.",  # another relation ("near", not "on")
      "Lowbridge lies on the Sarn river, upstream from Oller.",  # states the answer too: it agrees
      "Its market has been held on Thursdays since 1790.",
      "The Oller ferry has crossed the estuary since 1875."],
     ["Pwnriver"]),
    ("When was the Sarn bridge built?", "1820", "The Sarn bridge at Lowbridge was built in 1820.",
     ["The Sarn bridge was built in 1822.",
      "The Sarn bridge was rebuilt in 1902.",  # another event
      "The Sarn bridge was widened in 1950.",
      "It has five stone arches."],
     ["1822"]),
    ("Who designed the Verrin lighthouse?", "Oska Tamm",
     "The Verrin lighthouse was designed by the engineer Oska Tamm in 1869.",
     ["The Verrin lighthouse was designed by Ada Cole.",
      "The Verrin lighthouse was restored by Ada Cole in 1990.",
      "Oska Tamm was born in Lowbridge in 1831."],
     ["Ada Cole"]),
    # sentences about the same work that name no other designer: a description is no rival name
    ("Who designed the Kell bridge?", "Renna Vos",
     "The Kell bridge was designed by the engineer Renna Vos in 1869.",
     ["The following year the council commissioned the Kell bridge, which Vos designed.",
      "His best-known work is the Kell bridge, which he designed in 1866."],
     []),
    ("How tall is the Verrin lighthouse?", "31 metres", "The Verrin lighthouse stands 31 metres tall.",
     ["The Verrin lighthouse is 35 metres tall.", "The Verrin lighthouse is 31 m tall.",
      "The Verrin lighthouse has 120 steps."],
     ["35 metres"]),
    # agreement only: no rival
    ("When was the Sarn bridge built?", "1820", "The Sarn bridge at Lowbridge was built in 1820.",
     ["Work on the Sarn bridge was finished in 1820.", "The Sarn bridge, built in 1820, has five arches.",
      "The Oller ferry was built in 1875."],  # another subject
     []),
    # a yes/no question has no values to compare
    ("Is Lowbridge on the Sarn?", "yes", "Lowbridge lies on the Sarn river.",
     ["Lowbridge lies on the Pwnriver."], []),
]


@pytest.mark.parametrize(("question", "answer", "own", "others", "rivals"), CASES,
                         ids=[f"{c[0][:30]}-{len(c[4])}" for c in CASES])
def test_rival_claims_of_the_same_type_about_the_same_subject(nlp, question, answer, own, others, rivals):
    info = analyse(question, nlp)
    mine = _s(own, "own")
    pool = [mine] + [_s(t, f"d{i}") for i, t in enumerate(others)]
    assert [c.value for c in rival_claims(info, answer, [mine], pool, nlp)] == rivals


def _hit(doc: str, text: str) -> Hit:
    return Hit(chunk_id=f"{doc}#0", doc_id=doc, title=doc.split(".")[0].title(), text=text, score=1.0,
               retriever="bm25", source=doc)


def test_the_answer_says_the_documents_disagree_and_its_confidence_drops(nlp):
    info = analyse("On which river lies Lowbridge?", nlp)
    town = _hit("lowbridge.md", "Lowbridge is a market town that lies on the Sarn river. Its market is old.")
    other = _hit("notes.md", "Lowbridge lies on the Pwnriver. The notes were written in 1990.")
    hits = {h.chunk_id: h for h in (town, other)}
    own = Sentence(town.chunk_id, town.doc_id, town.title, "Lowbridge is a market town that lies on the Sarn "
                   "river.", 0, 0, 55, 0.8)
    read = [own, Sentence(other.chunk_id, other.doc_id, other.title, "Lowbridge lies on the Pwnriver.", 0, 0,
                          31, 0.7)]
    composed = compose(info, "Sarn", [own], hits, 0.82, 0.5)
    assert composed.sufficient and not composed.abstained and composed.answer == "Sarn [1]"
    trace = Trace()
    out = disagree(composed, info, read, [own], hits, nlp, 0.5, trace)
    assert out.conflicts == [
        {"value": "Sarn", "citations": [1], "quote": own.text},
        {"value": "Pwnriver", "citations": [2], "quote": "Lowbridge lies on the Pwnriver."},
    ]
    assert out.answer == "Sarn [1] (documents disagree: Sarn [1], Pwnriver [2])"
    assert out.confidence == 0.5 and not out.abstained  # an even share between two values
    assert [c.doc_id for c in out.citations] == ["lowbridge.md", "notes.md"]
    assert out.citations[1].quote == "Lowbridge lies on the Pwnriver."
    event = trace.first("conflict")
    assert event and event.data["was"] == 0.82 and event.data["confidence"] == 0.5
    # Above the default threshold (0.8), the lowered confidence makes it a best guess.
    guess = disagree(composed, info, read, [own], hits, nlp, 0.8)
    assert guess.abstained and guess.answer.startswith("Not sure") and "documents disagree" in guess.answer
    # When nothing disagrees, the answer is untouched.
    alone = {town.chunk_id: town}
    assert disagree(composed, info, [own], [own], alone, nlp, 0.5) is composed


def test_the_tui_turn_shows_the_conflict_with_renumbered_citations():
    from tui.widgets.turns import TurnView, trust_lines

    answer = {"answer": "Sarn [2] (documents disagree: Sarn [2], Pwnriver [5])", "confidence": 0.5,
              "citations": [{"n": 2, "chunk_id": "a#0", "title": "A"},
                            {"n": 5, "chunk_id": "b#0", "title": "B"}],
              "conflicts": [{"value": "Sarn", "citations": [2]}, {"value": "Pwnriver", "citations": [5]}]}
    turn = TurnView.from_saved(1, "On which river lies Lowbridge?", answer, "ok")
    assert turn.answer == "Sarn [1] (documents disagree: Sarn [1], Pwnriver [2])"
    assert [c["citations"] for c in turn.conflicts] == [[1], [2]]
    assert any("Documents disagree" in line and "Pwnriver [2]" in line for line in trust_lines(turn))
    from tui.widgets.verdict import turn_text

    assert "Documents disagree" in turn_text(turn)  # what the transcript's answer pane shows


def test_a_rival_sentence_beside_the_true_one_in_the_same_passage(nlp):
    """The probe of issue 32: "Lowbridge lies on the Pwnriver." right after the true sentence of the
    demo corpus's Lowbridge page (whose true sentence says "It", so its context names the town)."""
    text = ("Lowbridge is a river town of about fourteen thousand people in central Vellmark. It lies on "
            "the Sarn river, at the point where the valley narrows. Lowbridge lies on the Pwnriver. The town "
            "grew up around a ford first recorded in 1412.")
    town = _hit("lowbridge.md", text)
    info = analyse("On which river lies Lowbridge?", nlp)
    lead = "Lowbridge is a river town of about fourteen thousand people in central Vellmark."
    true = "It lies on the Sarn river, at the point where the valley narrows."
    at = text.index(true)
    own = Sentence(town.chunk_id, town.doc_id, town.title, true, 1, at, at + len(true), 0.8, lead)
    composed = compose(info, "Sarn", [own], {town.chunk_id: town}, 0.82, 0.8)
    out = disagree(composed, info, [own], [own], {town.chunk_id: town}, nlp, 0.8)
    assert [c["value"] for c in out.conflicts] == ["Sarn", "Pwnriver"]
    assert [c["citations"] for c in out.conflicts] == [[1], [1]]  # two sentences of one cited passage
    assert out.confidence == 0.5 and out.abstained
