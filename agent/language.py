"""Which language a question is written in, as far as Hopper's English reader needs to know.

The reader parses questions with an English spaCy model and English word lists, so a question in
another language is answered with a wrong name rather than read. `question_language` spots such
questions cheaply and without a model: the letters' script (Cyrillic, Greek, Han, Arabic, ...),
and for Latin script the stop words of spaCy's language data (`spacy.lang.XX.stop_words`): a
question made largely of German (French, ...) function words, more than English ones, is not English. Ties,
names and keyword queries count as English, so an English question is never refused.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from functools import cache

from tools.errors import InputError

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
LANGUAGES = {"de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
             "nl": "Dutch"}
"""Latin-script languages told apart from English (spaCy has stop words for each)."""
_CHARACTER_WORDS = {"CJK": "Chinese or Japanese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese",
                    "HANGUL": "Korean"}


@cache
def _stop_words(code: str) -> frozenset[str]:
    return frozenset(importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS)


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def question_language(question: str) -> str | None:
    """The language (or script) of `question` when it is clearly not English, else None.

    >>> question_language("Wer hat den Leuchtturm entworfen?")
    'German'
    >>> question_language("When did he die?") is None
    True
    """
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return None
    scripts: dict[str, int] = {}  # words per script; a Han, kana or Hangul character is a word
    for w in words:
        script = _script(w[0])
        scripts[script] = scripts.get(script, 0) + (len(w) if script in _CHARACTER_WORDS else 1)
    top, count = max(scripts.items(), key=lambda kv: kv[1])
    if top != "LATIN" and count > sum(scripts.values()) / 2:
        return _CHARACTER_WORDS.get(top) or f"{top.title()} script"
    english = sum(w in _stop_words("en") for w in words)
    if english >= 2 and english >= len(words) / 3:  # the common case: no other list is loaded
        return None
    hits = {name: sum(w in _stop_words(code) for w in words) for code, name in LANGUAGES.items()}
    name, best = max(hits.items(), key=lambda kv: kv[1])
    # Two of its function words at least, more than English ones, and 40% of the words: a claim such
    # as "... induce ... state in rats" shares a word or two with Italian by chance, a question does not.
    return name if best >= 2 and best > english and best >= 0.4 * len(words) else None


def check_question(question: str) -> None:
    """Refuse a question the reader cannot read: one with no words, or one not in English.

    Raises:
        InputError: naming what is wrong and what to ask instead.
    """
    if not any(c.isalnum() for c in question):
        raise InputError("the question has no words (only punctuation or symbols): ask a question, "
                         "e.g. 'Who designed the Verrin lighthouse?'")
    language = question_language(question)
    if language:
        raise InputError(f"the question looks {language}, but Hopper's reader understands English "
                         f"questions only: ask it in English (the documents may be in any language)")
