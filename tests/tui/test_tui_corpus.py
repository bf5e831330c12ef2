"""The corpus screen indexes a folder in a worker, with progress, and shows the index size."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static
from tui_support import settle

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # loads the embedding model


async def test_add_folder_and_see_counts(make, config, tmp_path, replay):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Kestrel Bridge\n\nThe Kestrel Bridge in Lowbridge was designed by Oska Tamm.\n")
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
        # a missing folder is an error notification, not a traceback
        screen.query_one("#corpus-path", Input).value = str(tmp_path / "nope")
        await pilot.press("enter")
        await pilot.pause()
        assert any("does not exist" in n.message for n in app._notifications)
