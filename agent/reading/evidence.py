"""Evidence at sentence level: the few sentences of the retrieved passages that bear on a question.

A 0.5B reader answers far better from three or four well-chosen sentences than from six trimmed
passages. Sentences are ranked by MiniLM cosine between the question and "title. sentence" (the
title tells the embedder whom "He was born in Lowbridge" is about), plus a small bonus for the
question's rarer words that the sentence repeats. A sentence that opens with a pronoun carries
its passage's first sentence as context, so the reader knows who "she" is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from agent.reading.checks import normalize
from agent.reading.lexicon import OVERLAP_STOP_WORDS
from tools import sentences
from tools.links import title_key
from tools.types import Hit

_WORD = re.compile(r"[A-Za-z0-9][\w'-]*")
_ITEM = re.compile(r"^(?:[-*+•○]|\d{1,3}[.)])\s")
_WORDLIKE = re.compile(r"[^\W\d_](?:[^\W\d_]|[&'-])*")
_PRONOUN = re.compile(
    r"^(he|she|it|they|his|her|its|their|this|these|the (?:company|firm|band|film|city|town|"
    r"river|ship|building|bridge|school|college|university|museum|team|club|album|song|book))\b",
    re.IGNORECASE,
)
LEXICAL_WEIGHT = 0.04
"""Bonus per shared content word (capped at 4 words): names matter more than cosine shows."""
BEYOND_TITLE_WORDS = 2
"""The bonus also counts up to this many shared words that the sentence has and its title has not."""
LEAD_IN_CHARS = 320
"""A lead-in (a heading, a line ending in ":") is read with the sentences after it, up to this long."""
QUERY_BATCH = 16
"""Sentences embedded per call: the size the embedder runs without torch (tools.embed.NUMPY_MAX_TEXTS)."""


@dataclass(frozen=True)
class Sentence:
    """One sentence of a retrieved passage, with where it sits and how well it answers."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    position: int
    """Index of the sentence in its passage (0 = the first sentence)."""
    start: int
    end: int
    """Character offsets of `text` in the passage's text."""
    score: float = 0.0
    context: str = ""
    """The passage's first sentence, when this one opens with a pronoun and needs it."""

    def render(self) -> str:
        """How the reader sees it: the title, the context sentence if any, the sentence."""
        lead = f"{self.context} … " if self.context else ""
        return f"({self.title}) {lead}{self.text}"


def split_sentences(text: str) -> list[tuple[int, int, str]]:
    """`(start, end, sentence)` for each sentence of `text`, offsets into `text` (`tools.sentences`)."""
    return [tuple(s) for s in sentences.split(text)]


def passage_sentences(hit: Hit) -> list[Sentence]:
    """Every sentence of one passage."""
    return [
        Sentence(hit.chunk_id, hit.doc_id, hit.title, text, i, s, e)
        for i, (s, e, text) in enumerate(split_sentences(hit.text))
    ]


def reading_units(sentences: Sequence[Sentence], title: str) -> list[Sentence]:
    """What the reader can be shown of one passage: its sentences, with each lead-in joined to
    what it leads into. A lead-in says nothing by itself: a section heading ("AUTHOR", "VERSION",
    "## Maintainers") or a line that ends in a colon ("By default, the loader will:") is
    followed by the text it introduces (the name, the list items), which shares no word with the
    question. Joined, the unit holds both; bare headings with nothing after them are dropped."""
    out = []
    for i, s in enumerate(sentences):
        bare = s.text.lstrip("#").strip()
        if len(bare) <= 3 or bare.lower() == title.strip().lower():
            continue  # the page's own title (the reader sees it anyway) or a fragment
        if not _leads_in(s, title):
            out.append(s)
            continue
        text, end, listed = s.text, s.end, False
        for nxt in sentences[i + 1:]:
            if len(text) + 1 + len(nxt.text) > LEAD_IN_CHARS and text != s.text:
                break
            item = bool(_ITEM.match(nxt.text))
            if listed and not item:
                break  # the list it introduced has ended
            listed = listed or item
            text, end = f"{text} {nxt.text}", nxt.end
            if len(text) >= LEAD_IN_CHARS or (_leads_in(nxt, title) and nxt is not sentences[i + 1]):
                break  # a second lead-in starts a unit of its own
        if text != s.text:
            out.append(replace(s, text=text[: LEAD_IN_CHARS + 80], end=end))
        elif not _heading(s, title):
            out.append(s)  # a short closing line ("Default is true"), kept as it is
    return out


def _leads_in(s: Sentence, title: str) -> bool:
    """A heading (`_heading`, or a short line of capitalised words with no closing stop:
    "AUTHOR", "DATA", "Default values") or a sentence ending in a colon."""
    text = s.text.strip()
    words = text.split()
    return (text.endswith(":") or _heading(s, title)
            or (0 < len(words) <= 4 and text[0].isupper() and all(_WORDLIKE.fullmatch(w) for w in words)))


def content_words(text: str) -> set[str]:
    """Lower-cased words of `text` that carry meaning (no stopwords, no one-letter words)."""
    return {w.lower() for w in _WORD.findall(text) if len(w) > 1 and w.lower() not in OVERLAP_STOP_WORDS}


