"""Why a step fell back, why a run stopped and how it ended: codes for programs, messages for people.

Every fallback a stage takes is a `Fallback(code, reason)`: code reads the `code` (the run's
status, the TUI, the tests), a person reads the `reason`. Rewording a reason changes nothing else.
The `fallback` trace event carries both (`step, node, code, reason`); a `budget` event carries its
`Stop` code as `reason`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """What a stage did instead of using the LM's reply (or its first plan) as it was."""

    # the LM's reply was of no use (a run whose every LM step ends in one has status INSUFFICIENT_LM)
    REPLY_UNPARSEABLE = "reply.unparseable"
    """The reply did not parse (any LM step)."""
    READ_REFUSED_ALONE = "read.refused_alone"
    """The reader's reply failed a check; one of the best sentences, read by itself, answered."""
    READ_REFUSED_CHOSE = "read.refused_chose"
    """The reader's reply failed a check; a candidate span of the evidence was chosen instead."""
    READ_REFUSED_NO_SPAN = "read.refused_no_span"
    """The reader's reply failed a check and no candidate span fits: no answer."""
    READ_NOT_YES_NO = "read.not_yes_no"
    """A yes/no question's reply is neither, and nothing else settled it."""
    READ_NO_OPTION = "read.no_option"
    """A choice question's reply names none of the options, and nothing else settled it."""

    # the reply was used in part, or corrected by the evidence
    REPLY_CUT_OFF = "reply.cut_off"
    """The reply was cut off by the token cap: its complete fields were read."""
    PLAN_EMPTY = "decompose.empty"
    PLAN_ECHO = "decompose.echo"
    """The decomposition only repeated the question."""
    PLAN_UNSOUND = "decompose.unsound"
    """The parse's query tree has a hop that cannot be asked: the whole question is read."""
    KEYWORDS_DEGENERATE = "rewrite.degenerate"
    """The rewrite's keywords were empty or the question itself: code picked them."""
    READ_NO_SENTENCES = "read.no_sentences"
    READ_COUNTED = "read.counted"
    """"How many times": the evidence's count word replaces the reply."""
    READ_LIFE_SPAN = "read.life_span"
    """The reply dates another event than the one asked: the passage's life span gives the year."""
    READ_RECONSIDERED = "read.reconsidered"
    """Better sentences, read alone, answer otherwise than the reply."""
    READ_PART = "read.part"
    """A part of the reply is the answer."""

    # the run's own choices
    SEARCH_NO_GRAPH = "search.no_graph"
    """A graph retriever was asked for an index without a knowledge graph: hybrid search instead."""
    ANSWER_LAST_HOP_OPEN = "answer.last_hop_open"
    """The last sub-question went unanswered: the whole question is read."""
    ANSWER_NO_EVIDENCE = "answer.no_evidence"
    ANSWER_LAST_HOP_REFUSED = "answer.last_hop_refused"
    """The last hop's answer failed the whole question's checks: the whole question is read."""
    ANSWER_CHECKS_FAILED = "answer.checks_failed"
    """The final answer failed the final checks: no answer."""
    ANSWER_SENTENCE_DROPPED = "answer.sentence_dropped"
    """The LM's answer sentence did not state the checked answer: the short answer is kept."""
    SYNTHESIS_EMPTY = "synthesis.empty"
    """No retrieved document bears on an open question closely enough."""
    FOLLOWUP_BY_CODE = "followup.by_code"
    """The LM's standalone rewrite of a follow-up question was of no use: code rewrote it."""


UNUSABLE_REPLY = frozenset({Code.REPLY_UNPARSEABLE, Code.READ_REFUSED_ALONE, Code.READ_REFUSED_CHOSE,
                            Code.READ_REFUSED_NO_SPAN, Code.READ_NOT_YES_NO, Code.READ_NO_OPTION})
"""Fallbacks that mean the LM's reply was of no use."""


class Stop(StrEnum):
    """Which budget stopped a run (or a sub-question's rounds): the `budget` event's `reason`."""

    ROUNDS = "rounds"
    TOOL_CALLS = "tool_calls"
    TOKENS = "tokens"
    SECONDS = "seconds"


class Status(StrEnum):
    """How a run ended: `AgentResult.status` and the `run_end` event's `status`."""

    OK = "ok"
    BUDGET = "budget"
    CANCELLED = "cancelled"
    ERROR = "error"
    INSUFFICIENT_LM = "insufficient: unusable LM replies"
    """No answer, and every LM step fell back because its reply was of no use."""


@dataclass(frozen=True)
class Fallback:
    """A fallback a stage took: `code` for programs, `reason` for people."""

    code: Code
    reason: str

    def __str__(self) -> str:
        return self.reason


def status_of(events, sufficient: bool, stopped: str = "") -> Status:
    """The run's status from its trace `events`' codes: BUDGET when a budget stopped it; OK with an
    answer; INSUFFICIENT_LM when it has none and every LM step fell back on an unusable reply."""
    if stopped:
        return Status.BUDGET
    if sufficient:
        return Status.OK
    events = list(events)
    steps = [e for e in events if e.type == "step" and e.data.get("kind") == "lm"]
    unusable = [e for e in events if e.type == "fallback" and e.data.get("code") in UNUSABLE_REPLY]
    if steps and len(unusable) >= len(steps):
        return Status.INSUFFICIENT_LM
    return Status.OK
