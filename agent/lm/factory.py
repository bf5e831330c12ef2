"""Build the DSPy LM and adapter Hopper runs with, from `LMSettings`."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

import dspy
from dspy.adapters.json_adapter import JSONAdapter
from dspy.utils.exceptions import AdapterParseError, ContextWindowExceededError, LMError

from agent.config import HopperConfig, LMSettings
from agent.lm.cache import use_cache_dir
from agent.lm.calls import record_calls, truncated
from agent.lm.deadline import BudgetExceeded, bounded, time_left
from agent.lm.errors import error_context, lm_errors, redact, to_model_error
from agent.lm.local import LlamaEngine, LlamaOptions, default_threads
from agent.lm.models import is_local, select_local
from agent.lm.remote import provider_of, remote_kwargs
from agent.lm.salvage import salvage
from tools.redact import mask_secrets

logger = logging.getLogger(__name__)


class _TruncationToInfo(logging.Filter):
    """DSPy's "LM response was truncated" warning, as an INFO record (shown with `-v`).

    Hopper handles a cut-off reply itself (the adapter keeps or refuses it, the trace records
    the finish reason), so the warning is not news for the user and must not break progress bars.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.getMessage().startswith("LM response was truncated"):
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def route_dspy_logs() -> None:
    """Send DSPy's log records through Hopper's logging configuration instead of DSPy's own stderr handler."""
    dspy_logger = logging.getLogger("dspy")
    for handler in list(dspy_logger.handlers):
        if getattr(handler, "name", None) == "dspy_handler":
            dspy_logger.removeHandler(handler)
    dspy_logger.propagate = True
    dspy_logger.setLevel(logging.NOTSET)
    lm_logger = logging.getLogger("dspy.clients.lm")
    if not any(isinstance(f, _TruncationToInfo) for f in lm_logger.filters):
        lm_logger.addFilter(_TruncationToInfo())


route_dspy_logs()


