"""The synthesis's control flow inside the research agent, scripted with DSPy's DummyLM over a real index."""

from __future__ import annotations

import dspy
import pytest
from dspy.utils import DummyLM

from agent.config import AgentSettings
from agent.research import INSUFFICIENT, ResearchAgent
from agent.synthesis import lm_is_capable

DOCS = {
    "renna_vos.md": "# Renna Vos\nRenna Vos (1859–1937) was an astronomer and the founder of an observatory. "
    "She was born in Highbridge, the daughter of a clockmaker. She died in Caskwell in 1937.",
    "dace_quillon.md": "# Dace Quillon\nDace Quillon (1911–1988) was a poet, best remembered for a "
                       "single long poem. "
    "He was born in Highbridge, the son of a railway signalman.",
    "oller_boatworks.md": "# Oller Boatworks\nThe Oller Boatworks was a boatbuilding firm in "
                          "Highbridge, founded in "
    "1869 by two brothers.",
    "sarn_heron.md": "# Sarn Heron\nThe Sarn Heron was a paddle steamer built in 1897 by Anhalt & Sons "
                     "for the river "
    "service between Verrin and Lowbridge and the towns upstream and downstream of them along the "
    "whole of the valley where the river runs. She was retired in 1931.",
    "grey_petrel.md": "# Grey Petrel\nThe Grey Petrel was a small passenger steamer built in 1899 by "
                      "the Oller "
    "Boatworks. She worked the Oller river until she sank in 1917.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish.",
}


@pytest.fixture(scope="module")
def index(small_index):
    return small_index("synthesis", DOCS)


def run(index, replies, question, lm_name=None, **settings):
    agent = ResearchAgent(AgentSettings(**settings), index)
    agent.runtime.embedded = lm_name == "local"  # a Session sets this from the configured model
    lm = DummyLM(replies)
    if lm_name:
        lm.hopper_name = lm_name
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        return agent.run(question)


def lm_steps(result) -> list[str]:
    return [e.data["step"] for e in result.trace.of_type("lm_call")]


def test_list_question_gives_cited_lines_and_a_checked_overview(index):
    result = run(
        index,
        [{"overview": "Renna Vos [1] and Dace Quillon [2] were born in Highbridge."}],
        "Which people were born in Highbridge?",
    )
    shape = result.trace.first("shape").data
    assert (shape["shape"], shape["source"]) == ("list", "rules")
    assert result.shape == "list" and result.status == "ok" and result.sufficient
    # the synthesis path: no query tree, no reading rounds, an overview written by the LM
    assert result.trace.first("decompose") is None and not result.trace.of_type("round")
    assert result.trace.first("synthesis").data["overview"]["source"] == "lm"
    docs = {c.n: c.doc_id for c in result.citations}
    cited = {docs[n] for item in result.items for n in item["citations"]}
    assert cited == {
        "renna_vos.md",
        "dace_quillon.md",
    }  # the boatworks is in Highbridge but no one was born there
    for c in result.citations:
        assert c.quote and c.quote in c.text and "Highbridge" in c.quote
    event = result.trace.first("synthesis").data
    assert event["overview"]["source"] == "lm" and event["items"] == result.items
    lines = {it["text"].split(":")[0]: it["citations"][0] for it in result.items}
    # the overview's [n] named lines; its citations are those lines' passages
    assert result.answer.startswith("Renna Vos and Dace Quillon were born in Highbridge [1] [2].")
    assert set(lines.values()) == {1, 2}
    assert "\n- Renna Vos: She was born in Highbridge" in result.answer or "\n- Dace Quillon" in result.answer
    final = result.trace.first("answer").data
    assert all("quote" in c for c in final["citations"])


def test_unsupported_overview_is_dropped_and_the_sources_are_named_instead(index):
    result = run(
        index,
        [{"overview": "Renna Vos [1] was born in Caskwell in 1850 and founded Meddow College."}],
        "Which people were born in Highbridge?",
    )
    event = result.trace.first("synthesis").data
    assert event["overview"]["source"] == "template"
    assert [d["code"] for d in event["dropped"]] in (["support.number_missing"], ["support.name_missing"])
    assert result.answer.startswith("Sources: ")
    assert "1850" not in result.answer


