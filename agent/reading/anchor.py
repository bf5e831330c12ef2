"""Anchoring: which evidence sentences are about what the question names.

A multi-hop question names its starting point ("Ada Brook starred in a series that broadcast
on what station?"); its answer lies in a passage about that name or in a passage the name's own
passage leads to (Ada Brook's passage names the series; the series' passage names the station).
A sentence of a passage that neither names the question's subjects nor is named by a passage
that does ("The Ada Barlow Hour was broadcast on ... KXRB") shares words with the question
but is about something else, and the small reader is easily drawn to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.reading.evidence import MIN_TITLE_CHARS, Sentence, leads_to, mentions
from tools.links import title_key

MIN_NAME_CHARS = MIN_TITLE_CHARS
"""Shorter names ("US", "BBC" excepted by their capitals) are too common to anchor by."""


def anchored(sentences: Sequence[Sentence], names: Sequence[str]) -> list[bool]:
    """For each sentence: is it about one of `names` (its passage title, context or text names
    one, or its title is one), or is its passage named by a sentence that is (one hop, `leads_to`)?"""
    names = [n for n in names if len(n) >= MIN_NAME_CHARS or n.isupper()]
    if not names:
        return [True] * len(sentences)
    own = [any(mentions(f"{s.title} . {s.context} . {s.text}", n) or mentions(n, title_key(s.title))
               for n in names) for s in sentences]
    return [mine or any(o and leads_to(t, s) for o, t in zip(own, sentences, strict=True))
            for mine, s in zip(own, sentences, strict=True)]