class HopperLM(dspy.LM):
    """`dspy.LM` whose failures surface as one-line `ModelError`s that name the fix.

    DSPy still owns the call: cache, bounded retries, history, usage and callbacks.
    `ContextWindowExceededError` passes through unchanged, because DSPy modules (ReAct)
    recover from it by truncating their trajectory.
    """

    def __init__(self, model: str, *, hopper_name: str = "", hopper_api_base: str = "",
                 hopper_timeout_s: float | None = None, **kwargs: Any):
        super().__init__(model, **kwargs)
        self.hopper_name = hopper_name or model
        self.hopper_api_base = hopper_api_base
        self.hopper_timeout_s = hopper_timeout_s

    def dump_state(self) -> dict[str, Any]:
        return {**super().dump_state(), "hopper_name": self.hopper_name,
                "hopper_api_base": self.hopper_api_base, "hopper_timeout_s": self.hopper_timeout_s}

    def _translate(self, exc: LMError) -> Exception:
        if isinstance(exc, ContextWindowExceededError):
            return exc
        secret = self.kwargs.get("api_key")
        mapped = to_model_error(exc, model=self.hopper_name, api_base=self.hopper_api_base,
                                timeout_s=self.hopper_timeout_s, retries=self.num_retries,
                                secrets=(secret,) if isinstance(secret, str) else ())
        logger.debug("LM call failed: %s: %s", type(exc).__name__,
                     redact(str(exc), (secret,) if isinstance(secret, str) else ()))
        return mapped or exc

    def __call__(self, prompt=None, *, messages=None, **kwargs):
        if time_left() is None:
            return self._call(prompt, messages, kwargs)
        return self._call_by_deadline(prompt, messages, kwargs)

    def _call(self, prompt, messages, kwargs):
        try:
            return super().__call__(prompt, messages=messages, **kwargs)
        except LMError as exc:
            mapped = self._translate(exc)
            if mapped is exc:
                raise
            raise mapped from None

    def _call_by_deadline(self, prompt, messages, kwargs):
        """The call, bounded by the run's deadline (`agent.lm.deadline`): a remote call's timeout
        is cut to the time left, and whatever the LM does, control returns by the deadline."""
        timeout, _ = bounded(self.hopper_timeout_s, self.num_retries)  # raises when the budget is spent
        if isinstance(self.engine, str) and timeout is not None:  # a remote LM: the wire wait too
            kwargs = {**kwargs, "timeout": _coarse(timeout)}
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["value"] = self._call(prompt, messages, kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                outcome["error"] = exc

        worker = threading.Thread(target=contextvars.copy_context().run, args=(work,), daemon=True,
                                  name="hopper-lm-call")
        worker.start()
        worker.join(max(0.0, time_left() or 0.0))
        if worker.is_alive():  # left running; its reply is dropped
            raise BudgetExceeded(f"the run's time budget (agent.max_seconds) ran out waiting for "
                                 f"{self.hopper_name}: raise agent.max_seconds or use a faster LM")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    async def acall(self, prompt=None, *, messages=None, **kwargs):
        try:
            return await super().acall(prompt, messages=messages, **kwargs)
        except LMError as exc:
            mapped = self._translate(exc)
            if mapped is exc:
                raise
            raise mapped from None

    def __repr__(self) -> str:  # never shows the key
        base = f", api_base={mask_secrets(self.hopper_api_base)!r}" if self.hopper_api_base else ""
        return f"HopperLM({self.hopper_name!r}{base}, cache={self.cache})"


def _coarse(seconds: float) -> float:
    """`seconds` rounded down to a 5 s step (1 s steps under 5 s): DSPy keeps one connection pool
    per distinct timeout, so a handful of values keeps that number small."""
    return float(max(1, int(seconds))) if seconds < 5 else float(int(seconds) // 5 * 5)


class HopperJSONAdapter(JSONAdapter):
    """`dspy.JSONAdapter` with bounded retries when a reply does not parse or was cut off.

    A reply cut off by `max_tokens` is never retried (kept when it still parses, raised when not);
    any other unparsable reply is retried at a slightly higher temperature (a different cache
    key, so a fresh call). At most `parse_retries` retries.
    """

    def __init__(self, parse_retries: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        self.parse_retries = max(0, parse_retries)

    def __call__(self, lm, lm_kwargs, signature, demos, inputs):
        # The LM may be shared by threads: whether a reply was cut off is read from this thread's calls.
        with record_calls() as calls:
            return self._call(lm, lm_kwargs, signature, demos, inputs, calls)

    def _call(self, lm, lm_kwargs, signature, demos, inputs, calls):
        kwargs = dict(lm_kwargs)
        for attempt in range(self.parse_retries + 1):
            last = attempt >= self.parse_retries
            try:
                outputs = super().__call__(lm, dict(kwargs), signature, demos, inputs)
            except AdapterParseError:
                # A reply cut off by max_tokens is not retried: on small models it is a repetition
                # loop that more tokens only lengthen. The agent's stages fall back instead.
                if last or _last_truncated(calls):
                    raise
                logger.info("LM reply did not parse; retrying (%d/%d)", attempt + 1, self.parse_retries)
            else:
                # A reply cut off by max_tokens that still parsed (JSON repair, or the complete
                # fields salvaged by `parse`) is kept: on small models a cut-off reply is nearly
                # always a repetition loop, and a retry with more tokens only loops longer.
                return outputs
            kwargs = self._retry_kwargs(lm, kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    def parse(self, signature, completion: str) -> dict[str, Any]:
        """DSPy's JSON parse; a reply that does not parse (most often one cut off by the token
        cap) keeps its complete fields, the rest empty, marked `salvaged` with their names."""
        try:
            return super().parse(signature, completion)
        except AdapterParseError:
            got = {k: v for k, v in salvage(str(completion or "")).items() if k in signature.output_fields}
            if not got:
                raise
            out = {name: got.get(name, _empty(field.annotation))
                   for name, field in signature.output_fields.items()}
            return {**out, "salvaged": sorted(got)}

    @staticmethod
    def _retry_kwargs(lm, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Another try at a slightly higher temperature (a different cache key, so a fresh call)."""
        temperature = kwargs.get("temperature", lm.kwargs.get("temperature")) or 0.0
        return {**kwargs, "temperature": min(1.0, float(temperature) + 0.3)}


def _empty(annotation: Any) -> Any:
    origin = getattr(annotation, "__origin__", None)
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 0
    if annotation is list or origin is list:
        return []
    return ""


def _last_truncated(calls: list[dict[str, Any]]) -> bool:
    return bool(calls) and truncated(calls[-1])


def get_adapter(settings: LMSettings) -> dspy.Adapter:
    """The adapter the agent should use: `json` (default, schema-constrained) or `chat`."""
    if settings.adapter == "chat":
        return dspy.ChatAdapter()
    if settings.adapter == "json":
        return HopperJSONAdapter(parse_retries=min(2, max(0, settings.retries)))
    raise ValueError(f"unknown adapter {settings.adapter!r}: use json or chat")


def _model_for(settings: LMSettings, fast: bool) -> str:
    return (settings.fast_model or settings.model) if fast else settings.model


def get_lm(settings: LMSettings, *, fast: bool = False) -> HopperLM:
    """A DSPy LM for `settings.model` (or `settings.fast_model` when `fast` and set).

    Cheap: nothing is loaded or contacted until the first call (see `preload`). The LM call
    cache is pointed at `lm.cache_dir` (default `<user cache>/hopper/lm`) unless `settings.cache` is False.
    """
    model = _model_for(settings, fast)
    if settings.cache:
        use_cache_dir(settings.cache_dir)
    common: dict[str, Any] = {"temperature": settings.temperature, "max_tokens": settings.max_tokens,
                              "num_retries": max(0, int(settings.retries)), "cache": bool(settings.cache)}
    if is_local(model):
        spec = select_local(model)
        options = LlamaOptions(n_ctx=settings.n_ctx, n_threads=settings.n_threads, n_batch=settings.n_batch,
                               fast_grammar=settings.fast_grammar, extra_buffers=settings.extra_buffers,
                               prefix_cache_mb=settings.prefix_cache_mb)
        engine = LlamaEngine(spec.name, spec.model_id, options=options)
        return HopperLM(spec.model_id, hopper_name=model, engine=engine, **common)
    same_provider = not fast or not settings.fast_model or provider_of(settings.fast_model) == provider_of(
        settings.model)
    model_id, kwargs = remote_kwargs(settings, model, share_credentials=same_provider)
    return HopperLM(model_id, hopper_name=model, hopper_api_base=kwargs.get("api_base", ""),
                    hopper_timeout_s=settings.timeout_s, **kwargs)


def preload(lm: Any) -> float:
    """Assemble and load an embedded model now (seconds taken); a no-op for remote LMs."""
    engine = getattr(lm, "engine", None)
    if engine is None or not hasattr(engine, "model"):
        return 0.0
    return engine.model().load_seconds


def _lm_settings(cfg: HopperConfig | LMSettings) -> LMSettings:
    return cfg.lm if isinstance(cfg, HopperConfig) else cfg


def configure_dspy(cfg: HopperConfig | LMSettings, **extra: Any) -> HopperLM:
    """`dspy.configure(lm=..., adapter=...)` once, on the main thread; returns the LM.

    Worker threads (the TUI) must use `lm_context` instead: DSPy refuses `configure` there.
    """
    settings = _lm_settings(cfg)
    lm = get_lm(settings)
    dspy.configure(lm=lm, adapter=get_adapter(settings), **extra)
    return lm


@contextlib.contextmanager
def lm_context(cfg: HopperConfig | LMSettings, *, fast: bool = False, lm: Any = None,
               **extra: Any) -> Iterator[HopperLM]:
    """`dspy.context(lm=..., adapter=...)` for a block (any thread); yields the LM.

    LM failures inside the block are re-raised as one-line `ModelError`s (see `lm_errors`).
    """
    settings = _lm_settings(cfg)
    lm = lm or get_lm(settings, fast=fast)
    with lm_errors(settings, model=_model_for(settings, fast)), dspy.context(
            lm=lm, adapter=get_adapter(settings), **extra):
        yield lm


def describe_lm(settings: LMSettings, *, fast: bool = False) -> str:
    """A short human description, e.g. for the TUI status bar (no secrets)."""
    model = _model_for(settings, fast)
    if is_local(model):
        spec = select_local(model)
        threads = settings.n_threads or default_threads()
        return f"{spec.title} (embedded llama.cpp, {threads} threads, n_ctx {settings.n_ctx})"
    if model.startswith(("http://", "https://")):
        return f"OpenAI-compatible server {mask_secrets(model)}"
    where = f" at {mask_secrets(settings.api_base)}" if settings.api_base else ""
    return f"{model}{where}"


def to_error(exc: BaseException, settings: LMSettings) -> Exception:
    """The user-facing form of `exc` (an LM or parse failure), or `exc` itself."""
    return to_model_error(exc, **error_context(settings)) or exc
