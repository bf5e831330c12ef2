"""The corpus screen indexes a folder in a worker, with progress, shows the index size, re-syncs the
folders already indexed, and opens a document in $PAGER (keyboard only)."""

from __future__ import annotations

import stat

import pytest
from textual.widgets import DataTable, Input, Static
from tui_support import settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # loads the embedding model


async def test_add_folder_and_see_counts(make, config, tmp_path, replay, monkeypatch):
    log = tmp_path / "pager.log"
    pager = tmp_path / "pager"
    pager.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    pager.chmod(pager.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PAGER", str(pager))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Kestrel Bridge\n\n"
                               "The Kestrel Bridge in Lowbridge was designed by Oska Tamm.\n")
    (docs / "b.txt").write_text("Lowbridge is a town on the river Sarn.\n")
    config.index_dir = str(tmp_path / "idx")
    config.index.graph = False
    app = make(replay)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        screen = app.screen
        assert "empty" in str(screen.query_one("#corpus-stats", Static).render())
        screen.query_one("#corpus-path", Input).value = str(docs)
        await pilot.press("enter")
        await settle(app, pilot)
        stats = str(screen.query_one("#corpus-stats", Static).render())
        assert "2 documents" in stats and "chunks" in stats
        assert screen.query_one("#corpus-docs", DataTable).row_count == 2
        assert not any(n.severity == "error" for n in app._notifications)
        assert replay.agent.runtime.index.manifest.counts["documents"] == 2  # the session sees the new index
        # re-sync: a new file and a deleted one in the indexed folder, F5 brings the index up to date
        (docs / "c.md").write_text("# Sarn\n\nThe Sarn flows through Lowbridge to Cald Bay.\n")
        (docs / "b.txt").unlink()
        await pilot.press("f5")
        await settle(app, pilot)
        assert "1 added, 0 changed, 1 removed" in str(screen.query_one("#corpus-task", Static).render())
        table = screen.query_one("#corpus-docs", DataTable)
        assert table.row_count == 2
        assert "2 documents" in str(screen.query_one("#corpus-stats", Static).render())
        # Enter on a document opens it
        table.focus()
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert log.read_text().split()[-1] == str(docs / "c.md")
        # a missing folder is an error notification, not a traceback
        screen.query_one("#corpus-path", Input).value = str(tmp_path / "nope")
        await pilot.press("shift+tab", "shift+tab", "enter")  # back to the path field
        await pilot.pause()
        assert any("does not exist" in n.message for n in app._notifications)
