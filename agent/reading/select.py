"""The selector: one calibrated score for an answer, from features any document gives.

Every reading of a question ends in a candidate answer and the sentence that states it. Code
measures it (`features`): how it was found, how well its sentence matches the question, how much
of the question's own words that sentence (with its title) covers, and how likely the reader
finds the answer as its reply (`support`: the embedded model's per-token probability of it,
from its logits). A
small logistic model (`SelectorWeights`, fitted with scikit-learn on the logged traces of the
training questions by `benchmarks/tune_selector.py`, stored in `selector.json`) turns the
features into the probability that the answer is right. That probability is the answer's
confidence; below `not_found` the run says that the documents do not state the answer.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dspy

from agent.reading.adapter import reply_scores
from agent.reading.evidence import Sentence, content_words

log = logging.getLogger(__name__)

WEIGHTS = Path(__file__).with_name("selector.json")
FEATURES = ("reply", "chosen", "decided", "tree", "yesno", "base", "sentence_score", "top_sentence",
            "coverage", "support", "absent_number")
"""The selector's inputs, in the order of its weights:
- reply / chosen / decided: the answer is the LM's own checked reply (read once, cut, or read
  again), a span chosen among candidates (scored or constrained), or decided by code from what
  the evidence states (years, yes/no predicates, options);
- tree: it ends a chain of sub-questions;
- yesno: a yes/no question;
- base: the reader's own confidence for how it was found (`agent.reading.result.BASE_CONFIDENCE`);
- sentence_score: its sentence's match to the question (cosine plus shared words);
- top_sentence: its sentence is the best-matching one read;
- coverage: the share of the question's content words its sentence, context and title hold;
- support: the embedded LM's per-token probability of the answer as its reply (`support`);
- absent_number: a number the question gives ("the 2052 edition") is in no passage of the index
  (`agent.reading.terms`): the documents are about something else."""
CHARS_PER_TOKEN = 3.5
"""About how many characters a token of the embedded model's vocabulary holds (for the per-token mean)."""
REPLY = frozenset({"free", "part", "alone", "times", "years"})
CHOSEN = frozenset({"scored", "candidate", "choice"})


@dataclass
class SelectorWeights:
    """A logistic model over some of `FEATURES`, and the probability below which nothing is answered."""

    features: list[str]
    coef: list[float]
    intercept: float = 0.0
    not_found: float = 0.0
    """Below this probability the answer is withheld: the documents do not say."""
    fitted_on: str = ""

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(c * float(values.get(name) or 0.0)
                                 for c, name in zip(self.coef, self.features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict:
        return {"features": self.features, "coef": [round(c, 5) for c in self.coef],
                "intercept": round(self.intercept, 5), "not_found": round(self.not_found, 4),
                "fitted_on": self.fitted_on}


def load_weights(scored: bool, path: Path = WEIGHTS) -> SelectorWeights | None:
    """The shipped weights for an LM that gives reply scores (`scored`: the `support` feature is
    measured) or one that does not; None when the file is absent or unreadable (then the reader's
    own confidence stands and nothing is withheld)."""
    return _load(path).get("scored" if scored else "plain")


@cache
def _load(path: Path) -> dict[str, SelectorWeights]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        out = {}
        for key in ("scored", "plain"):
            d = data[key]
            w = SelectorWeights(list(d["features"]), list(map(float, d["coef"])), float(d["intercept"]),
                                float(d.get("not_found", 0.0)), str(d.get("fitted_on", "")))
            if len(w.coef) != len(w.features) or not set(w.features) <= set(FEATURES):
                raise ValueError(f"{key}: weights do not match the features {FEATURES}")
            out[key] = w
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.info("no selector weights (%s): the reader's confidence stands", exc)
        return {}


def coverage(question: str, sentences: list[Sentence]) -> float:
    """Share of the question's content words (and their stems: 'compress' ~ 'compression') that
    the sentences, their context and their titles hold."""
    qwords = content_words(question)
    if not qwords:
        return 0.0
    text = " ".join(f"{s.title} {s.context} {s.text}" for s in sentences)
    have = content_words(text)
    stems = {w[:5] for w in have if len(w) >= 5}
    found = sum(w in have or (len(w) >= 5 and w[:5] in stems) for w in qwords)
    return round(found / len(qwords), 4)


def features(*, method: str, tree: bool, yesno: bool, base: float, sentence: Sentence | None,
             read: list[Sentence], quotes: list[Sentence], question: str,
             support: float | None, absent_number: bool = False) -> dict[str, float | None]:
    """The selector's inputs for one answer (see `FEATURES`)."""
    best = max((s.score for s in read), default=0.0)
    own = sentence.score if sentence is not None else best
    return {
        "reply": float(method in REPLY),
        "chosen": float(method in CHOSEN),
        "decided": float(method not in REPLY and method not in CHOSEN),
        "tree": float(tree),
        "yesno": float(yesno),
        "base": round(base, 4),
        "sentence_score": round(own, 4),
        "top_sentence": float(sentence is not None and bool(read) and sentence.score >= best - 1e-6),
        "coverage": coverage(question, quotes or read[:1]),
        "support": round(support, 4) if support is not None else None,
        "absent_number": float(absent_number),
    }


def support(predictor: dspy.Predict, passages: str, question: str, answer: str) -> float | None:
    """How likely the reader finds `answer` as its whole reply to its own prompt (`predictor`'s
    signature and demos) over the sentences it read: the embedded model's per-token probability
    of the answer, from llama.cpp's logits (nothing is generated). A reply the model would give
    again with confidence scores high; a guess over sentences that do not state the answer scores
    low. None for an LM that gives no reply probabilities: the selector's weights without this
    feature apply.

    (A separate prompt, "does this sentence say that X answers the question? yes/no", was tried
    first: the 0.5B model's P(yes) was 0.13 +- 0.01 whatever the answer, right or wrong.)"""
    scores = reply_scores(predictor, passages, question, [answer]) if answer else None
    if not scores:
        return None
    tokens = max(1.0, len(answer) / CHARS_PER_TOKEN) + 1.0  # the reply's tokens and its end
    return round(float(math.exp(max(-50.0, scores[0]) / tokens)), 4)
