"""`agent.language`: questions the English reader cannot read are told apart, English ones never."""

from __future__ import annotations

import pytest

from agent.language import check_question, question_language
from tools.errors import InputError

NOT_ENGLISH = [
    ("An welchem Fluss liegt Lowbridge?", "German"),
    ("Wer hat den Leuchtturm von Verrin entworfen?", "German"),
    ("Sur quelle rivière se trouve Lowbridge ?", "French"),
    ("¿En qué río está Lowbridge?", "Spanish"),
    ("Su quale fiume si trova Lowbridge?", "Italian"),
    ("Em que rio fica Lowbridge?", "Portuguese"),
    ("In welk jaar werd Tamm geboren?", "Dutch"),
    ("На какой реке стоит Лоубридж?", "Cyrillic script"),
    ("Σε ποιο ποτάμι βρίσκεται το Lowbridge;", "Greek script"),
    ("Lowbridge 的河流是什么？", "Chinese or Japanese"),
]
ENGLISH = [
    "On which river lies Lowbridge?",
    "When did Oska Tamm die?",  # 'die' is German too
    "Was Tamm a mason?",  # 'was' is German too
    "Is Die Hard a film?",
    "Which is older, Der Spiegel or Die Zeit?",
    "What does the word Weltanschauung mean?",
    "What does 東京 mean?",
    "Verrin lighthouse designer",  # a keyword query
    "Hypocretin neurones induce panicprone state in rats.",  # a claim sharing two words with Italian
]


@pytest.mark.parametrize(("question", "language"), NOT_ENGLISH)
def test_a_question_in_another_language_is_named(question, language):
    assert question_language(question) == language
    with pytest.raises(InputError, match=f"looks {language}.*English"):
        check_question(question)


@pytest.mark.parametrize("question", ENGLISH)
def test_english_questions_pass(question):
    assert question_language(question) is None
    check_question(question)


@pytest.mark.parametrize("question", ["?!?", "... ???", "—", "¿?"])
def test_a_question_without_words_is_refused(question):
    with pytest.raises(InputError, match="no words"):
        check_question(question)
