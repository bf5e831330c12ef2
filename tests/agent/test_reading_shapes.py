"""Reading beyond encyclopedia prose: the asking clause and head noun of a question (spaCy),
unsound query trees, enumerations widened from one item, the selector's arithmetic and the
"not in your documents" outcome."""

from __future__ import annotations

import json

import pytest

from agent.reading.answer import NOT_FOUND, compose, withhold
from agent.reading.checks import answer_checks, failed
from agent.reading.evidence import Sentence
from agent.reading.question import analyse, asking_clause
from agent.reading.select import FEATURES, SelectorWeights, coverage, features, load_weights
from agent.reading.shapes import enumeration
from agent.reading.tree import decompose, unsound_hop
from tools.types import Hit


@pytest.fixture(scope="module")
def nlp():
    from graphs.extract import load_spacy
    from graphs.settings import GraphSettings

    return load_spacy(GraphSettings().spacy_model)


@pytest.mark.parametrize(("question", "clause"), [
    ("When told to follow redirects, how many will the tool follow?", "how many will the tool follow?"),
    ("After the tool compresses a file, is the original removed?", "is the original removed?"),
    ("If I pass no flag, which level is used?", "which level is used?"),
    ("When was the format published?", "When was the format published?"),
    ("Which level, by default, is used?", "Which level, by default, is used?"),
])
def test_the_asking_clause_drops_a_leading_scene(question, clause):
    assert asking_clause(question) == clause


@pytest.mark.parametrize(("question", "form", "answer_type", "target", "many"), [
    ("When told to follow redirects, how many of them will the tool follow at most?", "wh", "number", "",
     False),
    ("After the tool compresses a file, is the original removed automatically?", "yesno", "yesno", "", False),
    ("If I compress a file and pass no flag, which compression level is used?", "wh", "thing", "level",
     False),
    ("Which single-letter option sends the archive through the filter?", "wh", "thing", "option", False),
    ("Which company funded the trial?", "wh", "thing", "company", False),
    ("Which time zone database do both libraries draw from?", "wh", "thing", "database", False),
    ("Which content encodings can the client handle?", "wh", "thing", "encodings", True),
    ("Who are the authors of the package?", "wh", "person", "", True),
    ("In which city were the travellers recruited?", "wh", "place", "city", False),
    # a reduced relative clause ends the phrase after "what is the": the level, not the tool
    ("Once unlocked, what is the strongest compression level the tool can use?", "wh", "thing", "level",
     False),
    # a port is also a number: no place question
    ("Which TCP port does the daemon listen on by default?", "wh", "thing", "port", False),
])
def test_questions_are_read_on_their_asking_clause_and_head_noun(nlp, question, form, answer_type, target,
                                                                 many):
    info = analyse(question, nlp)
    assert (info.form, info.answer_type, info.target, info.many) == (form, answer_type, target, many)


def test_between_two_names_is_a_choice():
    info = analyse("Between gzip and zstd, which one uses the higher level by default?")
    assert info.form == "choice" and info.options == ["gzip", "zstd"]


@pytest.mark.parametrize(("answer", "question"), [
    ("-6", "If I pass no speed flag, which compression level is used?"),
    ("7.88.1", "Which version is documented by this page?"),
    ("-3", "What integer value does the constant have?"),
    ("-3", "What integer constant is the module's null device?"),
    ("22", "Once unlocked, what is the strongest compression level the tool can use?"),
])
def test_a_value_question_takes_a_bare_number(nlp, answer, question):
    info = analyse(question, nlp)
    assert not failed(answer_checks(answer, info, [f"The value is {answer} here."]))


@pytest.mark.parametrize(("question", "why"), [
    ("What exit code does the timeout command return when the program it runs goes over the time limit?",
     "pronoun"),
    ("When no makefile is named on the command line, which file names does GNU make look for, in order?",
     "names nothing"),
])
def test_a_chain_whose_hop_asks_nothing_is_unsound(nlp, question, why):
    chain = decompose(question, nlp)
    assert chain and why in unsound_hop(chain, nlp)


def test_a_chain_of_named_hops_is_sound(nlp):
    chain = decompose("On which river lies the birthplace of the designer of the Verrin lighthouse?", nlp)
    assert len(chain) == 3 and unsound_hop(chain, nlp) == ""


@pytest.mark.parametrize(("answer", "sentence", "widened"), [
    ("384", "It selects one of three curve sizes: 256, 384 or 521 bits.", "256, 384 or 521 bits"),
    ("makefile", "make looks for the files GNUmakefile, makefile, and Makefile, in that order.",
     "GNUmakefile, makefile, and Makefile"),
    ("zstd", "The client decodes gzip, deflate, brotli, and zstd encoding.",
     "gzip, deflate, brotli, and zstd"),
    ("Richard Townsend", "Thanks to Gustavo Niemeyer, Niels Gustäbel, Richard Townsend.",
     "Gustavo Niemeyer, Niels Gustäbel, Richard Townsend"),
    ("ZIP_LZMA", "The level is ignored for ZIP_STORED or ZIP_LZMA.", "ZIP_STORED or ZIP_LZMA"),
    ("Sarn", "Lowbridge lies on the Sarn, a river in the north.", "Sarn"),
    ("Sarn", "Lowbridge lies on the Sarn.", "Sarn"),
    ("absent", "Lowbridge lies on the Sarn and the Tay.", "absent"),
])
def test_one_item_is_widened_to_its_enumeration(answer, sentence, widened):
    assert enumeration(answer, sentence) == widened


