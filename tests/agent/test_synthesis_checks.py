"""Table tests: the answer-shape classifier and the claim-level support check, on real sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.synthesis import classify_question
from agent.synthesis.compose import trim
from agent.synthesis.gather import Terms, fit, key_terms
from agent.synthesis.shape import classify, classify_rules, compare_sides, explain_topic, plural_wh_noun
from agent.synthesis.support import check_support, content_words

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"

SHAPES = [
    # list: a wh-determiner on a plural noun, "list ...", "who were the ..."
    ("Which people were born in Highbridge?", "list"),
    ("Which shipbuilding and boatbuilding firms do the documents describe?", "list"),
    (
        "Which approaches in these papers rewrite the query before retrieval, and how do they differ?",
        "compare",
    ),
    ("List the bridges designed by Oska Tamm.", "list"),
    ("Name all the keepers of the Verrin lighthouse.", "list"),
    ("Who were the harbour masters of Verrin?", "list"),
    ("In which papers is HyDE used?", "list"),
    # compare
    ("How do the Sarn Heron and the Grey Petrel differ?", "compare"),
    ("Compare the Sarn and the Oller.", "compare"),
    ("What is the difference between Mara Quillon and Dace Quillon?", "compare"),
    ("What do Oska Tamm and Ilse Tamm have in common?", "compare"),
    ("BM25 versus dense retrieval", "compare"),
    # explain
    ("What do my notes say about the 1894 flood?", "explain"),
    ("Summarise what the documents say about the Lusk tide clock.", "explain"),
    ("Tell me about the Heron Regatta.", "explain"),
    ("What happened during the Great Flood of 1894?", "explain"),
    ("Why did the Kestrel Bridge survive the flood?", "explain"),
    # factoids stay factoids: singular wh-nouns, years, choices between two names
    ("Which firm built the river steamer Grey Petrel?", "factoid"),
    ("In what year did the paper mills founded by the benefactor of the Corvane Medal close?", "factoid"),
    (
        "Which river steamer was built by the boatworks in the town where the poet Dace Quillon was born?",
        "factoid",
    ),
    ("Who designed the bridge in Lowbridge that survived the Great Flood of 1894?", "factoid"),
    ("How many crossings did the ferry make in 1905?", "factoid"),
    ("Which is older, the University of Caskwell or Meddow College?", "factoid"),
    ("Name the mother of Edward Stafford, 4th Baron Stafford?", "factoid"),
    ("Are the Kestrel Bridge and the Greywater Bridge on the same river?", "factoid"),
    # a comparison word in a clause after the one thing asked for: that thing is the answer
    ("Which survey ship was used to compare the depths of Lake Orrin and Lake Tay?", "factoid"),
    ("What is the difference between the Orrin and the Tay surveys?", "compare"),
]


@pytest.mark.parametrize("question,shape", SHAPES)
def test_shape_rules(question, shape):
    assert classify_question(question).shape == shape


def test_demo_factoid_questions_stay_factoids_and_open_questions_get_their_shape():
    factoid = [
        json.loads(line) for line in (DEMO / "questions.jsonl").read_text().splitlines() if line.strip()
    ]
    misrouted = [q["id"] for q in factoid if classify_question(q["question"]).shape != "factoid"]
    assert misrouted == []  # the issue allows 1 of the 18 test questions; none of all 39 is
    open_q = [
        json.loads(line) for line in (DEMO / "open_questions.jsonl").read_text().splitlines() if line.strip()
    ]
    assert [q["id"] for q in open_q if classify_question(q["question"]).shape != q["shape"]] == []


def test_forced_shape_and_lm_opinion():
    d = classify("Who designed the Verrin lighthouse?", "list")
    assert (d.shape, d.source) == ("list", "forced")
    with pytest.raises(ValueError, match="unknown answer shape"):
        classify("x?", "essay")
    # no rule fires: a capable LM's opinion decides; an unusable opinion leaves the factoid default
    d = classify("Oak beams and their rot?", ask_lm=lambda q: "explain")
    assert (d.shape, d.source) == ("explain", "lm")
    assert classify("Oak beams and their rot?", ask_lm=lambda q: "poem").shape == "factoid"
    assert classify("Oak beams and their rot?", ask_lm=lambda q: 1 / 0).shape == "factoid"
    # the LM's choice is checked: a comparison must name two sides, else the factoid path reads it
    d = classify("On which river lies the home town of the Tollan miller?", ask_lm=lambda q: "compare")
    assert (d.shape, d.source) == ("factoid", "rules") and "no two sides" in d.cue
    # an explicit cue wins over the LM
    assert classify("Compare oak and ash.", ask_lm=lambda q: "factoid").source == "rules"


def test_sides_topics_and_plural_fallback():
    assert compare_sides("How do the Kestrel Bridge and the Greywater Bridge differ?") == [
        "Kestrel Bridge",
        "Greywater Bridge",
    ]
    assert compare_sides("Compare Meddow College with the University of Caskwell") == [
        "Meddow College",
        "University of Caskwell",
    ]
    assert explain_topic("What do the documents say about the Great Flood of 1894?") == "Great Flood of 1894"
    assert plural_wh_noun("Which people were born in Highbridge?") == "which people"  # suffix rule, no spaCy
    assert plural_wh_noun("Which firm built it?") == ""
    assert classify_rules("Which firm built it?") is None


SUPPORT = [
    # (claim, passage, title, supported, code)
    (
        "She was born in Highbridge, the daughter of a clockmaker.",
        (
            "Renna Vos (1859–1937) was an astronomer. She was born in Highbridge, the daughter of a "
            "clockmaker, and "
            "learned to grind lenses at her father's bench."
        ),
        "Renna Vos",
        True,
        "support.ok",
    ),
    (
        "Renna Vos was born in Highbridge [2].",
        "She was born in Highbridge, the daughter of a clockmaker.",
        "Renna Vos",
        True,
        "support.ok",
    ),
    (
        "The Holm Star was built in 1902 by Anhalt & Sons.",
        "She was built in 1902 by Anhalt & Sons in Verrin, replacing the sailing packets.",
        "Holm Star (ferry)",
        True,
        "support.ok",
    ),
    # a wrong year, a wrong name, a claim about something else
    (
        "The Holm Star was built in 1897 by Anhalt & Sons.",
        "She was built in 1902 by Anhalt & Sons in Verrin, replacing the sailing packets.",
        "Holm Star (ferry)",
        False,
        "support.number_missing",
    ),
    (
        "The Holm Star was built by the Oller Boatworks.",
        "She was built in 1902 by Anhalt & Sons in Verrin, replacing the sailing packets.",
        "Holm Star (ferry)",
        False,
        "support.name_missing",
    ),
    (
        "The lighthouse keeper recorded whole trees being carried out past the point during the thaw.",
        (
            "Tarrow Fen is both a marsh and the small village at its heart. The fen spreads across the "
            "flat lower "
            "valley of the Sarn between Meddow and the coast."
        ),
        "Tarrow Fen",
        False,
        "support.low_overlap",
    ),
    ("", "Anything.", "", False, "support.empty"),
]


@pytest.mark.parametrize("claim,passage,title,ok,code", SUPPORT)
def test_support_check(claim, passage, title, ok, code):
    verdict = check_support(claim, passage, title=title)
    assert (verdict.ok, verdict.code) == (ok, code), verdict.reason


def test_similarity_vouches_for_a_paraphrase_only_with_some_overlap():
    claim = "The ferry crossed the bay to the island in under an hour."
    passage = "She made the eleven-kilometre passage across Cald Bay in about fifty minutes."
    assert not check_support(claim, passage).ok
    assert check_support(claim, passage, similarity=0.8).ok is False  # 1 of 4 content words: still too little
    claim = "The ferry made the passage across Cald Bay in fifty minutes, more or less."
    assert check_support(claim, passage, similarity=0.8).ok


def test_key_terms_fit_and_trim():
    d = classify_question("Which people were born in Highbridge?")
    terms = key_terms("Which people were born in Highbridge?", d)
    assert terms.names == content_words("Highbridge") and terms.relation == content_words("born")
    assert fit(terms, "Dace Quillon", "He was born in Highbridge, the son of a railway signalman.") > 0
    assert fit(terms, "Oller Boatworks", "The Oller Boatworks was a boatbuilding firm in Highbridge.") == 0
    # the names may come from the title or the sentence before; the relation must be in the sentence
    assert fit(terms, "Highbridge", "Both of them were born here.") > 0
    assert fit(Terms(names={"1894", "flood"}), "Meddow", "Meddow was badly flooded in 1893.") == 0
    assert (
        trim(
            "She was built in 1902 by Anhalt & Sons in Verrin, replacing the sailing packets that had made "
            "the crossing for generations.",
            Terms({"anhalt", "son"}, {"build"}),
            "Holm Star",
        )
        == "She was built in 1902 by Anhalt & Sons in Verrin."
    )


def test_each_cited_line_must_support_its_own_part_of_an_overview_sentence():
    from agent.synthesis.compose import Line, _names_item, _part_supported
    from tools.types import Hit

    jonas = Hit(
        "j#0",
        "j",
        "Jonas Vellam",
        "Jonas Vellam (1841–1912) was a railway engineer. He was born in "
        "Caskwell, the son of a canal toll-keeper.",
        1.0,
        "t",
    )
    yara = Hit(
        "y#0",
        "y",
        "Yara Delmont",
        "Yara Delmont was the first woman chancellor of the University of "
        "Caskwell. She was born in Tarrow Fen, where her father was the schoolmaster.",
        1.0,
        "t",
    )
    lines = [
        Line("Jonas Vellam: He was born in Caskwell.", [1], "extract"),
        Line("Yara Delmont: She was born in Tarrow Fen.", [2], "extract"),
    ]
    hit_of = {1: jonas, 2: yara}
    wrong = "Jonas Vellam and Yara Delmont were born in Caskwell."
    # together the two passages hold every word of it, but Yara Delmont's says Tarrow Fen
    assert check_support(wrong, jonas.text + " " + yara.text, title="Jonas Vellam. Yara Delmont").ok
    assert _part_supported(wrong, lines[0], lines, hit_of) and not _part_supported(
        wrong, lines[1], lines, hit_of
    )
    assert _names_item(wrong, "Yara Delmont") and _names_item(
        "the Sarn Heron sank", "Sarn Heron (paddle steamer)"
    )
