"""Issue 34: the TUI as a conversation: follow-ups read with the session, answer states and their
colours, sessions tied to their index, the transcript's scrolling, keys and focus."""

from __future__ import annotations

import pytest
from tui_support import ScriptedSession, cite, settle

pytestmark = pytest.mark.asyncio

TAMM = "Oska Tamm (1829–1903) was an engineer. He died in Verrin in the winter of 1903."


async def ask(pilot, question: str) -> None:
    await pilot.press("ctrl+l", *question, "enter")
    await settle(pilot.app, pilot)


async def test_a_follow_up_shows_how_it_was_read_in_the_transcript_and_the_run_tree(make, store):
    followup = {"question": "When did he die?", "standalone": "When did Oska Tamm die?", "by": "code",
                "refs": ["he → Oska Tamm"]}
    result = {"answer": "1903 [1]", "short_answer": "1903", "confidence": 0.9, "standalone": followup["standalone"],
              "citations": [cite(1, "Oska Tamm", TAMM, quote=TAMM.split(". ")[1])]}
    app = make(ScriptedSession([("followup", followup)], result))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "When did he die?")
        assert "_read as: When did Oska Tamm die?_" in app.main.answer_view.source
        labels = [str(n.label) for n in app.main.tree.turn_node(app.main.answer_view.current.turn_id).children]
        assert any(label.startswith("follow-up, read as: When did Oska Tamm die?") for label in labels)
        [turn] = store.turns(app.session_id)
        assert turn.answer["standalone"] == "When did Oska Tamm die?"
        assert [e["type"] for e in turn.events].count("followup") == 1
        assert store.history(app.session_id) == [("When did Oska Tamm die?", "1903")]
