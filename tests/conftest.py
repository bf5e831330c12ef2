"""Shared test fixtures: offline models, the shared evaluation data (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO = REPO / "examples" / "demo"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def demo_dir() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def small_index(tmp_path_factory):
    """Build a real index (no graph) over `{file name: text}` and open it."""

    def build(name: str, docs: dict[str, str]):
        from tools.index import Index, build_index
        from tools.settings import IndexSettings

        root = tmp_path_factory.mktemp(name)
        folder = root / "docs"
        folder.mkdir()
        for file, text in docs.items():
            (folder / file).write_text(text)
        settings = IndexSettings()
        settings.graph = False
        build_index([folder], root / "idx", settings)
        return Index(root / "idx")

    return build
