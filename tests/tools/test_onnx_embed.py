"""`tools.onnx_embed`: the int8 onnxruntime embedder against the float32 model on real sentences,
its cache (made once, remade when damaged) and the fallback to float32 when onnxruntime fails."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from tools.embed import Embedder, TransformerEncoder, read_pipeline, resolve_model_path
from tools.settings import EmbedSettings

SENTENCES = [
    "   Who designed the lighthouse at the mouth of the Orre estuary?  ",
    "Zürich's café served crème brûlée to the naïve Ærøskøbing visitors — for 12 € each.",
    "lighthouse",
    " ".join(["The river floods every spring and the town rebuilds its bridges again."] * 40),
    "tar -x -f archive.tar extracts the files of an archive; -C DIR changes to DIR first.",
    "json.dumps(obj, *, skipkeys=False, ensure_ascii=True) serializes obj to a JSON formatted str.",
]
QUERY = "Who designed the lighthouse at the mouth of the estuary?"
PASSAGES = [
    "The Verrin lighthouse was designed by the engineer Ada Thorsen in 1871.",
    "In 1958 the station was electrified; the tower's light is visible for 19 nautical miles.",
    "Aspirin irreversibly inhibits cyclooxygenase-1 and -2, reducing thromboxane A2.",
    "The stock market fell on Tuesday after the bank raised its rates.",
    "Marie Curie was born in Warsaw and studied at the University of Paris.",
]


@pytest.fixture(scope="module")
def model_dir():
    return resolve_model_path("default")


@pytest.fixture(scope="module")
def fp32() -> Embedder:
    return Embedder(EmbedSettings(precision="fp32"))


@pytest.fixture(scope="module")
def int8() -> Embedder:
    embedder = Embedder(EmbedSettings(precision="int8"))
    assert embedder.model.backend(1) == "onnx-int8"
    return embedder


def test_int8_vectors_are_the_float_model_within_a_cosine_tolerance(fp32, int8):
    texts = SENTENCES + PASSAGES
    a, b = fp32.encode(texts), int8.encode(texts)
    assert b.shape == a.shape and b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.97 and cosine.mean() > 0.99, cosine
    # what a search sees: the same passage first, and the same order of the rest
    qa, qb = fp32.encode_query(QUERY)[0], int8.encode_query(QUERY)[0]
    assert list(np.argsort(-(a[-5:] @ qa))) == list(np.argsort(-(b[-5:] @ qb)))


def test_int8_batches_keep_the_input_order(int8):
    batched = int8.encode(PASSAGES)
    single = np.vstack([int8.encode([t]) for t in PASSAGES])
    assert ((batched * single).sum(axis=1) > 0.99).all()  # int8 activations are scaled per batch


def test_without_onnxruntime_the_float_model_runs_with_a_warning(model_dir, fp32, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with caplog.at_level(logging.WARNING, logger="tools.embed"):
        encoder = TransformerEncoder(model_dir, read_pipeline(model_dir), "cpu", "int8")
    assert encoder.precision == "fp32" and encoder.backend(1) == "numpy"
    assert "int8 embedder unavailable" in caplog.text
    assert np.abs(encoder.encode(PASSAGES) - fp32.encode(PASSAGES)).max() < 1e-4


def test_onnxruntime_failing_mid_run_falls_back_to_the_float_model(model_dir, fp32, caplog):
    encoder = TransformerEncoder(model_dir, read_pipeline(model_dir), "cpu", "int8")
    assert encoder.precision == "int8"

    def broken(*_):
        raise RuntimeError("onnxruntime: out of memory")

    encoder._int8 = broken
    with caplog.at_level(logging.WARNING, logger="tools.embed"):
        vectors = encoder.encode(PASSAGES)
    assert encoder.precision == "fp32" and "int8 embedder failed" in caplog.text
    assert np.abs(vectors - fp32.encode(PASSAGES)).max() < 1e-4


@pytest.mark.slow
def test_the_int8_model_is_made_once_cached_and_remade_when_damaged(model_dir, tmp_path, monkeypatch):
    from tools import onnx_embed

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    exports: list[str] = []
    real = onnx_embed._export_int8
    monkeypatch.setattr(onnx_embed, "_export_int8", lambda *a: (exports.append("x"), real(*a)))
    path = onnx_embed.ensure_int8(model_dir)
    assert path.parent == tmp_path / "hopper" / "models" / "onnx" and path.is_file()
    assert onnx_embed.ensure_int8(model_dir) == path and exports == ["x"]  # made once
    first = onnx_embed.OnnxBert(model_dir, threads=1)
    assert exports == ["x"]
    left = [p.name for p in path.parent.iterdir() if not p.name.startswith(".")]
    assert left == [path.name]  # no temporary files left
    ids = np.array([[101, 7592, 102]], dtype=np.int64)
    want = first(ids, np.ones_like(ids), np.zeros_like(ids))
    path.write_bytes(b"not an onnx model")  # a damaged cache file is made again, once
    again = onnx_embed.OnnxBert(model_dir, threads=1)
    assert exports == ["x", "x"]
    assert np.abs(again(ids, np.ones_like(ids), np.zeros_like(ids)) - want).max() < 1e-5


def test_an_index_keeps_the_precision_it_was_built_with_and_older_indexes_read_as_fp32():
    import dataclasses

    from tools.index import _public_settings, settings_from_manifest
    from tools.settings import IndexSettings
    from tools.store import Manifest

    built = IndexSettings()
    built.embed.precision = "fp32"
    full = _public_settings(built)
    assert settings_from_manifest(Manifest(1, "gen-1", {"full": full})).embed.precision == "fp32"
    full["embed"]["precision"] = "int8"
    assert settings_from_manifest(Manifest(1, "gen-1", {"full": full})).embed.precision == "int8"
    del full["embed"]["precision"]  # an index made before the int8 embedder: its vectors are fp32
    assert settings_from_manifest(Manifest(1, "gen-1", {"full": full})).embed.precision == "fp32"
    assert dataclasses.asdict(IndexSettings().embed)["precision"] == "int8"  # the default for new ones


def _rss_mb() -> int:
    with open("/proc/self/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) // 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_release_gives_the_runtimes_working_memory_back(model_dir):
    """After 32 texts of 256 tokens onnxruntime's arena holds ~400 MB until the session closes;
    `release` hands it back, and the encoder still gives the same vectors afterwards."""
    encoder = TransformerEncoder(model_dir, read_pipeline(model_dir), "cpu", "int8")
    assert not encoder._int8.session.get_session_options().enable_mem_pattern  # one plan per shape: off
    tokens = encoder.tokenize([SENTENCES[3]] * 32)
    assert {len(ids) for ids, _ in tokens} == {256}  # truncated to max_seq_length
    first = encoder.encode_tokens(tokens)
    held = _rss_mb()
    encoder.release()
    assert held - _rss_mb() > 150
    assert np.abs(encoder.encode_tokens(tokens[:2]) - first[:2]).max() < 0.05


def test_batches_are_formed_by_token_count(int8, monkeypatch):
    """Few characters can be many tokens: the batches follow the tokenizer's counts, longest first."""
    texts = ["Ærøskøbing Ølstykke Þórshöfn Ísafjörður", "a b c d e f g h i j k l m n o p", "lighthouse",
             "Lighthouses guide ships past the rocky headland at night."]
    counts = [len(ids) for ids, _ in int8.model.tokenize(texts)]
    assert counts[0] > counts[3] and len(texts[0]) < len(texts[3])
    seen: list[list[int]] = []
    real = int8.model.encode_tokens
    monkeypatch.setattr(int8.model, "encode_tokens", lambda batch: (seen.append([len(i) for i, _ in batch]),
                                                                     real(batch))[1])
    monkeypatch.setattr(int8.settings, "batch_size", 2)
    vectors = int8.encode(texts)
    assert [n for batch in seen for n in batch] == sorted(counts, reverse=True)
    assert np.abs(vectors - np.vstack([int8.encode([t]) for t in texts])).max() < 0.05
