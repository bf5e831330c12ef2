"""`tools.embed`: the bundled all-MiniLM-L6-v2 embedder, offline, on real sentences."""

from __future__ import annotations

import numpy as np
import pytest

from tools.embed import Embedder, resolve_model_path
from tools.errors import ModelError
from tools.settings import EmbedSettings


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(EmbedSettings(batch_size=2))


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
