"""The Markdown report: one numbered reference list across answers, quotes, renumbered markers."""

from __future__ import annotations

from agent.report import citation_quote, render_report, renumber, write_report
from agent.research import AgentResult, Citation
from agent.trace import Trace

LIGHTHOUSE = (
    "The Verrin lighthouse stands on Gannet Point. It was designed by the engineer Oska Tamm and "
    "built between 1866 and 1871. The tower is 38 metres tall."
)
OSKA = ("Oska Tamm (1829–1903) was an engineer. He was born in the river town of Lowbridge, the son of a "
        "ferryman.")


def _cite(n, doc, text, quote=""):
    return Citation(
        n,
        f"{doc}#0",
        doc,
        doc.split("/")[-1].split(".")[0].replace("_", " ").title(),
        f"/corpus/{doc}",
        text,
        quote,
    )


def _result(question, answer, citations, shape="factoid", short="", items=()):
    return AgentResult(
        question, answer, short, citations, [], [], True, "ok", Trace(), shape=shape, items=list(items)
    )


def test_two_answers_share_one_numbered_reference_list():
    a = _result(
        "Who designed the Verrin lighthouse?",
        "Oska Tamm [1]",
        [_cite(1, "things/verrin_lighthouse.md", LIGHTHOUSE)],
        short="Oska Tamm",
    )
    b = _result(
        "Where was Oska Tamm born, and what did he design?",
        "- Born in Lowbridge [2]\n- Designed the lighthouse [1]",
        [
            _cite(1, "things/verrin_lighthouse.md", LIGHTHOUSE),
            _cite(
                2,
                "people/oska_tamm.md",
                OSKA,
                quote="He was born in the river town of Lowbridge, the son of a ferryman.",
            ),
        ],
        shape="list",
    )
    md = render_report([a, b], generated=0)
    assert md.startswith("# Hopper research report")
    assert "## 1. Who designed the Verrin lighthouse?" in md and "## 2. Where was Oska Tamm born" in md
    # the lighthouse passage is reference 1 in both answers; Oska Tamm's biography becomes 2
    assert "Oska Tamm [1]" in md
    assert "- Born in Lowbridge [2]\n- Designed the lighthouse [1]" in md
    refs = md.split("## References", 1)[1]
    assert refs.count("\n1. ") == 1 and refs.count("\n2. ") == 1 and "\n3. " not in refs
    assert "`/corpus/things/verrin_lighthouse.md` (`things/verrin_lighthouse.md`)" in refs
    # the recorded quote is used as is; without one, the sentence naming the answer is quoted
    assert "> He was born in the river town of Lowbridge, the son of a ferryman." in refs
    assert "> It was designed by the engineer Oska Tamm and built between 1866 and 1871." in refs
    assert "*list*" in md and "*short answer*" in md


def test_citation_quote_falls_back_to_best_sentence_and_cuts_long_ones():
    c = _cite(1, "things/verrin_lighthouse.md", LIGHTHOUSE)
    assert citation_quote(c, "38 metres") == "The tower is 38 metres tall."
    assert citation_quote(c, "") == "The Verrin lighthouse stands on Gannet Point."
    long = _cite(1, "x/y.md", "word " * 200, quote="word " * 200)
    assert len(citation_quote(long)) <= 302 and citation_quote(long).endswith("…")


def test_renumber_drops_unknown_markers():
    assert renumber("A [1] and B [3].", {1: 4}) == "A [4] and B."


def test_no_citations_and_write(tmp_path):
    r = _result("What is the capital of the moon?", "I could not find enough evidence.", [])
    path = write_report([r], tmp_path / "out" / "report.md", index_dir="/idx")
    text = path.read_text()
    assert "## What is the capital of the moon?" in text and "_No passages were cited._" in text
    assert "from the index `/idx`" in text
