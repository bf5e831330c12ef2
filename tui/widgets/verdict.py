"""How sure an answer is, as the transcript shows it: one state, one verdict line, the fallbacks folded.

Pure functions over a `TurnView`:

- `answer_state`: answered | guess | not-found | unchecked | error | "" (running, cancelled);
- `verdict`: the one line under the answer, coloured by its state (confidence on every shape);
- `fallback_summary` / `fallback_lines`: the one-line fold and what it expands to;
- `body_markdown`: the question and answer without what the verdict and the fold show.
"""

from __future__ import annotations

from dataclasses import replace

from agent.result import INSUFFICIENT
from tui.widgets.turns import ANSWER_STEPS, TurnView, confidence_word, turn_markdown


def answer_state(turn: TurnView) -> str:
    if turn.status == "error":
        return "error"
    if turn.status not in ("ok", "budget"):
        return ""
    if turn.not_found or not turn.sufficient or turn.answer.strip() == INSUFFICIENT:
        return "not-found"
    if turn.abstained:
        return "guess"
    if turn.confidence is None and not (turn.items and turn.shape != "factoid"):
        return "unchecked"
    return "answered"


def _checks(turn: TurnView) -> list[str]:
    if not turn.checks:
        return []
    failed = [c for c in turn.checks if not c.get("ok")]
    out = [f"checks {len(turn.checks) - len(failed)}/{len(turn.checks)} passed"]
    out += [f"✗ {c.get('code', '?')}: {c.get('reason') or ''}".rstrip(": ") for c in failed]
    return out


def _confidence(turn: TurnView) -> str:
    if turn.confidence is not None:
        return f"confidence {turn.confidence:.0%} ({confidence_word(turn.confidence)})"
    if turn.items and turn.shape != "factoid":
        kept = len(turn.items)
        dropped = f", {turn.dropped} unsupported dropped" if turn.dropped else ""
        return f"confidence: each of the {kept} line(s) is checked against its citations{dropped}"
    return "confidence not measured"


def verdict(turn: TurnView) -> str:
    """The line under an answer ('' while running, when cancelled or failed)."""
    state = answer_state(turn)
    if state == "not-found":
        if turn.not_found:
            closest = "the closest passages are cited, none states it" if turn.citations else "nothing close"
            return f"✗ Not in your documents · {closest}"
        return "✗ No answer in your documents: the evidence found was not enough to answer."
    if state == "guess":
        return " · ".join(["⚠ Best guess, not a checked answer", _confidence(turn), *_checks(turn)])
    if state in ("answered", "unchecked"):
        mark = "✓ " if state == "answered" else ""
        return mark + " · ".join([_confidence(turn), *_checks(turn)])
    return ""


def fallback_lines(turn: TurnView) -> list[str]:
    """Each fallback as `step: reason`, those that changed the answer first."""
    answer_fb = [f for f in turn.fallbacks if f["step"] in ANSWER_STEPS]
    search_fb = [f for f in turn.fallbacks if f["step"] not in ANSWER_STEPS]
    return [f"{f['step']}: {' '.join(str(f['reason']).split())}" for f in answer_fb + search_fb]


def fallback_summary(turn: TurnView) -> str:
    """The fold's one line: how many fallbacks, in which steps."""
    answer_fb = [f["step"] for f in turn.fallbacks if f["step"] in ANSWER_STEPS]
    search_fb = [f["step"] for f in turn.fallbacks if f["step"] not in ANSWER_STEPS]
    parts = []
    if answer_fb:
        parts.append(f"answered after {len(answer_fb)} fallback(s) ({', '.join(dict.fromkeys(answer_fb))})")
    if search_fb:
        parts.append(f"search plan: {len(search_fb)} fallback(s) ({', '.join(dict.fromkeys(search_fb))})")
    return ("⚠ " if answer_fb else "") + "; ".join(parts)


def body_markdown(turn: TurnView) -> str:
    """The turn's Markdown without the trust lines the verdict and the fold show (others stay)."""
    bare = replace(turn, not_found=False, abstained=False, fallbacks=[], confidence=None, checks=[])
    return turn_markdown(bare)


def turn_text(turn: TurnView) -> str:
    """Everything the transcript shows of a turn, as text (tests and `AnswerView.source` read it)."""
    parts = [body_markdown(turn), verdict(turn)]
    lines = fallback_lines(turn)
    if lines:
        parts += [fallback_summary(turn), *lines]
    return "\n\n".join(p for p in parts if p)
