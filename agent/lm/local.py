"""Embedded GGUF models run in-process with llama.cpp, as a DSPy 3.4 LM engine.

DSPy 3.4 deprecates custom `BaseLM.forward()`; its supported extension point is an *engine*
with `complete(dspy.lm15.Request) -> dspy.lm15.Response`, passed as `dspy.LM(model,
engine=...)`. DSPy then owns the rest: prompt formatting (adapters), the call cache,
retries, history, usage tracking and the `on_lm_start`/`on_lm_end` callbacks.

This engine renders the request with the GGUF's own chat template (llama.cpp reads
`tokenizer.chat_template`), reports token usage, and turns a JSON-schema `response_format`
(what `dspy.JSONAdapter` sends) into a llama.cpp grammar, so structured outputs parse even
on a 0.5B model. The `Llama` object is loaded lazily on the first call and shared per
process per (path, settings); a lock serialises calls on it. Each call restores or keeps the
KV state of its prompt's static prefix (see `agent.lm.prefix`), so it evaluates only the tokens
that differ from calls made before.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from agent.lm.loader import (
    CallStats,
    LlamaOptions,
    LoadedModel,
    _one_line,
    default_threads,
    load_model,
    unload_all,
)
from agent.lm.models import select_local
from agent.lm.prefix import PrefixStats, common_prefix

__all__ = ["LlamaEngine", "LlamaOptions", "LoadedModel", "default_threads", "grammar_format", "load_model",
           "to_chat_messages", "unload_all"]

logger = logging.getLogger(__name__)

_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_call", "content_filter": "content_filter"}


def _text(parts: Any) -> str:
    """The text of a system value or of a message's parts; other part kinds are refused."""
    from dspy.lm15 import UnsupportedFeatureError  # heavy: dspy

    if parts is None:
        return ""
    if isinstance(parts, str):
        return parts
    texts = []
    for part in parts:
        text = getattr(part, "text", None)
        if getattr(part, "type", "text") != "text" or text is None:
            kind = getattr(part, "type", part)
            raise UnsupportedFeatureError(f"the embedded model reads text only, not {kind!r}")
        texts.append(text)
    return "".join(texts)


def to_chat_messages(request: Any) -> list[dict[str, str]]:
    """An lm15 Request as OpenAI-style chat messages for llama.cpp's chat template."""
    messages = []
    system = _text(request.system)
    if system:
        messages.append({"role": "system", "content": system})
    for message in request.messages:
        role = {"developer": "system", "tool": "user"}.get(message.role, message.role)
        messages.append({"role": role, "content": _text(message.parts)})
    return messages


def prefix_tokens(llama: Any, formatter: Any, messages: list[dict[str, str]]) -> list[int]:
    """The tokens of `messages` rendered by the chat template: a whole prompt to score, or the
    static prefix of a call (everything before its last message)."""
    rendered = formatter(messages=messages)
    return llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)


