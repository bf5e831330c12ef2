"""Compound questions: two clauses with two question words are researched part by part, the later part
read with the earlier answer; a part the documents do not answer is named in the answer."""

from __future__ import annotations

import re

import dspy
import pytest
from dspy.utils import DummyLM

from agent.compound import compound_parts
from agent.config import AgentSettings
from agent.research import ResearchAgent

DOCS = {
    "tamm.md": "# Oska Tamm\nOska Tamm was an engineer. His first commission was the Kestrel Bridge in "
               "Lowbridge.",
    "kestrel.md": "# Kestrel Bridge\nThe Kestrel Bridge is a five-arched stone crossing that opened in 1858.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish.",
}


@pytest.fixture(scope="module")
def nlp():
    from graphs.extract import load_spacy
    from graphs.settings import GraphSettings

    return load_spacy(GraphSettings().spacy_model)


@pytest.mark.parametrize(("question", "parts"), [
    ("Which bridge did Oska Tamm design and when did it open?",
     ["Which bridge did Oska Tamm design?", "When did it open?"]),
    ("Who designed the Verrin lighthouse and where was he born?",
     ["Who designed the Verrin lighthouse?", "Where was he born?"]),
    ("Who were Oska Tamm and Ilse Tamm?", []),
    ("When and where was Oska Tamm born?", []),
    ("Were Oska Tamm and Ilse Tamm related?", []),
    ("On which river lies the birthplace of the designer of the Verrin lighthouse?", []),
])
def test_only_two_asking_clauses_are_split(nlp, question, parts):
    assert compound_parts(question, nlp) == parts


@pytest.fixture(scope="module")
def index(small_index):
    return small_index("compound", DOCS)


def run(index, replies, question):
    agent = ResearchAgent(AgentSettings(decompose="parse"), index)
    with dspy.context(lm=DummyLM(list(replies)), adapter=dspy.ChatAdapter()):
        return agent.run(question)


def test_each_part_is_answered_with_its_own_citation(index):
    result = run(index, [{"answer": "the Kestrel Bridge"}, {"answer": "1858"}],
                 "Which bridge did Oska Tamm design and when did it open?")
    assert result.trace.first("compound").data["parts"] == ["Which bridge did Oska Tamm design?",
                                                             "When did it open?"]
    follow = result.trace.first("followup").data
    assert follow["question"] == "When did it open?" and "Kestrel Bridge" in follow["standalone"]
    first, second = result.answer.splitlines()
    assert first.startswith("- **Which bridge did Oska Tamm design?**") and "Kestrel Bridge" in first
    assert second.startswith("- **When did it open?**") and "1858" in second
    docs = {c.n: c.doc_id for c in result.citations}
    assert "tamm.md" in {docs[int(n)] for n in re.findall(r"\[(\d+)\]", first)}
    assert "kestrel.md" in {docs[int(n)] for n in re.findall(r"\[(\d+)\]", second)}
    assert result.sufficient and result.status == "ok"


def test_a_part_the_documents_do_not_answer_is_named(index):
    result = run(index, [{"answer": "the Kestrel Bridge"}, {"answer": ""}, {"answer": ""}, {"answer": ""}],
                 "Which bridge did Oska Tamm design and who painted it?")
    first, second = result.answer.splitlines()
    assert "Kestrel Bridge" in first
    assert second.startswith("- **Who painted it?**") and "Kestrel" not in second.split("**")[-1]
    assert result.sufficient  # the first part is answered; the second line says it is not
