"""The embedder without sentence-transformers gives sentence-transformers' vectors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tools.embed import Embedder, Pipeline, read_pipeline, resolve_model_path
from tools.settings import EmbedSettings

# Real sentences of different kinds: plain prose, a question with stray whitespace, accents and
# symbols, numbers, a one-word text, and one longer than the model's 256-token limit (truncated).
SENTENCES = [
    "The Verrin lighthouse was designed by the engineer Ada Thorsen in 1871.",
    "   Who designed the lighthouse at the mouth of the Orre estuary?  ",
    "Zürich's café served crème brûlée to the naïve Ærøskøbing visitors — for 12 € each.",
    "Aspirin irreversibly inhibits cyclooxygenase-1 and -2 (COX-1, COX-2), reducing thromboxane A2.",
    "In 1958 the station was electrified; the 31-metre tower's light is visible for 19 nautical miles.",
    "lighthouse",
    "Marie Curie was born in Warsaw and studied at the University of Paris, where she met Pierre Curie.",
    " ".join(["The river floods every spring and the town rebuilds its bridges again."] * 40),
]


def test_the_bundled_model_is_a_plain_mean_pooling_pipeline():
    assert read_pipeline(resolve_model_path("default")) == Pipeline(pooling="mean_tokens", max_seq_length=256)


def test_a_folder_with_other_modules_is_left_to_sentence_transformers(tmp_path):
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    assert read_pipeline(tmp_path) is None


@pytest.fixture(scope="module")
def reference_vectors() -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(resolve_model_path("default")), device="cpu", local_files_only=True)
    return reference.encode(SENTENCES, convert_to_numpy=True, normalize_embeddings=True)


@pytest.mark.parametrize("backend", ["numpy", "transformers"])
def test_vectors_match_sentence_transformers_on_real_sentences(reference_vectors, backend, monkeypatch):
    # queries (small batches) run on numpy, indexing batches on torch: both give the same vectors
    monkeypatch.setattr("tools.embed.NUMPY_MAX_TEXTS", 16 if backend == "numpy" else 0)
    embedder = Embedder(EmbedSettings(batch_size=3))
    ours = embedder.encode(SENTENCES)
    assert embedder.model.backend(3) == backend
    theirs = reference_vectors
    assert ours.shape == theirs.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() > 1 - 1e-3, cosine
    assert np.abs(ours - theirs).max() < 1e-4  # in fact about 1e-7: the same model, not an approximation
    # and the ranking a query sees is the same
    assert list(np.argsort(-ours[1:] @ ours[0])) == list(np.argsort(-theirs[1:] @ theirs[0]))


def test_embedding_a_query_imports_neither_torch_nor_sentence_transformers():
    code = ("import sys; from tools.embed import Embedder; Embedder().encode_query('lighthouse'); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("model", ["nope/not-a-folder"])
def test_an_unknown_model_is_a_clear_error(model):
    from tools.errors import ModelError

    with pytest.raises(ModelError, match="not a local sentence-transformers model folder"):
        Embedder(EmbedSettings(model=model))
