"""End to end with the real embedded model (no DummyLM): the `make demo` question and three more
multi-hop questions of the demo *train* split, each answered right and citing the passage that
states the answer. Slow: it indexes the demo corpus and runs the 0.5B model on two cores."""

from __future__ import annotations

import pytest

from agent.reading.checks import normalize
from tests.conftest import DEMO

pytestmark = pytest.mark.slow

CASES = [
    # (question, accepted answers, the document whose passage states the answer)
    ("On which river lies the birthplace of the designer of the Verrin lighthouse?", ["Sarn", "the Sarn"],
     "places/lowbridge.md"),
    ("In which town was the designer of the Verrin lighthouse born?", ["Lowbridge"], "people/oska_tamm.md"),
    ("Which observatory was founded by the first recipient of the Corvane Medal?",
     ["Caskwell Observatory", "the Caskwell Observatory"], None),
    ("On which island was the founder of Anhalt & Sons born?", ["Holm Isle"], None),
]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    from agent.config import HopperConfig
    from agent.session import Session
    from tools.index import build_index

    cfg = HopperConfig()
    out = tmp_path_factory.mktemp("demo") / "index"
    build_index([DEMO / "docs"], out, cfg.index)
    cfg.index_dir = str(out)
    cfg.lm.cache = False
    return Session(cfg)


@pytest.mark.parametrize(("question", "answers", "doc"), CASES)
def test_the_embedded_model_answers_multi_hop_demo_questions_with_citations(session, question, answers, doc):
    result = session.ask(question)
    assert normalize(result.short_answer) in {normalize(a) for a in answers}, result.answer
    assert result.sufficient and result.citations
    first = result.citations[0]
    # The first citation is the passage that states the answer, quoting the sentence that does.
    stated = normalize(f"{first.title} {first.context} {first.quote}")
    assert normalize(result.short_answer) in stated and first.quote in first.text
    if doc:
        assert first.doc_id == doc
    assert all(c["ok"] for c in result.checks)
    reads = result.trace.of_type("read")
    assert reads and all(len(r.data["sentences"]) <= session.cfg.agent.read_sentences for r in reads)


def test_the_embedded_model_chooses_among_spans_by_their_likelihood_as_its_reply():
    import dspy

    from agent.config import LMSettings
    from agent.lm import get_lm
    from agent.reading.evidence import Sentence
    from agent.reading.reader import ReaderModule

    question, options = "On which river lies Lowbridge?", ["glassworks", "Sarn"]
    sentences = [Sentence("c1", "lowbridge.md", "Lowbridge", "Lowbridge is a market town on the Sarn river, "
                          "known for its glassworks.", 0, 0, 70, 0.9)]
    from agent.reading.evidence import render

    reader = ReaderModule()
    lm = get_lm(LMSettings(cache=False))
    with dspy.context(lm=lm):
        scores = reader._scores(render(sentences), question, options)
        picked = reader._choose(render(sentences), question, options)
    assert scores is not None and scores[1] > scores[0]
    assert picked == ("Sarn", "scored")
    # an LM without scores (DSPy's DummyLM) gets the grammar-constrained choice instead
    from dspy.utils import DummyLM

    with dspy.context(lm=DummyLM([{"answer": "Sarn"}]), adapter=dspy.ChatAdapter()):
        assert reader._scores(render(sentences), question, options) is None
        assert reader._choose(render(sentences), question, options) == ("Sarn", "choice")


README_PAGE = """\
<div align="center"><h1>Quillfish</h1></div>

[![CI](https://ci.example.org/quillfish/badge.svg)](https://ci.example.org/quillfish)
[![PyPI](https://img.shields.io/pypi/v/quillfish.svg)](https://pypi.org/project/quillfish/)

**Quillfish** is a small parser for tide tables, written in *pure Python*. It is developed
primarily at the [Harbour Data Group](https://harbour.example.org/) of the Verrin port.

## Installing

- Quillfish supports Python >= 3.10.
- `pip install quillfish`
"""


def test_the_embedded_model_reads_a_readme_without_its_markup(tmp_path):
    """A README's link splits the words of its answer ("the [Harbour Data Group](https://...)");
    read as the text it shows, the answer is that span and its passage is cited."""
    from agent.config import HopperConfig
    from agent.session import Session
    from tools.index import build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text(README_PAGE)
    (docs / "tides.md").write_text("# Tide tables\n\nA tide table lists the times of high and low water.\n")
    cfg = HopperConfig()
    build_index([docs], tmp_path / "index", cfg.index)
    cfg.index_dir = str(tmp_path / "index")
    cfg.lm.cache = False
    result = Session(cfg).ask("Which group develops Quillfish?")
    assert "harbour data group" in normalize(result.short_answer), result.answer
    assert result.citations[0].doc_id == "README.md" and result.citations[0].title == "Quillfish"
    assert "](" not in result.citations[0].quote and "https" not in result.citations[0].quote


def test_a_question_the_documents_do_not_answer_gets_not_in_your_documents(session):
    """A near miss: the observatory's page says when visitors come, never how many came in any
    year. No answer, the closest passages cited, and the selector's verdict in the trace. (Not
    every unanswerable question is caught; the realdocs figures in the README count them.)"""
    result = session.ask("How many visitors did the Caskwell Observatory receive in 2019?")
    assert result.not_found and result.short_answer == "" and not result.sufficient, result.answer
    assert result.answer.startswith("Not in your documents") and result.citations
    assert result.status == "ok"  # a withheld answer is no "unusable LM replies"
    select = result.trace.first("select")
    assert select is not None and select.data["probability"] < select.data["not_found"]
    assert select.data["features"]["support"] is not None  # the embedded model scores its reply


def test_a_question_about_a_year_no_document_mentions_is_not_in_your_documents(session):
    """The demo's passages name cups and medals, never the year 2022: the selector weighs that
    number's absence from every passage, withholds the answer and says which number it was."""
    result = session.ask("Who won the 2022 World Cup?")
    assert result.not_found and result.short_answer == "" and not result.sufficient, result.answer
    assert "no document mentions “2022”" in result.answer
    select = result.trace.first("select")
    assert select.data["features"]["absent_number"] == 1.0
