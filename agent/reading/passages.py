"""Whole passages for a capable LM's free-form answer: numbered, long ones cut to the sentences
that share the most words with the question (the embedded model reads sentences instead:
`agent.reading.evidence`)."""

from __future__ import annotations

import re

from agent.modules import STOP
from tools.sentences import texts as split_sentences
from tools.types import Hit

SNIPPET_CHARS = 480


def format_passages(hits: list[Hit], query: str = "", chars: int = SNIPPET_CHARS) -> str:
    """Number the passages `[1]`, `[2]`, ...; long ones are cut to the sentences that bear on `query`."""
    return "\n\n".join(f"[{i}] ({h.title}) {focus(h.text, query, chars)}" for i, h in enumerate(hits, 1))


def focus(text: str, query: str, chars: int = SNIPPET_CHARS) -> str:
    """`text` in at most about `chars` characters: the first sentence (it names the subject),
    then the sentences sharing the most query words, kept in document order, gaps marked `…`.

    A 0.5B model reads a 1,000-token prompt in several seconds on two cores, so the passages it
    judges are trimmed to what bears on the question instead of cut at a fixed length.
    """
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return flat
    sentences = split_sentences(text)
    words = {w for w in re.findall(r"\w+", query.lower()) if w not in STOP and len(w) > 2}

    def score(i: int) -> float:
        found = set(re.findall(r"\w+", sentences[i].lower())) & words
        return sum(len(w) for w in found) - 0.01 * i  # longer shared words weigh more; earlier breaks ties

    keep, size = {0}, len(sentences[0])
    for i in sorted(range(1, len(sentences)), key=score, reverse=True):
        if score(i) <= 0 or size + len(sentences[i]) > chars:
            continue
        keep.add(i)
        size += len(sentences[i]) + 1
    parts, last = [], -1
    for i in sorted(keep):
        sentence = sentences[i]
        if len(sentence) > chars:
            sentence = sentence[:chars].rsplit(" ", 1)[0] + " …"
        parts.append(("… " if i != last + 1 else "") + sentence)
        last = i
    out = " ".join(parts)
    return out if last == len(sentences) - 1 else out + " …"
