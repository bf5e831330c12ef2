"""What extractors produce: mentions and triples of a chunk, and the `Extractor` protocol.

Shared by the spaCy extractor (`graphs.extract`), the LLM extractor (`graphs.llm_extract`)
and the graph builder (`graphs.build`), so that none of them imports another for its types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tools.types import Chunk

NOUN = "NOUN"
"""Label of a noun-chunk mention (named entities keep their spaCy label)."""


@dataclass(slots=True)
class Mention:
    key: str
    """Normalised node key."""
    text: str
    """Surface form as written."""
    label: str
    """spaCy entity label (PERSON, ORG, ...), `NOUN` for a noun chunk, `TITLE` for a title."""
    sent: int = 0
    """Sentence number within the text (co-occurrence is per sentence)."""


@dataclass(slots=True)
class Triple:
    subject: str
    relation: str
    object: str


@dataclass(slots=True)
class Extraction:
    """What one chunk yields."""

    chunk_id: str
    mentions: list[Mention] = field(default_factory=list)
    triples: list[Triple] = field(default_factory=list)


class Extractor(Protocol):
    """Turns chunks into extractions; `mentions` reads a query the same way (`nouns=False`: named
    entities only, which is all query linking uses)."""

    def extract(self, chunks: Sequence[Chunk], progress: Callable[[int], None] | None = None
                ) -> list[Extraction]: ...

    def mentions(self, text: str, nouns: bool = True) -> list[Mention]: ...
