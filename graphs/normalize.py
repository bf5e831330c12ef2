"""Entity normalisation: fold case, punctuation and whitespace; merge aliases by spelling.

`normalize` turns a surface form into a node key ("The Beatles'" -> "beatles");
`Canonicalizer` maps new keys onto known ones when rapidfuzz finds them near-identical, so
"Steven Spielberg" and "Steven Spielbergs" become one node. Embedding similarity does not
merge nodes; it adds scored `synonym` edges (see `graphs.build.add_synonym_edges`).
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

_POSSESSIVE = re.compile(r"(?:'s|'|’s|’)(?=\s|$)")
_PUNCT = re.compile(r"[^\w&+#]+")
_LEADING = re.compile(r"^(?:the|a|an)\s+")
_PAREN = re.compile(r"\s*\([^)]*\)\s*$")


def normalize(text: str) -> str:
    """Node key of a surface form: NFKC, casefold, no possessive, punctuation and `_` as space,
    single spaces, no leading article. Returns '' for text with no letters or digits."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = _POSSESSIVE.sub("", text)
    text = _PUNCT.sub(" ", text.replace("_", " "))
    text = " ".join(text.split())
    text = _LEADING.sub("", text)
    return text if any(ch.isalnum() for ch in text) else ""


def normalize_title(title: str) -> str:
    """Node key of a document title: like `normalize`, without a trailing "(disambiguator)"."""
    return normalize(_PAREN.sub("", title) or title)


def display_name(forms: dict[str, int]) -> str:
    """The most frequent surface form (ties: the longest, then alphabetical)."""
    return max(forms.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0] if forms else ""


class Canonicalizer:
    """Maps keys to canonical keys, merging near-identical spellings (rapidfuzz ratio).

    Candidates are blocked by their first three characters and length, so each lookup compares
    against a handful of keys rather than all of them; merging is incremental and deterministic.
    """

    def __init__(self, threshold: float = 95.0, min_len: int = 6):
        self.threshold = threshold
        self.min_len = min_len
        self._blocks: dict[str, list[str]] = {}
        self._known: set[str] = set()
        self._alias: dict[str, str] = {}

    def add_known(self, key: str) -> None:
        if key and key not in self._known:
            self._known.add(key)
            self._blocks.setdefault(key[:3], []).append(key)

    def resolve(self, key: str) -> str:
        """The canonical key for `key`, registering it when it is new."""
        if key in self._known:
            return key
        if key in self._alias:
            return self._alias[key]
        target = self._match(key) if self.threshold < 100 and len(key) >= self.min_len else None
        if target is None:
            self.add_known(key)
            return key
        self._alias[key] = target
        return target

    def _match(self, key: str) -> str | None:
        best, best_score = None, self.threshold
        for cand in self._blocks.get(key[:3], ()):
            if abs(len(cand) - len(key)) > max(2, len(key) // 8):
                continue
            if _digits(cand) != _digits(key):  # "apollo 11" is not "apollo 12"
                continue
            score = fuzz.ratio(key, cand)
            if score >= best_score:
                best, best_score = cand, score
        return best

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self._alias)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
