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
