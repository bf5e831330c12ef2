"""What a run may spend, checked before it starts.

- `check_prompt_budget(question, cfg)`: refuses, before any work, a question that cannot fit
  the embedded LM's context window (`lm.n_ctx`) next to the instructions, the passages and
  the reply, and says how long a question can be.
- `budget_answer(stop, settings)`: what a run that ran out of a budget before finding its answer
  says instead of "could not find enough evidence".

How a run ended is decided from the codes of its trace: `agent.outcome.status_of`.
"""

from __future__ import annotations

from typing import Any

from agent.lm.models import is_local
from agent.outcome import Stop
from tools.errors import InputError

CHARS_PER_TOKEN = 3.0
"""A conservative characters-per-token ratio for English text (Qwen's tokenizer averages ~4)."""
FIXED_PROMPT_TOKENS = 1000
"""Instructions, field descriptions and the compiled demos of the largest step (the answer)."""
PASSAGE_TOKENS = 170
"""One passage as the answer step shows it (about 480 characters plus its number and title)."""
QUESTION_COPIES = 2
"""The answer step shows the question and, in its notes, the sub-questions made from it."""

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


_BUDGETS = {Stop.SECONDS: ("max_seconds", "time budget", " s"), Stop.TOOL_CALLS: ("max_tool_calls",
            "tool-call budget", ""), Stop.TOKENS: ("max_tokens", "token budget", "")}


def budget_answer(stop: str, settings: Any) -> str:
    """The answer of a run stopped by budget `stop` (an `agent.outcome.Stop`) before it found one.

    Args:
        stop: which budget ran out.
        settings: the run's `agent.config.AgentSettings` (the limit is named with its value).
    """
    name, what, unit = _BUDGETS.get(stop, (str(stop), f"{stop} budget", ""))
    value = getattr(settings, name, "?")
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return (f"The {what} ran out (agent.{name} = {shown}{unit}) before enough evidence was found: raise "
            f"agent.{name} (HOPPER_AGENT_{name.upper()}) or ask a narrower question.")