def test_compare_shortening_is_kept_only_when_it_drops_words(index):
    q = "How do the Sarn Heron and the Grey Petrel differ?"
    added = "The Sarn Heron was a fast paddle steamer for tourists and kings."
    result = run(index, [{"short": added}, {"overview": ""}], q)
    assert result.shape == "compare"
    assert "shorten" in lm_steps(result)
    heron = next(it for it in result.items if "Sarn Heron" in it["text"])
    assert "tourists" not in heron["text"] and "1897" in heron["text"]  # the quoted sentence stayed
    assert result.trace.first("synthesis").data["rewrites"] == {"offered": 1, "kept": 0}
    cut = "The Sarn Heron was a paddle steamer built in 1897 by Anhalt & Sons."
    result = run(index, [{"short": cut}, {"overview": ""}], q)
    assert any(it["text"].endswith(cut) for it in result.items)
    assert result.trace.first("synthesis").data["rewrites"] == {"offered": 1, "kept": 1}
    assert {c.doc_id for c in result.citations} >= {"sarn_heron.md", "grey_petrel.md"}


def test_factoid_takes_the_research_loop(index):
    result = run(
        index,
        [
            {"shape": "factoid"},  # no rule fires, so the (capable) scripted LM is asked; it says factoid
            {"answer": "the Oller Boatworks"},
        ],
        "Which firm built the Grey Petrel?",
        decompose="parse",
    )
    assert (result.trace.first("shape").data["shape"], result.trace.first("shape").data["source"]) == (
        "factoid",
        "lm",
    )
    assert result.trace.first("synthesis") is None and result.items == [] and result.shape == "factoid"
    assert lm_steps(result)[:2] == ["shape", "read"] and "Oller Boatworks" in result.short_answer


def test_a_plural_wh_noun_at_the_far_end_of_a_hop_takes_the_research_loop(index):
    # "which brothers" would make a list question, but it asks about the firm that built the ship:
    # the list synthesis cannot hop there, the research loop's parse tree can.
    result = run(
        index,
        [{"answer": "the Oller Boatworks"}, {"answer": "two brothers"}],
        "The Grey Petrel was built by a firm that was founded by which brothers?",
        lm_name="local",
    )
    shape = result.trace.first("shape").data
    assert (shape["shape"], shape["source"]) == ("factoid", "rules") and "which brothers" in shape["cue"]
    assert result.trace.first("synthesis") is None
    assert [n["text"] for n in result.trace.first("decompose").data["nodes"]] == [
        "The Grey Petrel was built by which firm?", "#1 was founded by which brothers?"]


def test_lm_opinion_only_from_a_capable_lm(index):
    q = "Renna Vos and her work?"  # no rule fires
    result = run(index, [{"shape": "explain"}, {"overview": ""}], q)
    assert result.trace.first("shape").data == {
        "shape": "explain",
        "source": "lm",
        "cue": "the LM's choice",
        "sides": [],
        "topic": "Renna Vos and her work",
    }
    assert lm_steps(result)[0] == "shape" and result.items
    # the embedded model is never asked: the rules' default (factoid) stands
    result = run(index, [{"answer": "an astronomer"}] * 3, q, lm_name="local", decompose="parse")
    assert result.trace.first("shape").data["source"] == "rules" and "shape" not in lm_steps(result)
    assert lm_is_capable(None) is False


def test_forced_shape_and_no_relevant_document(index):
    result = run(index, [{"overview": ""}], "Which people were born in Atlantis?", shape="list")
    assert result.trace.first("shape").data["source"] == "forced"
    assert result.answer == INSUFFICIENT and not result.sufficient and result.items == []
    assert any(e.data["step"] == "synthesis" for e in result.trace.of_type("fallback"))
