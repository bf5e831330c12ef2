"""A run's status comes from the codes of its trace, never from the wording of a message."""

from __future__ import annotations

import pytest

from agent.outcome import UNUSABLE_REPLY, Code, Fallback, Status, status_of
from agent.trace import Trace


def _trace(*fallbacks: tuple[str, str], lm_steps: int = 2) -> Trace:
    t = Trace()
    for _ in range(lm_steps):
        t.emit("step", kind="lm", step="read", node=None, text="read with the LM")
    for code, reason in fallbacks:
        t.emit("fallback", step="read", node=None, code=code, reason=reason)
    return t


@pytest.mark.parametrize("fallbacks, sufficient, stopped, status", [
    # every LM step fell back on an unusable reply: the status says so, whatever the words
    ([(Code.REPLY_UNPARSEABLE, "anything at all"), (Code.READ_NOT_YES_NO, "")], False, "",
     Status.INSUFFICIENT_LM),
    # the same codes, but the run has an answer, or a budget stopped it
    ([(Code.REPLY_UNPARSEABLE, ""), (Code.READ_NO_OPTION, "")], True, "", Status.OK),
    ([(Code.REPLY_UNPARSEABLE, ""), (Code.READ_NO_OPTION, "")], False, "seconds", Status.BUDGET),
    # a message worded like an unusable reply, under a code that is not one, changes nothing
    ([(Code.READ_PART, "unparseable reply (AdapterParseError)"),
      (Code.READ_COUNTED, "reply 'x' refused (not in evidence)")], False, "", Status.OK),
    # one usable step of two
    ([(Code.REPLY_UNPARSEABLE, "")], False, "", Status.OK),
])
def test_status_is_read_from_codes(fallbacks, sufficient, stopped, status):
    assert status_of(_trace(*fallbacks).events, sufficient, stopped) == status


def test_codes_survive_a_saved_trace(tmp_path):
    from agent.trace import load_trace

    path = tmp_path / "t.jsonl"
    _trace((Code.READ_REFUSED_CHOSE, "chose a span"), (Code.REPLY_UNPARSEABLE, "x")).save(path)
    loaded = load_trace(path)
    assert [e.data["code"] for e in loaded.of_type("fallback")] == ["read.refused_chose", "reply.unparseable"]
    assert status_of(loaded.events, False) == Status.INSUFFICIENT_LM


def test_a_fallback_is_a_code_and_a_message():
    f = Fallback(Code.PLAN_EMPTY, "empty decomposition")
    assert str(f) == "empty decomposition" and f.code == "decompose.empty"
    assert UNUSABLE_REPLY <= set(Code) and len({c.value for c in Code}) == len(Code)
