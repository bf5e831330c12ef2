"""Snapshots of the main screen after an answer (recorded trace), at 80x24 and 120x40."""

from __future__ import annotations

import pytest
from tui_support import settle


async def answered(pilot) -> None:
    app = pilot.app
    await pilot.click("#question")
    await pilot.press(*"Who designed the Verrin lighthouse?", "enter")
    await settle(app, pilot)
    await pilot.press("tab", "1")  # focus the citations, open [1] in the evidence pane
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen_after_answer(snap_compare, make, replay, size):
    assert snap_compare(make(replay), terminal_size=size, run_before=answered)


def test_main_screen_empty(snap_compare, make, replay):
    assert snap_compare(make(replay), terminal_size=(80, 24))
