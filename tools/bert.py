"""A BERT encoder in numpy: the sentence embedder's forward pass without torch.

BERT-family sentence-transformers models (the bundled all-MiniLM-L6-v2, bge-small, e5-small,
...) are six to twelve post-LayerNorm transformer layers. Importing torch and transformers to
run them costs seconds of CPU before the first query; numpy, `safetensors.numpy` and
`tokenizers` cost a tenth of that. This is the forward pass of `transformers.BertModel`
(absolute positions, exact erf GELU, eval mode) on the same `model.safetensors` weights; the
tests compare its vectors with sentence-transformers' on real sentences.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def supports(path: Path) -> bool:
    """Whether `path` holds a BERT model this encoder runs (safetensors weights, absolute positions)."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return (config.get("model_type") == "bert" and config.get("hidden_act", "gelu") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and (path / "model.safetensors").is_file())


def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x), the exact (erf) GELU of BERT, computed in place on `x`'s copy."""
    from scipy.special import erf  # heavy: scipy.special (0.1 s more than numpy), at the first forward pass

    y = erf(x * np.float32(1.0 / np.sqrt(2.0)))
    y += 1.0
    y *= x
    y *= 0.5
    return y


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class NumpyBert:
    """`BertModel(...).last_hidden_state` for batches of token ids, in float32 numpy."""

    def __init__(self, path: Path):
        from safetensors.numpy import load_file  # heavy: safetensors, loaded when first needed

        config = json.loads((path / "config.json").read_text())
        weights = load_file(str(path / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self.w = {k[len(prefix):]: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()
                  if k.startswith(prefix)}
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        for i in range(self.layers):  # one (3 x hidden, hidden) projection for Q, K and V
            p = f"encoder.layer.{i}.attention.self."
            names = ("query", "key", "value")
            self.w[p + "qkv.weight"] = np.concatenate([self.w[p + n + ".weight"] for n in names])
            self.w[p + "qkv.bias"] = np.concatenate([self.w[p + n + ".bias"] for n in names])

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        w, batch, length, h = self.w, ids.shape[0], ids.shape[1], self.hidden
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][types]).reshape(batch * length, h)
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        masked = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        d = h // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            # token rows stay 2-D for the projections (one BLAS call each); heads are split only for attention
            qkv = x @ w[p + "attention.self.qkv.weight"].T + w[p + "attention.self.qkv.bias"]
            q, k, v = (np.ascontiguousarray(qkv[:, j * h:(j + 1) * h].reshape(batch, length, self.heads, d)
                                            .transpose(0, 2, 1, 3)) for j in range(3))
            q *= np.float32(1.0 / np.sqrt(d))
            kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))  # stacked matmul uses BLAS on contiguous
            context = np.empty((batch, self.heads, length, d), dtype=np.float32)
            for b in range(batch):  # one sequence at a time keeps the score matrix small
                scores = q[b] @ kt[b] + masked[b]
                scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
                context[b] = (scores / scores.sum(axis=-1, keepdims=True)) @ v[b]
            context = context.transpose(0, 2, 1, 3).reshape(batch * length, h)
            attn = context @ w[p + "attention.output.dense.weight"].T + w[p + "attention.output.dense.bias"]
            x = layer_norm(attn + x, w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = gelu(x @ w[p + "intermediate.dense.weight"].T + w[p + "intermediate.dense.bias"])
            out = inner @ w[p + "output.dense.weight"].T + w[p + "output.dense.bias"]
            x = layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                           self.eps)
        return x.reshape(batch, length, h)
