"""The question's own terms and whether an index's passages hold them (`agent.reading.terms`)."""

from __future__ import annotations

import pytest

from agent.reading.question import analyse
from agent.reading.terms import Term, absent_terms, index_text, question_terms


@pytest.mark.parametrize("question, terms", [
    ("Who won the 2052 Harwick Cup?", [("2052", "number"), ("Harwick", "name"), ("Cup", "name")]),
    ("How many bytes does secrets.token_bytes use?", [("secrets.token_bytes", "name")]),
    ("Which pickle protocol does Python 3.11 use by default?", [("Python", "name"), ("3.11", "number")]),
    ("What response rate did the drug reach in MET-amplified tumours?", [("MET-amplified", "name")]),
    ("Which compression level is the default?", []),  # the first word is capitalised by position
    ("HTTPX sets which timeout?", [("HTTPX", "name")]),  # ... unless it is a name written so
    ("How many 1,000-word pages fit on 2 discs?", [("1,000", "number")]),  # one-digit "2": too short
])
def test_question_terms(question, terms):
    assert [(t.text, t.kind) for t in question_terms(question)] == terms


def test_question_info_carries_its_terms():
    assert [t.text for t in analyse("Who won the 2052 Harwick Cup?").terms] == ["2052", "Harwick", "Cup"]


TEXT = """zstd 1.5.4: the default level is 3; levels up to 19 (22 with --ultra).
class TextWrapper(width=70) wraps lines. Z_BEST_COMPRESSION is 9. In 1998 the low dose
cohort had 1,200 members. Python 3.11.7 ships it.""".lower()


@pytest.mark.parametrize("term, present", [
    (Term("1998", "number"), True),
    (Term("1999", "number"), False),
    (Term("1200", "number"), True),  # thousands commas either way
    (Term("1,200", "number"), True),
    (Term("3.11", "number"), True),  # the start of a longer version
    (Term("3.1", "number"), False),  # but not part of a number: 3.11 is not 3.1
    (Term("19", "number"), True),
    (Term("99", "number"), False),  # "1998" holds the digits, not the number
    (Term("textwrap.TextWrapper", "name"), True),  # by its last dotted part
    (Term("low-dose", "name"), True),  # hyphen written as a space
    (Term("best-compression", "name"), True),  # inside a longer identifier
    (Term("Cohorts", "name"), False),
    (Term("Cohort", "name"), True),
])
def test_absent_terms_reads_usual_spellings(term, present):
    assert (absent_terms([term], TEXT) == []) is present


def test_index_text_holds_every_passage(small_index):
    index = small_index("terms", {"a.md": "# Alpha\n\nThe Harwick Cup of 1998 was won by Tessa Vane.",
                        "b.md": "# Beta\n\nNothing here about cups."})
    text = index_text(index)
    assert "harwick cup of 1998" in text and "nothing here about cups" in text
    assert [t.text for t in absent_terms(question_terms("Who won the 2052 Harwick Cup?"), text)] == ["2052"]