def _sentence(text: str, score: float = 0.8, title: str = "gzip") -> Sentence:
    return Sentence("gzip.txt#0", "gzip.txt", title, text, 0, 0, len(text), score)


def test_features_describe_an_answer_and_its_sentence():
    top = _sentence("The default compression level is -6.", 0.9)
    other = _sentence("Use --fast for speed.", 0.5)
    values = features(method="free", tree=False, yesno=False, base=0.6, sentence=top, read=[top, other],
                      quotes=[top], question="Which compression level does gzip use by default?", support=0.8)
    assert list(values) == list(FEATURES)
    assert values["reply"] == 1.0 and values["chosen"] == 0.0 and values["top_sentence"] == 1.0
    assert values["coverage"] == 0.8 and values["support"] == 0.8  # all but "use"
    assert coverage("Which licence covers the package?", [top]) == 0.0


def test_selector_probability_and_weights_file(tmp_path):
    w = SelectorWeights(["support", "coverage"], [4.0, 2.0], -3.0, not_found=0.2)
    assert w.probability({"support": 1.0, "coverage": 1.0}) > 0.9
    assert w.probability({"support": 0.0, "coverage": 0.0}) < 0.1
    path = tmp_path / "selector.json"
    path.write_text(json.dumps({"scored": w.as_dict(), "plain": w.as_dict()}))
    assert load_weights(True, path).coef == [4.0, 2.0]
    bad = tmp_path / "bad.json"
    bad.write_text('{"scored": {"features": ["nonsense"], "coef": [1.0], "intercept": 0}}')
    assert load_weights(True, bad) is None


def test_shipped_weights_load_for_both_kinds_of_lm():
    for scored in (True, False):
        w = load_weights(scored)
        assert w is not None and 0.0 < w.not_found < 1.0
        assert ("support" in w.features) is scored


def test_a_withheld_answer_says_not_in_your_documents():
    info = analyse("Which compression level does gzip use by default?")
    text = "The default compression level is -6."
    hit = Hit("gzip.txt#0", "gzip.txt", "gzip", text, 1.0, "hybrid")
    composed = compose(info, "-6", [_sentence(text)], {hit.chunk_id: hit}, 0.7, 0.5)
    assert composed.sufficient and composed.short == "-6"
    low = withhold(composed, info, 0.1, 0.2, 0.5)
    assert low.not_found and not low.sufficient and low.short == "" and low.answer == NOT_FOUND
    assert low.citations == composed.citations  # the closest passages stay cited
    unsure = withhold(composed, info, 0.3, 0.2, 0.5)
    assert unsure.abstained and unsure.short == "-6" and not unsure.not_found
    sure = withhold(composed, info, 0.9, 0.2, 0.5)
    assert sure.answer == "-6 [1]" and sure.confidence == 0.9
    named = withhold(composed, info, 0.1, 0.2, 0.5, absent=["2052"])
    assert named.not_found and named.answer.startswith("Not in your documents: no document mentions “2052”")
    assert withhold(composed, info, 0.9, 0.2, 0.5, absent=["2052"]).short == "-6"  # the selector decides


@pytest.mark.parametrize(("answer", "text", "span"), [
    ("32", "If you want the adler32 or crc32 hash functions", None),
    ("Sri Lanka", "in three Sri Lankan hospitals", "Sri Lankan"),
    ("infusion furo", "every 8 hrs with continuous infusion furosemide, or placebo", "infusion furosemide"),
    ("-6", "The default compression level is -6 (that is", "-6"),
])
def test_a_span_never_cuts_a_word(answer, text, span):
    from agent.reading.checks import find_span

    found = find_span(answer, [text])
    assert (found.text if found else None) == span


def _units(text: str, title: str = "Page") -> list[str]:
    from agent.reading.evidence import passage_sentences, reading_units

    hit = Hit("p#1", "p", title, text, 1.0, "dense")
    return [u.text for u in reading_units(passage_sentences(hit), title)]


def test_a_heading_is_read_with_what_it_heads():
    units = _units("BUGS\n       Presumably none.\n\nAUTHOR\n       Edda Marsh <edda@example.org>\n")
    assert "AUTHOR Edda Marsh <edda@example.org>" in units
    assert "AUTHOR" not in units  # a bare heading says nothing by itself


def test_a_line_ending_in_a_colon_is_read_with_its_list():
    text = ("## Maintainers\n\nMeet our maintainers since 2009:\n\n- Current Lead: Renna Vos\n"
            "- Oska Tamm\n\nSome later paragraph.")
    units = _units(text)
    # the heading, its lead-in and the list it introduces make one unit; the items stand alone too
    assert units[0] == "## Maintainers Meet our maintainers since 2009: - Current Lead: Renna Vos - Oska Tamm"
    assert "- Current Lead: Renna Vos" in units and "Some later paragraph." in units


def test_the_page_title_alone_is_no_unit_and_a_short_closing_line_stays():
    units = _units("Kestrow Mill\nThe mill was built in 1850. It stands.\n\nDefault is true", "Kestrow Mill")
    assert units == ["The mill was built in 1850.", "It stands.", "Default is true"]


def test_a_lead_in_unit_is_cut_at_a_readable_length():
    from agent.reading.evidence import LEAD_IN_CHARS

    items = "\n".join(f"- item number {i} of a long list" for i in range(40))
    units = _units(f"The options are:\n{items}")
    assert units[0].startswith("The options are: - item number 0") and len(units[0]) <= LEAD_IN_CHARS + 80
