"""Fixtures of the reliability probes: a clean environment (no user config, no HOPPER_* variables)
and one small real index shared by the probes that only read it."""

from __future__ import annotations

import os
import shutil

import pytest
from rel_support import settings, write_corpus


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for var in [v for v in os.environ if v.startswith("HOPPER_")]:
        monkeypatch.delenv(var)


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory):
    """(corpus folder, index folder) of the small corpus, built once per module; copy before damaging."""
    from tools.index import build_index

    root = tmp_path_factory.mktemp("shared")
    corpus = write_corpus(root / "docs")
    build_index([corpus], root / "idx", settings())
    return corpus, root / "idx"


@pytest.fixture
def index_copy(shared_index, tmp_path):
    """A private copy of the shared index (safe to damage)."""
    shutil.copytree(shared_index[1], tmp_path / "idx")
    return tmp_path / "idx"
