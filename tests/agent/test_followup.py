"""Follow-up questions made to stand alone: by code from a spaCy parse (the embedded model), by the
LM when a capable one is configured; the rewrite is traced and researched in place of the question."""

from __future__ import annotations

import dspy
import pytest
from dspy.utils import DummyLM

from agent.config import AgentSettings
from agent.followup import refers_back, rewrite_by_code
from agent.research import ResearchAgent

BORN = ("Where was Oska Tamm born?", "Lowbridge")
DESIGNED = ("Who designed the Verrin lighthouse?", "Oska Tamm")

CASES = [
    # (previous turn, follow-up, standalone question)
    (BORN, "When did he die?", "When did Oska Tamm die?"),
    (BORN, "When was it founded?", "When was Lowbridge founded?"),
    (BORN, "Who else was born there?", "Who else was born in Lowbridge?"),
    (BORN, "Who else was born in the same town?", "Who else was born in Lowbridge?"),
    (BORN, "What about Ilse Tamm?", "Where was Ilse Tamm born?"),
    (BORN, "And when?", "When was Oska Tamm born?"),
    (BORN, "And his birthplace?", "What is Oska Tamm's birthplace?"),
    (BORN, "What was his father's trade?", "What was Oska Tamm's father's trade?"),
    (DESIGNED, "When was it built?", "When was the Verrin lighthouse built?"),
    (DESIGNED, "Where did he study?", "Where did Oska Tamm study?"),
    (DESIGNED, "Where is that?", "Where is the Verrin lighthouse?"),
    (("Which bridge did Oska Tamm design?", "the Kestrel Bridge"), "When did it open?",
     "When did the Kestrel Bridge open?"),  # "which NOUN": the answer is the thing asked about
    (("Where was Oska Tamm born? [1]", "Lowbridge [1]."), "When did she die?", "When did Oska Tamm die?"),
]
STANDS_ALONE = [
    (DESIGNED, "Who founded Meddow College?"),
    (DESIGNED, "When did Ilse Tamm say she was born?"),  # "she" is Ilse Tamm, named before it
    (DESIGNED, "Is there a museum in Verrin?"),  # "there" is no place here
    (DESIGNED, "Which bridge did Oska Tamm design and when did it open?"),
]


@pytest.fixture(scope="module")
def nlp():
    from graphs.extract import load_spacy
    from graphs.settings import GraphSettings

    return load_spacy(GraphSettings().spacy_model)


@pytest.mark.parametrize(("turn", "question", "expected"), CASES)
def test_code_makes_a_follow_up_stand_alone(nlp, turn, question, expected):
    out = rewrite_by_code(question, [turn], nlp)
    assert out.question == expected and out.by == "code" and out.refs
    assert refers_back(question, nlp)


@pytest.mark.parametrize(("turn", "question"), STANDS_ALONE)
def test_a_question_that_stands_alone_is_left_as_it_is(nlp, turn, question):
    out = rewrite_by_code(question, [turn], nlp)
    assert out.question == question and not out.rewritten and out.by == ""


def test_without_earlier_turns_nothing_is_rewritten(nlp):
    assert rewrite_by_code("When did he die?", [], nlp).question == "When did he die?"


DOCS = {
    "tamm.md": "# Oska Tamm\nOska Tamm was born in Lowbridge in 1829. He died in Verrin in 1903.",
    "vos.md": "# Renna Vos\nRenna Vos was a painter. She died in 1934 in Caskwell.",
    "lowbridge.md": "# Lowbridge\nLowbridge is a market town that lies on the Sarn river.",
}


@pytest.fixture(scope="module")
def index(small_index):
    return small_index("followup", DOCS)


def run(index, replies, question, history, embedded=True):
    agent = ResearchAgent(AgentSettings(decompose="parse"), index)
    agent.runtime.embedded = embedded
    lm = DummyLM(list(replies))
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        return agent.run(question, history=history)


def test_the_agent_researches_the_standalone_question_and_says_so(index):
    result = run(index, [{"answer": "1903"}], "When did he die?", [BORN])
    event = result.trace.first("followup").data
    assert event == {"question": "When did he die?", "standalone": "When did Oska Tamm die?", "by": "code",
                     "refs": ["he → Oska Tamm"]}
    assert result.question == "When did he die?" and result.standalone == "When did Oska Tamm die?"
    assert result.to_dict()["standalone"] == "When did Oska Tamm die?"
    assert result.trace.first("read").data["question"] == "When did Oska Tamm die?"
    assert result.short_answer == "1903" and result.citations[0].doc_id == "tamm.md"


def test_a_capable_lm_rewrites_the_follow_up_and_code_takes_over_when_its_reply_is_unusable(index):
    by_lm = run(index, [{"standalone_question": "In which year did Oska Tamm die?"}, {"answer": "1903"}],
                "When did he die?", [BORN], embedded=False)
    event = by_lm.trace.first("followup").data
    assert event["by"] == "lm" and event["standalone"] == "In which year did Oska Tamm die?"
    assert [e.data["step"] for e in by_lm.trace.of_type("lm_call")][0] == "followup"
    unusable = run(index, [{"standalone_question": ""}, {"answer": "1903"}], "When did he die?", [BORN],
                   embedded=False)
    assert unusable.trace.first("followup").data["by"] == "code"
    assert unusable.standalone == "When did Oska Tamm die?"
    assert "followup.by_code" in [e.data.get("code") for e in unusable.trace.of_type("fallback")]


def test_a_question_that_stands_alone_costs_no_lm_call_and_no_event(index):
    result = run(index, [{"answer": "1903"}], "When did Oska Tamm die?", [BORN], embedded=False)
    assert result.trace.first("followup") is None and result.standalone == ""
    assert "followup" not in [e.data["step"] for e in result.trace.of_type("lm_call")]
