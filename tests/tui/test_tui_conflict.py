"""Issue 32, item 3: the TUI answer pane says when the documents disagree, with both citations."""

from __future__ import annotations

import pytest
from tui_support import ScriptedSession, ask, cite

pytestmark = pytest.mark.asyncio

TOWN = "Lowbridge is a market town that lies on the Sarn river. Its market is held on Thursdays."
GAZETTEER = "Lowbridge lies on the Pwnriver. The gazetteer was printed in 1911."


async def test_the_answer_pane_shows_that_documents_disagree(make):
    result = {"answer": "Not sure: the evidence is weak. Best guess: Sarn [1] (documents disagree: Sarn [1], "
                        "Pwnriver [2])",
              "short_answer": "Sarn", "confidence": 0.5, "abstained": True,
              "checks": [{"code": "answer.in_evidence", "ok": True, "reason": ""}],
              "citations": [cite(1, "Lowbridge", TOWN, quote=TOWN.split(". ")[0] + "."),
                            cite(2, "Gazetteer", GAZETTEER, quote="Lowbridge lies on the Pwnriver.")],
              "conflicts": [{"value": "Sarn", "citations": [1]}, {"value": "Pwnriver", "citations": [2]}]}
    event = {"answer": "Sarn", "conflicts": result["conflicts"], "confidence": 0.5, "was": 0.82}
    app = make(ScriptedSession([("conflict", event)], result))
    async with app.run_test(size=(110, 30)) as pilot:
        await ask(pilot, "On which river lies Lowbridge?")
        source = app.main.answer_view.source
        assert "⚠ **Documents disagree**: Sarn [1], Pwnriver [2]" in source
        box = app.main.answer_view.box_of(app.main.answer_view.current.turn_id)
        assert box.state == "guess"  # the lowered confidence makes it a best guess
        turn_node = app.main.tree.turn_node(app.main.answer_view.current.turn_id)
        labels = [str(n.label) for n in turn_node.children]
        assert "⚠ documents disagree: Sarn [1], Pwnriver [2]" in labels  # the run tree too
