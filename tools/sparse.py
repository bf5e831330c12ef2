"""Sparse retrieval: BM25 with bm25s, English stopwords and PyStemmer stemming."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import Stemmer

from tools.errors import IndexCorruptError
from tools.settings import BM25Settings

log = logging.getLogger(__name__)


def _bm25s():
    """Import bm25s, undoing the DEBUG level it forces on its logger at import time.

    Where scipy is not loaded yet, bm25s is imported without it: searching a saved index needs
    numpy alone, and scipy.sparse is most of bm25s's import (77 of 111 ms, `-X importtime`), paid
    by every cold `hopper search`. `BM25Index.build` gives scipy back (`_with_scipy`).
    """
    if "bm25s" not in sys.modules and "scipy" not in sys.modules:
        sys.modules["scipy.sparse"] = None  # type: ignore[assignment]  # import -> ImportError, in bm25s only
        try:
            import bm25s  # heavy: bm25s, loaded when first needed
        finally:
            if sys.modules.get("scipy.sparse", 0) is None:
                del sys.modules["scipy.sparse"]
    import bm25s  # heavy: bm25s (scipy), loaded when first needed

    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def _with_scipy(bm25s):
    """bm25s with scipy's CSC construction, which wrote every index so far (its numpy one writes an
    `indptr` one entry longer), also where `_bm25s` imported it without scipy."""
    if not bm25s.SCIPY_AVAILABLE:
        import scipy.sparse  # heavy: scipy, loaded when first needed

        bm25s.sp, bm25s.SCIPY_AVAILABLE = scipy.sparse, True
    return bm25s


class BM25Index:
    """A persisted bm25s index whose document ids are chunk rows."""

    def __init__(self, settings: BM25Settings, model=None):
        self.settings = settings
        self.model = model
        self._stemmer = None

    @property
    def stemmer(self):
        if self._stemmer is None and self.settings.stemmer:
            self._stemmer = Stemmer.Stemmer(self.settings.stemmer)
        return self._stemmer

    def _tokenize(self, texts: list[str], return_ids: bool = True):
        return _bm25s().tokenize(texts, stopwords=self.settings.stopwords or None, stemmer=self.stemmer,
                              show_progress=False, return_ids=return_ids)

    def build(self, texts: list[str]) -> BM25Index:
        bm25s = _with_scipy(_bm25s())
        self.model = bm25s.BM25(k1=self.settings.k1, b=self.settings.b, method=self.settings.method,
                                csc_backend="scipy")
        if texts:
            self.model.index(self._tokenize(texts), show_progress=False)
        return self

    def save(self, path: Path) -> None:
        if self.model is not None and getattr(self.model, "scores", None):
            self.model.save(str(path))
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            (Path(path) / "EMPTY").write_text("")

    @classmethod
    def load(cls, path: Path, settings: BM25Settings) -> BM25Index:
        path = Path(path)
        if (path / "EMPTY").exists():
            return cls(settings, None)
        try:
            model = _bm25s().BM25.load(str(path), mmap=False)
        except Exception as exc:  # bm25s raises several kinds on damaged files
            raise IndexCorruptError(f"{path}: unreadable BM25 index ({exc}); rebuild with --rebuild") from exc
        return cls(settings, model)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) best first; empty when the query has no indexed terms."""
        if self.model is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        vocab = self.model.vocab_dict
        tokens = [t for t in self._tokenize([query], return_ids=False)[0] if t in vocab]
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        n_docs = int(self.model.scores["num_docs"])
        rows, scores = self.model.retrieve([tokens], k=max(1, min(k, n_docs)), show_progress=False,
                                           n_threads=1)
        rows, scores = rows[0], scores[0]
        keep = scores > 0
        return rows[keep], scores[keep]
