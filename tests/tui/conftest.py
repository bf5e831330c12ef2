"""Fixtures for the TUI tests: the replaying session, a config, a temporary sessions store, app factory."""

from __future__ import annotations

import pytest
from tui_support import ReplaySession

from agent.config import HopperConfig


@pytest.fixture
def replay() -> ReplaySession:
    return ReplaySession()


@pytest.fixture
def config() -> HopperConfig:
    cfg = HopperConfig()
    cfg.index_dir = "demo-index"  # shown in the status bar: a fixed name keeps snapshots stable
    return cfg


@pytest.fixture
def store(tmp_path):
    from tui.sessions import SessionStore

    s = SessionStore(tmp_path / "sessions.sqlite3")
    yield s
    s.close()


@pytest.fixture
def make(config, store):
    """`make(session)` -> a HopperApp with a frozen clock and a temporary sessions database."""
    from tui.app import make_app

    def factory(session=None, **kwargs):
        kwargs.setdefault("live_clock", False)
        return make_app(config, session=session, store=store, **kwargs)

    return factory


