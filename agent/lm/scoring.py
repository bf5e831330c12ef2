"""How likely the embedded model finds each of several replies: one prompt, scored continuations.

`score_replies(llama, prompt, replies)` evaluates the prompt once, then each reply's tokens one
at a time, and returns each reply's log-probability as the *whole* reply: the sum of its tokens'
log-probabilities plus that of ending there (the end-of-turn token or a line break). This is how
a small reader chooses among candidate spans without writing anything: the span it would most
likely have written as its answer, restricted to spans that exist (llama.cpp's logits, no
sampling, no grammar).

The prompt's static prefix goes through `agent.lm.prefix.prepare` exactly as a completion's does
(kept, restored or evaluated on its own), so scoring never changes the KV values a later
completion reuses: greedy replies stay identical with and without scoring in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agent.lm.prefix import PrefixStates, common_prefix, prepare

MAX_REPLY_TOKENS = 24
"""A longer reply is cut here (the reader's replies are capped at 24 tokens too)."""


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = float(logits.max())
    return logits - (top + np.log(np.exp(logits - top).sum()))


def _last_logits(llama: Any) -> np.ndarray:
    return np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(np.float64)


def end_tokens(llama: Any) -> list[int]:
    """The tokens that end a one-line reply: end of turn / text, and a line break."""
    ends = {llama.token_eos()}
    ends.update(llama.tokenize(b"\n", add_bos=False, special=False)[:1])
    eot = llama.tokenize(b"<|im_end|>", add_bos=False, special=True)
    if len(eot) == 1:
        ends.add(eot[0])
    return sorted(t for t in ends if t is not None and t >= 0)


def score_replies(llama: Any, prompt: Sequence[int], replies: Sequence[str], *, prefix_len: int = 0,
                  store: PrefixStates | None = None) -> list[float]:
    """The log-probability of each of `replies` as the whole reply to `prompt` (tokens ending with
    the assistant header). `prefix_len`/`store`: the static prefix and its state store, as for a
    completion (`agent.lm.prefix`). The caller holds the model's lock."""
    prompt = list(prompt)
    if not prompt or not replies:
        return [float("-inf")] * len(replies)
    prepare(llama, prompt, prefix_len, store)
    # The rest of the prompt, from where the context stops (at least its last token, for its logits).
    start = min(llama.n_tokens, len(prompt) - 1)
    start = common_prefix(llama.input_ids[:start].tolist(), prompt[:start])
    llama.n_tokens = start
    llama.eval(prompt[start:])
    ends = end_tokens(llama)
    context = _Context(llama, _log_softmax(_last_logits(llama)))
    out = []
    for reply in replies:
        tokens = tuple(llama.tokenize(reply.strip().encode("utf-8"), add_bos=False,
                                      special=False)[:MAX_REPLY_TOKENS])
        if not tokens:
            out.append(float("-inf"))
            continue
        total = sum(float(context.next(tokens[:i])[token]) for i, token in enumerate(tokens))
        total += float(np.logaddexp.reduce(context.next(tokens)[ends]))
        out.append(total)
    return out


class _Context:
    """The prompt in llama.cpp's context plus the reply prefix evaluated last (`held`), and the
    next-token log-probabilities after every reply prefix evaluated so far (replies often share
    their start: "Ada Brook" and "Ada Brook, Jr.")."""

    def __init__(self, llama: Any, after_prompt: np.ndarray):
        self.llama = llama
        self.n_prompt = llama.n_tokens
        self.held: tuple[int, ...] = ()
        self.memo: dict[tuple[int, ...], np.ndarray] = {(): after_prompt}

    def next(self, tokens: tuple[int, ...]) -> np.ndarray:
        """Next-token log-probabilities after the prompt and `tokens` (evaluating what is missing)."""
        got = self.memo.get(tokens)
        if got is not None:
            return got
        keep = common_prefix(self.held, tokens)
        self.llama.n_tokens = self.n_prompt + keep  # `eval` drops the KV cells from here on
        for i in range(keep, len(tokens)):
            self.llama.eval([tokens[i]])
            self.memo[tokens[: i + 1]] = _log_softmax(_last_logits(self.llama))
        self.held = tokens
        return self.memo[tokens]
