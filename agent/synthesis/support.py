"""The claim-level citation check: does a cited passage support a sentence of a synthesis?

`check_support(claim, passage, similarity=...)` is a pure function returning a `Support`
verdict with a code and a reason. A sentence is supported when

1. every **number** it states (years, counts, measures) is in the passage;
2. every **name** it uses (capitalised words after its first word) is in the passage or its title;
3. enough of its **content words** (stemmed, stopwords removed) are in the passage: at least
   `MIN_OVERLAP`, or at least `MIN_OVERLAP_WITH_SIM` when the MiniLM cosine between the sentence
   and the passage's closest sentence is at least `MIN_SIMILARITY`.

Thresholds were tuned on the demo corpus's TRAIN open questions with
`benchmarks/tune_support.py` (supported pairs: each gold document's lines and their
LM-free shortenings against their own passage; unsupported pairs: the same lines against the
other retrieved passages, and the lines with one name or number swapped for one from another
passage; plus 12 hand-written paraphrases of train documents as supported pairs). On those 387
pairs, 0.8 / 0.4 / 0.8 accepts every supported pair and paraphrase and rejects 96.4% of the
unsupported ones (0.6 / 0.4 / 0.6: 88.2%). See docs/synthesis.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MIN_OVERLAP = 0.8
"""Share of the claim's content words found in the passage that suffices on its own."""
MIN_OVERLAP_WITH_SIM = 0.4
"""The lower share accepted when the embedding similarity is high."""
MIN_SIMILARITY = 0.8
"""MiniLM cosine (claim vs the passage's closest sentence) that vouches for a paraphrase."""

_MARK = re.compile(r"\[\d+\]|\*\*|__")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*\d|\d")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
STOPWORDS = frozenset(
    """
a an the of in on at to for from by with and or is are was were be been being who whom whose what
which when where why how did does do that this these those it its as into than then there their his
her he she they them also not no both either neither same after before during about over under
between through while had has have having will would can could should may might one two first other
another such only very most more less many much some any all each every own our your my we you i me
us said says documents document notes note papers paper sources source according
""".split()
)
_NAME_SKIP = frozenset(
    """
The A An He She It They His Her Its Their This These Those In On At By From For With And Or But As
Of To After Before During Since When Where While Both Each Every All Some Most Many One Two Three
First Overview Also Other Others Another Despite Although Because Unlike Like However Today
Yesterday
""".split()
)


@dataclass(frozen=True)
class Support:
    ok: bool
    code: str
    """support.ok | support.empty | support.number_missing | support.name_missing | support.low_overlap"""
    reason: str
    overlap: float
    similarity: float | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "code": self.code,
            "reason": self.reason,
            "overlap": round(self.overlap, 3),
            "similarity": None if self.similarity is None else round(self.similarity, 3),
        }


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english").stemWord
    except ImportError:  # PyStemmer comes with bm25s; a crude suffix rule otherwise
        return lambda w: re.sub(r"(?:ing|ed|es|s)$", "", w) if len(w) > 4 else w


def plain(text: str) -> str:
    """The claim without citation markers and Markdown emphasis."""
    return " ".join(_MARK.sub(" ", text).split())


_IRREGULAR = {
    "built": "build",
    "born": "born",
    "bore": "born",
    "borne": "born",
    "wrote": "write",
    "written": "write",
    "made": "make",
    "gave": "give",
    "given": "give",
    "held": "hold",
    "won": "win",
    "taught": "teach",
    "began": "begin",
    "begun": "begin",
    "ran": "run",
    "sank": "sink",
    "sunk": "sink",
    "led": "lead",
    "kept": "keep",
    "brought": "bring",
    "bought": "buy",
    "sold": "sell",
    "found": "found",
    "left": "leave",
    "stood": "stand",
    "grew": "grow",
    "grown": "grow",
    "became": "become",
    "took": "take",
    "taken": "take",
    "struck": "strike",
    "thought": "think",
    "spent": "spend",
    "rose": "rise",
    "risen": "rise",
    "swept": "sweep",
    "studied": "studi",
    "died": "die",
    "dies": "die",
    "recipient": "receiv",
    "recipients": "receiv",
    "designer": "design",
    "designers": "design",
    "founder": "found",
    "founders": "found",
    "founded": "found",
    "builder": "build",
    "builders": "build",
    "winner": "win",
    "winners": "win",
    "holder": "hold",
    "holders": "hold",
    "awarded": "award",
}


