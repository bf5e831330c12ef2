"""Prompt-prefix reuse for the embedded model: evaluate only the part of a prompt that differs.

Every call of one DSPy predictor starts with the same tokens: the system message (the
signature's instructions and field descriptions) and the demos. Only the final user message
changes. llama-cpp-python already keeps the KV cache of the *last* prompt and skips the part a
new prompt shares with it; this module adds a bounded store of the KV state of each
predictor's *static prefix* (everything before the last message), so a call that follows a
call of another predictor restores its prefix instead of evaluating it again.

A state is llama.cpp's own sequence state (`llama_state_seq_get_data`): the K and V cells of
the prefix tokens, nothing else (no logits): 12 KiB per token for Qwen2.5-0.5B (24 layers x
2 KV heads x 64 dims x K+V x f16), i.e. 12 MiB for a 1,000-token prefix. The store keeps the
most recently used states up to `capacity_bytes` (`lm.prefix_cache_mb`, default 256 MiB:
about 20,000 prefix tokens); a single state larger than that is not kept.

llama-cpp-python's `LlamaRAMCache` is not used: it saves the whole context after every call,
including a copy of the logits buffer (n_batch x vocabulary floats, 311 MB for Qwen), and
keys it by prompt *and* reply tokens, so the next call of the predictor rarely matches it.
"""

from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

MIN_PREFIX_TOKENS = 16
"""Shorter prefixes are cheaper to evaluate than to save and restore."""


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass
class PrefixStats:
    """What the last `prepare` did, in tokens."""

    prefix_tokens: int = 0
    restored: int = 0
    """Tokens whose KV state came from the store."""
    evaluated: int = 0
    """Prefix tokens evaluated (and then stored) before the completion."""
    kept: int = 0
    """Tokens the context already held from the previous call."""


class PrefixStates:
    """An LRU store of sequence states keyed by their prefix tokens, bounded in bytes."""

    def __init__(self, capacity_bytes: int):
        self.capacity_bytes = max(0, int(capacity_bytes))
        self._states: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._states)

    def get(self, key: tuple[int, ...]) -> bytes | None:
        state = self._states.get(key)
        if state is None:
            self.misses += 1
            return None
        self._states.move_to_end(key)
        self.hits += 1
        return state

    def put(self, key: tuple[int, ...], state: bytes) -> bool:
        """Keep `state` (evicting the least recently used); False when it alone exceeds the bound."""
        if len(state) > self.capacity_bytes:
            return False
        old = self._states.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        while self._states and self.bytes + len(state) > self.capacity_bytes:
            _, evicted = self._states.popitem(last=False)
            self.bytes -= len(evicted)
        self._states[key] = state
        self.bytes += len(state)
        return True

    def clear(self) -> None:
        self._states.clear()
        self.bytes = 0


def save_sequence(llama: Any) -> bytes:
    """The KV state of sequence 0 of `llama`'s context."""
    import llama_cpp  # heavy: llama.cpp

    ctx = llama._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buf = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
    if written <= 0 or written > size:
        raise RuntimeError("llama.cpp could not copy the sequence state")
    return bytes(buf[:written]) if written != size else bytes(buf)


def restore_sequence(llama: Any, tokens: Sequence[int], state: bytes) -> bool:
    """Replace `llama`'s context by `state`, the KV of `tokens`; False (context cleared) on failure."""
    import llama_cpp  # heavy: llama.cpp

    llama._ctx.kv_cache_clear()
    buf = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buf, len(state), 0) != len(state):
        llama.reset()
        llama._ctx.kv_cache_clear()
        return False
    n = len(tokens)
    llama.input_ids[:n] = tokens
    llama.n_tokens = n
    llama._requires_eval = True  # the logits are not restored: the suffix decode refreshes them
    return True


def prepare(llama: Any, tokens: Sequence[int], prefix_len: int, states: PrefixStates | None) -> PrefixStats:
    """Make `llama`'s context hold exactly `tokens[:prefix_len]`: kept, restored, or evaluated.

    Afterwards `Llama.generate` finds the prefix in its context and evaluates only the rest.
    The evaluation schedule never depends on what was reused: a prefix is always evaluated on
    its own from an empty context, and the rest of the prompt always starts at the prefix
    boundary, so the KV values (and greedy replies) are bit-identical with and without reuse
    (`states=None`: evaluate the prefix, store nothing). A prefix shorter than
    `MIN_PREFIX_TOKENS`, or the whole prompt, counts as none: the prompt is evaluated from scratch.
    """
    if prefix_len < MIN_PREFIX_TOKENS or prefix_len >= len(tokens):
        prefix_len = 0
    stats = PrefixStats(prefix_tokens=prefix_len)
    have = common_prefix(llama.input_ids[:llama.n_tokens].tolist(), tokens[:prefix_len]) if states else 0
    if prefix_len and have >= prefix_len:
        stats.kept = prefix_len
        llama.n_tokens = prefix_len  # later tokens of the last prompt are dropped, never reused
        return stats
    key = tuple(tokens[:prefix_len])
    state = states.get(key) if states is not None and prefix_len else None
    if state is not None and restore_sequence(llama, key, state):
        stats.restored = prefix_len
        return stats
    llama.reset()
    llama._ctx.kv_cache_clear()  # the same cell layout as a restored state
    if prefix_len:
        llama.eval(list(key))
        stats.evaluated = prefix_len
        if states is not None and not states.put(key, save_sequence(llama)):
            logger.debug("prompt prefix of %d tokens exceeds the prefix store (%d bytes)", prefix_len,
                         states.capacity_bytes)
    return stats