class SentenceRanker:
    """Ranks passage sentences against a question with the index's embedder (vectors cached per run)."""

    def __init__(self, embedder):
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        # Shortest first, so each batch pads little (a quarter less CPU on passage sentences).
        missing = sorted((t for t in dict.fromkeys(texts) if t not in self._cache), key=len)
        # Small batches stay on the embedder's query path (numpy, no torch import: a fast cold start).
        for start in range(0, len(missing), QUERY_BATCH):
            part = missing[start:start + QUERY_BATCH]
            for t, v in zip(part, self.embedder.encode(part), strict=True):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def score(self, question: str, sentences: Sequence[Sentence]) -> list[Sentence]:
        """`sentences` with `score` set: cosine to the question plus the lexical bonus."""
        if not sentences:
            return []
        texts = [f"{s.title}. {s.text}" for s in sentences]
        sims = self.vectors(texts) @ self.vectors([question])[0]
        qwords = content_words(question)
        out = []
        for s, sim in zip(sentences, sims, strict=True):
            own, title = content_words(s.text), content_words(s.title)
            shared = len(qwords & (own | title))
            # Words the sentence itself adds beyond its title ("built" in "She was built in 1897 by
            # ..." under the title "Grey Gull (paddle steamer)") tell apart sentences of one passage.
            beyond = len((qwords & own) - title)
            bonus = LEXICAL_WEIGHT * (min(shared, 4) + min(beyond, BEYOND_TITLE_WORDS))
            out.append(replace(s, score=round(float(sim) + bonus, 4)))
        return out

    def select(
        self,
        question: str,
        hits: Iterable[Hit],
        *,
        limit: int = 4,
        per_passage: int = 2,
        exclude: Iterable[str] = (),
        follow: int = 0,
    ) -> list[Sentence]:
        """The `limit` best sentences of `hits` for `question`, at most `per_passage` from one
        passage, best first. Sentences whose text is in `exclude` (e.g. hidden instructions) are skipped.
        `follow`: up to this many of the `limit` places go to the best sentence of each passage
        that a chosen sentence names by its title and that no chosen sentence comes from (the
        next hop: "... the painter Jeffrey Smart" -> the passage "Jeffrey Smart"), after the others."""
        hits = list(hits)
        skip = set(exclude)
        readable = {h.chunk_id: reading_units(passage_sentences(h), h.title) for h in hits}
        pool = [s for sentences in readable.values() for s in sentences if s.text not in skip]
        # Only sentences that share a word with the question (their title's words count) are
        # embedded: on the tuning questions 132 of 133 answer sentences did, and it halves the work.
        qwords = content_words(question)
        related = [s for s in pool if qwords & content_words(f"{s.title} {s.text}")]
        pool = related if len(related) >= limit else pool
        ranked = sorted(self.score(question, pool), key=lambda s: -s.score)
        first = {cid: sentences[0] if sentences else None for cid, sentences in readable.items()}
        taken: dict[str, int] = {}
        out: list[Sentence] = []
        seen: set[str] = set()
        for s in ranked:
            key = s.text.lower()
            if taken.get(s.chunk_id, 0) >= per_passage or key in seen:
                continue
            seen.add(key)
            taken[s.chunk_id] = taken.get(s.chunk_id, 0) + 1
            lead = first.get(s.chunk_id)
            if (
                lead is not None
                and s.position > lead.position
                and _PRONOUN.match(s.text)
                and len(lead.text) < 240
            ):
                s = replace(s, context=lead.text)
            out.append(s)
            if len(out) >= limit:
                break
        return self._follow(out, ranked, follow) if follow and len(out) > follow else out

    @staticmethod
    def _follow(chosen: list[Sentence], ranked: list[Sentence], follow: int) -> list[Sentence]:
        """`chosen` with its last `follow` places given to the best sentences of the passages the
        others name by title (one per passage; `chosen` unchanged when they name none)."""
        kept = chosen[: len(chosen) - follow]
        have = {s.chunk_id for s in kept}
        said = {s.text.lower() for s in kept}  # a sentence two files share is read once
        linked: list[Sentence] = []
        for s in ranked:  # best first
            if (s.chunk_id in have or s.text.lower() in said or any(x.chunk_id == s.chunk_id for x in linked)
                    or not any(leads_to(k, s) for k in kept)):
                continue
            linked.append(s)
            if len(linked) >= follow:
                break
        rest = [s for s in chosen[len(kept):] if s not in linked]
        return kept + linked + rest[: follow - len(linked)]


MIN_TITLE_CHARS = 4
"""A shorter title ("Io", "Up") is too common a word to follow as a link."""


def mentions(text: str, name: str) -> bool:
    """`text` mentions `name`: its normalised words, whole, in order."""
    key = normalize(name)
    return bool(key) and re.search(rf"(?:^|\s){re.escape(key)}(?:\s|$)", normalize(text)) is not None


def leads_to(sentence: Sentence, target: Sentence) -> bool:
    """`sentence` names the passage `target` comes from by its title (`tools.links.title_key`:
    without its disambiguation): it is the bridge into it ("Notable speakers included ... the
    painter Jeffrey Smart" leads to a sentence of "Jeffrey Smart (painter)"). A sentence of the
    same page (another chunk of it) leads nowhere: it is already there."""
    title = title_key(target.title)
    return (sentence.doc_id != target.doc_id and len(title) >= MIN_TITLE_CHARS
            and mentions(sentence.text, title))


def _heading(s: Sentence, title: str) -> bool:
    """A bare heading line ("# The Kestrow Mill", or the page's title alone on its first
    line, as HTML and PDF text has it) or a fragment: nothing to read in it."""
    text = s.text.lstrip("#").strip()
    return len(text) <= 3 or text.lower() == title.strip().lower() or (
        s.text.startswith("#") and len(text.split()) <= 6
    )


def render(sentences: Sequence[Sentence]) -> str:
    """Numbered evidence lines `[1] (Title) sentence` for a reader prompt."""
    return "\n".join(f"[{i}] {s.render()}" for i, s in enumerate(sentences, 1))
