"""`tools.embed`: the bundled all-MiniLM-L6-v2 embedder, offline, on real sentences; without
sentence-transformers it gives sentence-transformers' vectors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tools.embed import Embedder, Pipeline, read_pipeline, resolve_model_path
from tools.errors import ModelError
from tools.settings import EmbedSettings


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(EmbedSettings(batch_size=2, precision="fp32"))


def test_vectors_are_unit_length_and_in_input_order(embedder):
    texts = ["Otters eat fish.", "A much longer sentence about the lighthouse keeper and her clock.",
             "Heron."]
    batched = embedder.encode(texts)
    assert batched.shape == (3, embedder.dim) == (3, 384) and batched.dtype == np.float32
    assert np.linalg.norm(batched, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    one_by_one = np.vstack([embedder.encode([t]) for t in texts])
    assert batched == pytest.approx(one_by_one, abs=1e-5)  # length-sorted batching restores the order


def test_similar_sentences_score_higher(embedder):
    q = embedder.encode_query("What do otters eat?")[0]
    near, far = embedder.encode(["Otters feed mainly on fish.", "The stock market fell on Tuesday."])
    assert float(q @ near) > float(q @ far) + 0.2


def test_progress_counts_every_text_and_empty_input(embedder):
    seen: list[int] = []
    embedder.encode([f"sentence {i}" for i in range(5)], progress=seen.append)
    assert seen == [2, 2, 1]
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.name == "all-MiniLM-L6-v2"


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="never downloaded"):
        resolve_model_path(str(tmp_path))
    assert (resolve_model_path("default") / "config.json").exists()


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
    embedder = Embedder(EmbedSettings(batch_size=3, precision="fp32"))
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


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_embedding_a_query_imports_neither_torch_nor_sentence_transformers(precision):
    if precision == "int8":  # the int8 model is made once (that needs torch); a query only reads it
        from tools.onnx_embed import ensure_int8

        ensure_int8(resolve_model_path("default"))
    code = ("import sys; from tools.embed import Embedder; from tools.settings import EmbedSettings; "
            f"e = Embedder(EmbedSettings(precision={precision!r})); e.encode_query('lighthouse'); "
            "heavy = ('torch', 'transformers', 'sentence_transformers'); "
            "print(e.model.backend(1), sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("onnx-int8 []" if precision == "int8" else "numpy []")


def test_int8_batches_hold_at_most_the_token_budget_longest_first():
    import numpy as np

    from tools.embed import _batches

    lengths = [256, 10, 256, 40, 256, 256, 256, 12]
    order = np.argsort([-n for n in lengths], kind="stable")
    batches = [list(b) for b in _batches(order, lengths, 32, 1024)]
    assert [i for b in batches for i in b] == list(order)  # every text once, in the order given
    assert all(len(b) * lengths[b[0]] <= 1024 for b in batches)  # the first text is the longest
    assert [len(b) for b in batches] == [4, 4]  # 4 x 256, then one 256 padding three short ones
    assert [len(b) for b in _batches(order, None, 3, None)] == [3, 3, 2]  # no budget: by count
    assert [len(b) for b in _batches(np.array([0]), [5000], 32, 1024)] == [1]  # one text at least