def content_words(text: str) -> set[str]:
    """Stemmed lower-case words of `text` that carry content (no stopwords, no numbers); irregular
    verb forms and agent nouns share their verb's stem ("built" = "build", "recipient" = "received")."""
    stem = _stemmer()
    out = set()
    for w in _WORD.findall(text):
        low = w.lower().strip("'’")
        if w[0].isdigit() or len(low) <= 2 or low in STOPWORDS:
            continue
        out.add(_IRREGULAR.get(low) or stem(low))
    return out


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def names(text: str) -> set[str]:
    """Capitalised words that name something (not the first word of a sentence unless it is not a
    common sentence opener)."""
    out = set()
    for sentence in re.split(r"(?<=[.!?:;])\s+", text):
        words = re.findall(r"[A-Za-z][\w'’-]*", sentence)
        for i, w in enumerate(words):
            if w[0].isupper() and w not in _NAME_SKIP and w.lower() not in STOPWORDS:
                if i == 0 and w.lower() in STOPWORDS:
                    continue
                out.add(w.lower().strip("'’").removesuffix("'s").removesuffix("’s"))
    return out


def overlap(claim: str, passage: str) -> float:
    """Share of the claim's content words that the passage contains (1.0 for a claim with none)."""
    words = content_words(claim)
    return len(words & content_words(passage)) / len(words) if words else 1.0


def check_support(
    claim: str,
    passage: str,
    similarity: float | None = None,
    title: str = "",
    *,
    min_overlap: float | None = None,
    min_overlap_with_sim: float | None = None,
    min_similarity: float | None = None,
) -> Support:
    """Whether `passage` (with its `title`) supports `claim`; `similarity` is the MiniLM cosine
    between the claim and the passage's closest sentence, when the caller computed it. The
    thresholds default to the tuned module constants (the tuning script passes its own)."""
    min_overlap = MIN_OVERLAP if min_overlap is None else min_overlap
    min_overlap_with_sim = MIN_OVERLAP_WITH_SIM if min_overlap_with_sim is None else min_overlap_with_sim
    min_similarity = MIN_SIMILARITY if min_similarity is None else min_similarity
    text = plain(claim)
    if not text:
        return Support(False, "support.empty", "the sentence is empty", 0.0, similarity)
    source = f"{title}. {passage}" if title else passage
    missing_numbers = numbers(text) - numbers(source)
    if missing_numbers:
        return Support(
            False,
            "support.number_missing",
            f"the passage does not state {', '.join(sorted(missing_numbers))}",
            overlap(text, source),
            similarity,
        )
    source_words = {
        w.lower().strip("'’").removesuffix("'s").removesuffix("’s")
        for w in re.findall(r"[A-Za-z][\w'’-]*", source)
    }
    missing_names = sorted(names(text) - source_words)
    if missing_names:
        return Support(
            False,
            "support.name_missing",
            f"the passage does not name {', '.join(missing_names[:4])}",
            overlap(text, source),
            similarity,
        )
    share = overlap(text, source)
    if share >= min_overlap:
        return Support(
            True, "support.ok", f"{share:.0%} of its content words are in the passage", share, similarity
        )
    if similarity is not None and share >= min_overlap_with_sim and similarity >= min_similarity:
        return Support(
            True,
            "support.ok",
            f"{share:.0%} of its content words are in the passage and its meaning "
            f"is close (cosine {similarity:.2f})",
            share,
            similarity,
        )
    sim = f", cosine {similarity:.2f}" if similarity is not None else ""
    return Support(
        False,
        "support.low_overlap",
        f"only {share:.0%} of its content words are in the passage{sim}",
        share,
        similarity,
    )
