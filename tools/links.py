"""Links between documents: a passage that names another document's title points at it.

Wikipedia-style corpora (HotpotQA), wikis, notes with cross-references and reports that name
the projects they build on all carry these links. Following them is the cheapest bridge hop
there is: the passage about a film names its director, and the director has a document of
their own. No LM and no graph are needed, only the titles in the chunk store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from tools.chunking import embed_text
from tools.store import ChunkStore
from tools.types import Chunk, Hit

_DISAMBIGUATOR = re.compile(r"\s*\([^()]*\)\s*$")
_WORD = re.compile(r"\w+")
_SKIP = frozenset("""about after also another before being between chapter contents draft index intro
introduction notes other overview readme summary there these those through under untitled where which
while with without""".split())


def title_key(title: str) -> str:
    """The words of a title, folded, without a trailing disambiguator: `Paris (film)` -> `paris`."""
    return " ".join(_WORD.findall(_DISAMBIGUATOR.sub("", title).lower()))


class TitleLinks:
    """Finds the documents whose titles a text mentions (longest match first, word-aligned)."""

    def __init__(self, store: ChunkStore, min_chars: int = 4):
        self.store = store
        self.by_key: dict[str, list[str]] = {}
        self.chunks_of: dict[str, list[Chunk]] = {}
        for chunk in store.chunks:
            self.chunks_of.setdefault(chunk.doc_id, []).append(chunk)
        for doc_id, chunks in self.chunks_of.items():
            key = title_key(chunks[0].title)
            if len(key) >= min_chars and key not in _SKIP and not key.isdigit():
                self.by_key.setdefault(key, []).append(doc_id)
        self.max_words = max((len(k.split()) for k in self.by_key), default=0)

    def linked(self, text: str, exclude: Iterable[str] = ()) -> list[str]:
        """Doc ids named in `text`, in order of first mention, minus `exclude`."""
        skip = set(exclude)
        words = _WORD.findall(text.lower())
        out: list[str] = []
        i = 0
        while i < len(words):
            step = 1
            for n in range(min(self.max_words, len(words) - i), 0, -1):
                docs = self.by_key.get(" ".join(words[i:i + n]))
                if docs:
                    out.extend(d for d in docs if d not in skip and d not in out)
                    step = n
                    break
            i += step
        return out


def follow_links(index, links: TitleLinks, query: str, sources: list[Hit], k: int = 5) -> list[Hit]:
    """Passages of the documents that `sources` name, ranked by similarity to `query`.

    Each linked document contributes its chunk closest to the query; each hit's `why` names
    the passage whose text linked to it.
    """
    found: dict[str, str] = {}  # linked doc id -> chunk that named it
    for hit in sources:
        for doc_id in links.linked(hit.text, exclude=[hit.doc_id]):
            found.setdefault(doc_id, hit.chunk_id)
    if not found:
        return []
    candidates = [c for doc_id in found for c in links.chunks_of[doc_id][:8]]
    scores = _similarity(index, query, candidates)
    best: dict[str, tuple[float, Chunk]] = {}
    for chunk, score in zip(candidates, scores, strict=True):
        if chunk.doc_id not in best or score > best[chunk.doc_id][0]:
            best[chunk.doc_id] = (float(score), chunk)
    ranked = sorted(best.values(), key=lambda sc: -sc[0])[:k]
    return [Hit.from_chunk(chunk, score, "links", linked_from=found[chunk.doc_id]) for score, chunk in ranked]


def _similarity(index, query: str, chunks: list[Chunk]) -> np.ndarray:
    """Cosine of the query with each chunk: the backend's stored vectors, else encoded now."""
    q = np.asarray(index.embedder.encode_query(query), dtype=np.float32).ravel()
    vectors = index.backend.vectors(index, chunks)
    if vectors is None:
        vectors = index.embedder.encode([embed_text(c) for c in chunks])
    return np.asarray(vectors, dtype=np.float32) @ q
