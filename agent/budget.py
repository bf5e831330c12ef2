"""What a run may spend, checked before it starts, and why it ended the way it did.

- `check_prompt_budget(question, cfg)`: refuses, before any work, a question that cannot fit
  the embedded LM's context window (`lm.n_ctx`) next to the instructions, the passages and
  the reply, and says how long a question can be.
- `run_status(trace, sufficient, stopped)`: the run's status with the reason when there was no
  answer: `insufficient: unusable LM replies` when every LM reply was unusable.
"""

from __future__ import annotations

import re
from typing import Any

from tools.errors import InputError

CHARS_PER_TOKEN = 3.0
"""A conservative characters-per-token ratio for English text (Qwen's tokenizer averages ~4)."""
FIXED_PROMPT_TOKENS = 1000
"""Instructions, field descriptions and the compiled demos of the largest step (the answer)."""
PASSAGE_TOKENS = 170
"""One passage as the answer step shows it (about 480 characters plus its number and title)."""
QUESTION_COPIES = 2
"""The answer step shows the question and, in its notes, the sub-questions made from it."""

INSUFFICIENT_LM = "insufficient: unusable LM replies"
_UNUSABLE = re.compile(r"unparseable |unusable reply|reply .* (?:refused|is neither|names none)")
"""Fallback reasons (`agent.modules`, `agent.reading.reader`) that mean the LM's reply was of no use."""


def estimate_tokens(text: str) -> int:
    return int(len(text.encode("utf-8")) / CHARS_PER_TOKEN) + 1


def question_room(cfg: Any) -> int:
    """Tokens left for the question in the largest prompt of a run with `cfg`."""
    lm, agent = cfg.lm, cfg.agent
    passages = 0 if agent.mode == "closed" else agent.evidence_k * PASSAGE_TOKENS
    return (lm.n_ctx - lm.max_tokens - FIXED_PROMPT_TOKENS - passages) // QUESTION_COPIES


def check_prompt_budget(question: str, cfg: Any) -> None:
    """Refuse `question` when the largest prompt of the run cannot fit the LM's context window.

    Only the embedded models' window is known (`lm.n_ctx`); a remote model's is its provider's.

    Raises:
        InputError: naming the question's size, the window and what fits.
    """
    from agent.lm.models import is_local

    if not is_local(cfg.lm.model):
        return
    room = question_room(cfg)
    need = estimate_tokens(question)
    if need <= room:
        return
    fits = max(0, int(room * CHARS_PER_TOKEN))
    source = cfg.sources.get("lm.n_ctx", "default")
    raise InputError(
        f"the question is too long for the LM: about {need:,} tokens ({len(question):,} characters), but "
        f"with "
        f"lm.n_ctx = {cfg.lm.n_ctx:,} (from {source}), lm.max_tokens = {cfg.lm.max_tokens:,} and "
        f"agent.evidence_k = {cfg.agent.evidence_k} passages, about {fits:,} characters fit: shorten the "
        f"question "
        f"to its point (index long text with `hopper index` and ask about it instead)")


def run_status(trace: Any, sufficient: bool, stopped: str = "") -> str:
    """`budget` when a budget stopped the run; `insufficient: unusable LM replies` when the run
    has no answer and every LM step fell back because its reply was unusable; else `ok`."""
    if stopped:
        return "budget"
    if sufficient:
        return "ok"
    steps = [e for e in trace.events if e.type == "step" and e.data.get("kind") == "lm"]
    unusable = [e for e in trace.events
                if e.type == "fallback" and _UNUSABLE.match(str(e.data.get("reason", "")))]
    if steps and len(unusable) >= len(steps):
        return INSUFFICIENT_LM
    return "ok"
