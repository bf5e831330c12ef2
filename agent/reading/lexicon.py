"""Word classes the reading code looks words up in, in one place.

Stop words come from spaCy's English list (`spacy.lang.en.stop_words`, no model needed). The
classes below are small closed lists of general English words (never a name or a phrase from a
question set): what a noun says about the kind of answer it asks for.
"""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS as _SPACY_STOP_WORDS

STOP_WORDS = frozenset(_SPACY_STOP_WORDS)
"""spaCy's English stop words."""

VALUE_NOUNS = frozenset(
    # values a document states as a number, a version or an identifier
    "version release edition model score rating rank grade level price cost fee rate ratio percentage "
    "temperature size speed season episode chapter volume issue number code constant value length width "
    "height depth limit maximum minimum default timeout interval duration port count amount total "
    "threshold capacity weight frequency dose setting option flag argument parameter mode format "
    "precision digits bits bytes".split()
)
"""A "which/what <noun>" question with one of these head nouns asks for a value: a bare number,
a version, a flag (`-J`) or an identifier (`ZIP_STORED`) fits it."""
