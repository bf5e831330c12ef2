"""Snapshots of the main screen after an answer (recorded trace), at 80x24 and 120x40; the empty,
help and no-index states at 80x24."""

from __future__ import annotations

import pytest
from tui_support import settle, type_text

from tools.errors import IndexNotFoundError


async def answered(pilot) -> None:
    app = pilot.app
    await type_text(pilot, "Who designed the Verrin lighthouse?")
    await pilot.press("enter")
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
        await type_text(pilot, "Who designed the Verrin lighthouse?")
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        await pilot.press("tab")
        await pilot.pause()

    assert snap_compare(make(ScriptedSession(events, result)), terminal_size=(120, 40), run_before=run)


async def conversation(pilot) -> None:
    """A follow-up read as a standalone question, then a question the documents cannot answer."""
    for question in ("When did he die?", "Who won the 2022 World Cup?"):
        await type_text(pilot, question)
        await pilot.press("enter")
        await settle(pilot.app, pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


class _Conversation:
    """Two scripted runs: a follow-up answered at 90%, then 'not in your documents'."""

    def __init__(self):
        from tui_support import ScriptedSession, cite

        tamm = cite(1, "Oska Tamm", "Oska Tamm (1829–1903) was an engineer. He died in Verrin in 1903.",
                    quote="He died in Verrin in 1903.", doc_id="people/oska_tamm.md")
        cup = cite(1, "The Ormsby Cup", "The Ormsby Cup is a rowing race on the Oller.",
                   doc_id="events/cup.md")
        followup = {"question": "When did he die?", "standalone": "When did Oska Tamm die?", "by": "code",
                    "refs": ["he → Oska Tamm"]}
        self.runs = [
            ScriptedSession([("followup", followup)],
                            {"answer": "1903 [1]", "short_answer": "1903", "confidence": 0.9,
                             "standalone": "When did Oska Tamm die?", "citations": [tamm],
                             "checks": [{"code": "answer.in_evidence", "ok": True, "reason": ""}]}),
            ScriptedSession([], {"answer": "Not in your documents: none of the passages states who won.",
                                 "short_answer": "", "not_found": True, "citations": [cup]})]
        self.agent = self.runs[0].agent
        self.index = self.runs[0].index

    def ask(self, question, **kwargs):
        return self.runs.pop(0).ask(question, **kwargs)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_follow_up_and_not_in_your_documents(snap_compare, make, size):
    assert snap_compare(make(_Conversation()), terminal_size=size, run_before=conversation)
