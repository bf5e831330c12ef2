"""Snapshots of the main screen after an answer (recorded trace), at 80x24 and 120x40; the empty,
help and no-index states at 80x24."""

from __future__ import annotations

import pytest
from tui_support import settle

from tools.errors import IndexNotFoundError


async def answered(pilot) -> None:
    app = pilot.app
    await pilot.press(*"Who designed the Verrin lighthouse?", "enter")
    await settle(app, pilot)
    await pilot.press("tab", "3")  # focus the citations, open [3] in the evidence pane
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()  # scrolling settles before the screen is compared
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen_after_answer(snap_compare, make, replay, size):
    assert snap_compare(make(replay), terminal_size=size, run_before=answered)


def test_main_screen_empty(snap_compare, make, replay):
    assert snap_compare(make(replay), terminal_size=(80, 24))


def test_help_screen(snap_compare, make, replay):
    assert snap_compare(make(replay), terminal_size=(80, 24), press=["f1"])


def test_no_index_state(snap_compare, make):
    def factory(cfg):
        raise IndexNotFoundError("no index in demo-index; build one with `hopper index`")

    async def loaded(pilot) -> None:
        await settle(pilot.app, pilot)
        pilot.app.clear_notifications()  # the toast times out; the screen state is what is compared

    assert snap_compare(make(None, session_factory=factory), terminal_size=(80, 24), run_before=loaded)


def test_trust_signals_and_quote(snap_compare, make):
    """A constructed low-confidence answer after a fallback, one failed check, the quote highlighted."""
    from tui_support import ScriptedSession, cite

    from agent.outcome import Code
    from agent.reading.checks import check_citation, check_span

    text = ("The Verrin lighthouse stands on Gannet Point, the rocky headland north of the harbour entrance. "
            "It was designed by the engineer Oska Tamm and built between 1866 and 1871.")
    quote = "It was designed by the engineer Oska Tamm and built between 1866 and 1871."
    checks = [check_span("Oska Tamm", [text]).as_dict(),  # real check codes, so a renamed check shows here
              check_citation("Oska Tamm", ["Verrin is a port town on Cald Bay."]).as_dict()]
    citations = [cite(2, "The Verrin Lighthouse", text, quote=quote, doc_id="things/verrin_lighthouse.md"),
                 cite(4, "Verrin", "Verrin is a port town on Cald Bay.", doc_id="places/verrin.md")]
    result = {"answer": "Oska Tamm [2][4].", "short_answer": "Oska Tamm", "confidence": 0.48,
              "abstained": True, "checks": checks, "citations": citations}
    events = [("fallback", {"step": "read", "code": Code.READ_PART, "node": 1,
                            "reason": "reply 'Oska Tamm and built' cut to 'Oska Tamm'"})]

    async def run(pilot) -> None:
        await pilot.press(*"Who designed the Verrin lighthouse?", "enter")
        await settle(pilot.app, pilot)
        await pilot.press("tab")
        await pilot.pause()

    assert snap_compare(make(ScriptedSession(events, result)), terminal_size=(120, 40), run_before=run)