def grammar_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """An OpenAI-style `response_format` as llama-cpp-python's (a JSON-schema grammar)."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        inner = response_format.get("json_schema", response_format)
        schema = inner.get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    if kind == "json_object":
        schema = response_format.get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    return None


class LlamaEngine:
    """A DSPy engine (`complete(Request) -> Response`) over a shared llama.cpp model.

    Attributes read by DSPy's adapters: `supports_response_schema` (so `JSONAdapter`
    sends the output schema) and `supported_params`. `last_timing` holds llama.cpp's counters
    of the last call; `totals` sums them over the engine's calls.
    """

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "top_p", "top_k", "stop",
                                  "seed"})

    def __init__(self, name: str, model_id: str, *, n_ctx: int = 4096, n_threads: int = 0,
                 options: LlamaOptions | None = None):
        self.name = name
        self.model_id = model_id
        self.options = (options or LlamaOptions(n_ctx=n_ctx, n_threads=n_threads)).resolved()
        self.calls = 0
        self.last_timing: dict[str, float] = {}
        self.totals: dict[str, float] = {}

    @property
    def n_ctx(self) -> int:
        return self.options.n_ctx

    @property
    def n_threads(self) -> int:
        return self.options.n_threads

    def __repr__(self) -> str:
        return f"LlamaEngine({self.name!r}, n_ctx={self.n_ctx}, n_threads={self.n_threads})"

    # DSPy saves a custom engine as its class path plus this state (no secrets here).
    def dump_state(self) -> dict[str, Any]:
        return {"name": self.name, "model_id": self.model_id, **dataclasses.asdict(self.options)}

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> LlamaEngine:
        known = {f.name for f in dataclasses.fields(LlamaOptions)}
        return cls(state["name"], state["model_id"],
                   options=LlamaOptions(**{k: v for k, v in state.items() if k in known}))

    def model(self) -> LoadedModel:
        """The shared llama.cpp model, assembling and loading it on first use."""
        return load_model(select_local(self.name).path(), self.options)

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import ContextLengthError, Message, Response, TextPart, Usage  # heavy: dspy

        config = request.config
        messages = to_chat_messages(request)
        kwargs: dict[str, Any] = {
            "temperature": 0.0 if config.temperature is None else config.temperature,
            "max_tokens": config.max_tokens or 512,
        }
        if config.top_p is not None:
            kwargs["top_p"] = config.top_p
        if config.top_k is not None:
            kwargs["top_k"] = config.top_k
        if config.stop:
            kwargs["stop"] = list(config.stop)
        if config.seed is not None:
            kwargs["seed"] = config.seed
        fmt = grammar_format(config.response_format)
        loaded = self.model()
        start = time.perf_counter()
        with loaded.lock:
            try:
                out, counters = self._run(loaded, messages, kwargs, fmt)
            except ValueError as exc:
                if "context window" in str(exc).lower():
                    raise ContextLengthError(
                        f"prompt too long for the embedded model's context of {self.n_ctx} tokens: "
                        "raise lm.n_ctx or shorten the input") from exc
                raise
        self.calls += 1
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        self.last_timing = {"seconds": time.perf_counter() - start,
                            "prompt_tokens": usage.get("prompt_tokens", 0),
                            "completion_tokens": usage.get("completion_tokens", 0), **counters}
        for key, value in self.last_timing.items():
            self.totals[key] = self.totals.get(key, 0) + value
        text = choice["message"].get("content") or ""
        return Response(
            id=out.get("id") or None,
            model=self.model_id,
            message=Message.assistant([TextPart(text)]),
            finish_reason=_FINISH.get(choice.get("finish_reason") or "stop", "stop"),
            usage=Usage(input_tokens=usage.get("prompt_tokens"),
                        output_tokens=usage.get("completion_tokens")),
        )

    def _run(self, loaded: LoadedModel, messages: list[dict], kwargs: dict,
             fmt: dict | None) -> tuple[dict, dict[str, float]]:
        """One completion with prefix reuse (or none), and llama.cpp's counters for it."""
        import llama_cpp  # heavy: llama.cpp

        llama = loaded.llama
        mb = self.options.prefix_cache_mb
        call = CallStats(store=loaded.prefixes(mb) if mb > 0 else None)
        if loaded.formatter is not None and len(messages) > 1:
            call.prefix = prefix_tokens(llama, loaded.formatter, messages[:-1])
        llama_cpp.llama_perf_context_reset(llama._ctx.ctx)
        loaded.call = call
        try:
            out = self._create(loaded, messages, kwargs, fmt)
        finally:
            loaded.call = None
        perf = llama_cpp.llama_perf_context(llama._ctx.ctx)
        stats = call.prefix_stats or PrefixStats()
        return out, {"reused_tokens": call.reused, "prefix_tokens": stats.prefix_tokens,
                     "prefix_restored": stats.restored,
                     "evaluated_tokens": perf.n_p_eval + perf.n_eval,
                     "prompt_eval_tokens": perf.n_p_eval, "prompt_eval_ms": perf.t_p_eval_ms,
                     "gen_eval_tokens": perf.n_eval, "gen_eval_ms": perf.t_eval_ms}

    def _create(self, loaded: LoadedModel, messages: list[dict], kwargs: dict, fmt: dict | None) -> dict:
        """One llama.cpp chat completion; a schema llama.cpp cannot compile falls back to plain JSON."""
        if fmt is None:
            return loaded.llama.create_chat_completion(messages=messages, **kwargs)
        try:
            return loaded.llama.create_chat_completion(messages=messages, response_format=fmt, **kwargs)
        except (ValueError, RuntimeError, KeyError, TypeError) as exc:
            if "schema" not in fmt or "context window" in str(exc).lower():
                raise
            logger.warning("llama.cpp cannot compile this JSON schema (%s); using plain JSON mode",
                           _one_line(exc))
            return loaded.llama.create_chat_completion(messages=messages,
                                                       response_format={"type": "json_object"}, **kwargs)

    def score(self, messages: list[dict[str, str]], replies: list[str]) -> list[float] | None:
        """The log-probability of each of `replies` as the model's whole reply to `messages`
        (`agent.lm.scoring`); None when the model's chat template is not one Hopper renders."""
        from agent.lm.scoring import score_replies  # heavy: numpy, llama.cpp

        loaded = self.model()
        if loaded.formatter is None:
            return None
        llama = loaded.llama
        mb = self.options.prefix_cache_mb
        with loaded.lock:
            prompt = prefix_tokens(llama, loaded.formatter, messages)
            if len(prompt) + 32 > self.n_ctx:
                return None
            prefix = prefix_tokens(llama, loaded.formatter, messages[:-1]) if len(messages) > 1 else []
            start = time.perf_counter()
            scores = score_replies(llama, prompt, replies, prefix_len=common_prefix(prompt, prefix),
                                   store=loaded.prefixes(mb) if mb > 0 else None)
        self.totals["score_calls"] = self.totals.get("score_calls", 0) + 1
        self.totals["score_seconds"] = self.totals.get("score_seconds", 0) + time.perf_counter() - start
        return scores

    def stream(self, request: Any):
        from dspy.lm15 import response_to_events  # heavy: dspy

        return response_to_events(self.complete(request))

    def close(self) -> None:
        """The model is shared by every LM in the process: `unload_all()` frees it."""
