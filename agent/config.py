"""The one typed configuration object, and where each value came from.

Precedence, lowest to highest: defaults, `~/.config/hopper/config.toml`, `./hopper.toml`,
environment (`HOPPER_<SECTION>_<KEY>`, e.g. `HOPPER_LM_MODEL`), command-line flags.
Every resolved value remembers its source so `hopper config show` can explain it.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from graphs.settings import GraphSettings
from tools.errors import ConfigError
from tools.redact import mask_secrets
from tools.settings import IndexSettings

SECRET_MARK = "secret"


@dataclass
class LMSettings:
    model: str = "local"
    """`local` (embedded Qwen2.5-Coder-0.5B), `local:1.5b`, `local:smollm2`, `gguf:/path/model.gguf`
    (any GGUF file, in-process), or any LiteLLM id."""
    fast_model: str = ""
    """Optional cheaper LM for the light steps (reading, rewriting queries, shortening synthesis
    lines, the selector's support score); empty = same as `model`."""
    api_base: str = ""
    api_key: str = field(default="", metadata={SECRET_MARK: True})
    temperature: float = 0.0
    max_tokens: int = 512
    n_ctx: int = 4096
    n_threads: int = 0
    """llama.cpp threads; 0 means all cores."""
    timeout_s: float = 120.0
    retries: int = 2
    cache: bool = True
    cache_dir: str = ""
    """Empty = the user cache directory (XDG)."""
    adapter: Literal["json", "chat"] = "json"
    """DSPy adapter: `json` (schema-constrained output; best parse rate on small models) or `chat`."""
    engine: Literal["auto", "litellm", "lm15"] = "auto"
    """DSPy engine for remote models: `auto` (DSPy's native client where it can, else LiteLLM),
    `litellm` (always LiteLLM), `lm15` (native only)."""
    n_batch: int = 512
    """Embedded models: prompt tokens llama.cpp evaluates per batch."""
    prefix_cache_mb: int = 256
    """Embedded models: memory for the saved KV state of prompt prefixes (each predictor's
    instructions and demos), so a call evaluates only what differs; 0 turns prefix reuse off."""
    fast_grammar: bool = True
    """Embedded models: greedy JSON decoding checks the best token against the grammar first
    (same tokens as llama.cpp's grammar sampler, without scanning the whole vocabulary)."""
    extra_buffers: Literal["auto", "on", "off"] = "auto"
    """Embedded models: llama.cpp's extra CPU buffer types (weight repacking); `auto` turns them
    off only on CPUs that advertise AMX, which may trap inside VMs."""


@dataclass
class AgentSettings:
    mode: Literal["agent", "rag", "closed"] = "agent"
    retriever: Literal["auto", "bm25", "dense", "hybrid", "graph", "hybrid+graph"] = "auto"
    """Retriever of rag mode and of the agent's first search; `auto` = hybrid+graph when the index
    has a knowledge graph (and `use_graph` is on), else hybrid."""
    use_graph: bool = True
    """Let the agent use the knowledge-graph tools when the index has a graph."""
    k: int = 5
    """Hits per tool call."""
    max_rounds: int = 2
    """Reading rounds per sub-question: the first searches and read, then a rewrite's searches and
    another read while no checked answer is found."""
    max_tool_calls: int = 24
    """Retrieval tool calls a run may make."""
    max_tokens: int = 60_000
    """Total LM tokens (prompt + completion) a run may spend."""
    max_seconds: float = 180.0
    """Wall-clock seconds a run may take (an LM call in flight is cut off when they run out)."""
    max_subquestions: int = 4
    """Hops of a query tree at most."""
    evidence_k: int = 6
    """Passages rag mode retrieves, and the best passages of the evidence that a read of the whole
    question chooses its sentences from (also counted in the prompt budget)."""
    shape: Literal["auto", "factoid", "list", "compare", "explain"] = "auto"
    """Answer shape: `auto` classifies each question (rules; a capable LM's opinion when no rule
    fires); list/compare/explain get a cited synthesis (agent mode), factoid the research loop."""
    program: str = ""
    """Path of a compiled DSPy program (`hopper optimize`); empty = the shipped default."""
    read_passages: int = 6
    """Passages whose sentences compete for the reader's attention on each read."""
    read_sentences: int = 4
    """Sentences the reader sees per question (at most 2 from one passage)."""
    read_follow: int = 1
    """Of those, places kept for the passages the best sentences name by title (the next hop:
    "... the painter Jeffrey Smart" -> the passage "Jeffrey Smart") when the question is read
    whole (no query tree: a tree's hops find the next passage themselves); 0 = by similarity alone."""
    min_confidence: float = 0.8
    """Below this confidence the answer is shown as a best guess ("not sure"); 0 never abstains.
    0.8 kept 0.78 of answers right (F1 >= 0.8) at 32% coverage on the tuning questions."""
    reader: Literal["auto", "narrow", "free"] = "auto"
    """`narrow`: code writes the answer text from the checked short answer; `free`: the LM phrases
    it (checked the same way); `auto`: narrow for the embedded models, free for any other LM."""
    decompose: Literal["auto", "parse", "lm"] = "auto"
    """Query trees: `parse` (from the spaCy parse only), `lm` (the LM writes them when the parse
    finds no chain), `auto` (`parse` with the embedded models, `lm` with any other LM)."""


@dataclass
class HopperConfig:
    index_dir: str = ""
    """Default index folder (`--index`)."""
    index: IndexSettings = field(default_factory=IndexSettings)
    lm: LMSettings = field(default_factory=LMSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    graph: GraphSettings = field(default_factory=GraphSettings)
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def get(self, dotted: str) -> Any:
        obj: Any = self
        for part in dotted.split("."):
            obj = getattr(obj, part)
        return obj


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hopper" / "config.toml"


def _leaves(obj: Any, prefix: str = "") -> list[tuple[str, dataclasses.Field, Any]]:
    """Every scalar setting as (dotted name, field, owning object)."""
    out = []
    for f in dataclasses.fields(obj):
        if f.name == "sources":
            continue
        value = getattr(obj, f.name)
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out.extend(_leaves(value, name + "."))
        else:
            out.append((name, f, obj))
    return out


def _coerce(value: Any, annotation: Any, name: str) -> Any:
    hints = annotation
    if isinstance(hints, str):
        hints = {"str": str, "int": int, "float": float, "bool": bool}.get(hints, hints)
    origin = typing.get_origin(hints)
    try:
        if origin is Literal:
            allowed = typing.get_args(hints)
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")
            return value
        if hints is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
                return bool(value)
            raise TypeError(value)
        if hints in (int, float, str):
            return _strict(value, hints, name)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: cannot read {value!r} as {getattr(hints, '__name__', hints)}") from exc
    return value


def _strict(value: Any, kind: type, name: str) -> Any:
    """`value` as `kind` without silent changes: `true` is no number and 2.9 no whole number."""
    if isinstance(value, bool) and kind is not str:
        raise TypeError(value)
    if kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                raise ConfigError(f"{name} must be a whole number; got {value!r}")
            return int(value)
        return int(value)  # int("2.9") raises: no silent truncation of a string either
    return kind(value)


def _types_of(obj: Any) -> dict[str, Any]:
    return typing.get_type_hints(type(obj), include_extras=False)


def set_value(cfg: HopperConfig, dotted: str, value: Any, source: str) -> None:
    """Set the setting `dotted` ("agent.k") of `cfg` from `value` (a string is converted to the
    field's type), recording `source` in `cfg.sources`; ConfigError names an unknown or bad one."""
    parts = dotted.split(".")
    obj: Any = cfg
    for part in parts[:-1]:
        if not hasattr(obj, part):
            raise ConfigError(f"unknown setting section {dotted!r} (from {source})")
        obj = getattr(obj, part)
    key = parts[-1]
    if not dataclasses.is_dataclass(obj) or key not in {f.name for f in dataclasses.fields(obj)}:
        raise ConfigError(f"unknown setting {dotted!r} (from {source}); see `hopper config show`")
    try:
        coerced = _coerce(value, _types_of(obj)[key], dotted)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (from {source})") from exc
    setattr(obj, key, coerced)
    cfg.sources[dotted] = source


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return _flatten(tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_config(overrides: dict[str, Any] | None = None, *, cwd: Path | None = None,
                env: dict[str, str] | None = None, user_file: Path | None = None) -> HopperConfig:
    """Build the effective configuration.

    Args:
        overrides: dotted setting -> value from command-line flags (None values are ignored).
        cwd: folder searched for `hopper.toml` (default: the working folder).
        env: environment mapping (default: `os.environ`).
        user_file: user config file (default: XDG config dir).
    """
    cfg = HopperConfig()
    env = os.environ if env is None else env
    names = {name for name, _, _ in _leaves(cfg)}
    for name in names:
        cfg.sources[name] = "default"
    files = [user_file or user_config_path(), (cwd or Path.cwd()) / "hopper.toml"]
    for path in files:
        if path.is_file():
            for key, value in _read_toml(path).items():
                set_value(cfg, key, value, str(path))
    for name in sorted(names):
        var = "HOPPER_" + name.upper().replace(".", "_")
        if var in env:
            set_value(cfg, name, env[var], f"env {var}")
    # Conventional provider variables also count for the LM.
    if not cfg.lm.api_key:
        for var in ("HOPPER_API_KEY",):
            if env.get(var):
                set_value(cfg, "lm.api_key", env[var], f"env {var}")
    for key, value in (overrides or {}).items():
        if value is not None:
            set_value(cfg, key, value, "flag")
    validate(cfg)
    return cfg


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric setting: `low <= v <= high` (`low < v` when `open_low`)."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False

    def admits(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self) -> str:
        def num(x: float) -> str:
            return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"

        low = "" if self.low is None else f"{'>' if self.open_low else '>='} {num(self.low)}"
        high = "" if self.high is None else f"<= {num(self.high)}"
        if low and high:
            return f"{low} and {high}" if self.open_low else f"between {num(self.low)} and {num(self.high)}"
        return low or high


_POS = Range(0, None, open_low=True)
_COUNT = Range(1)
_NONNEG = Range(0)
_UNIT = Range(0, 1)
_PERCENT = Range(0, 100)

RANGES: dict[str, Range] = {
    # lm
    "lm.temperature": Range(0, 2), "lm.max_tokens": Range(1, 1_000_000), "lm.n_ctx": Range(512, 10_000_000),
    "lm.n_threads": Range(0, 1024), "lm.timeout_s": Range(0, 86_400, open_low=True),
    "lm.retries": Range(0, 20), "lm.n_batch": Range(1, 65_536), "lm.prefix_cache_mb": Range(0, 1_048_576),
    # agent
    "agent.k": Range(1, 1000), "agent.max_rounds": Range(1, 50), "agent.max_tool_calls": Range(1, 100_000),
    "agent.max_tokens": Range(1), "agent.max_seconds": Range(0, 7 * 86_400, open_low=True),
    "agent.max_subquestions": Range(1, 50), "agent.evidence_k": Range(1, 1000),
    "agent.read_passages": Range(1, 1000), "agent.read_sentences": Range(1, 1000),
    "agent.read_follow": Range(0, 1000),
    "agent.min_confidence": _UNIT,
    # index
    "index.chunk.size": Range(16, 1_000_000), "index.chunk.overlap": _NONNEG, "index.chunk.max_file_mb": _POS,
    "index.embed.batch_size": Range(1, 1_000_000), "index.embed.threads": Range(0, 1024),
    "index.dense.hnsw_threshold": _NONNEG, "index.dense.hnsw_m": Range(2, 1024),
    "index.dense.hnsw_ef_search": Range(1, 1_000_000),
    "index.bm25.k1": Range(0, 100), "index.bm25.b": _UNIT,
    "index.fusion.rrf_k": Range(0, 1_000_000), "index.fusion.depth": Range(1, 1_000_000),
    "index.fusion.dense_weight": _UNIT, "index.fusion.graph_weight": Range(0, 1000),
    # graph
    "graph.batch_size": Range(1, 1_000_000), "graph.workers": Range(0, 1024),
    "graph.fuzzy_threshold": _PERCENT, "graph.synonym_threshold": _UNIT, "graph.synonym_k": Range(0, 1000),
    "graph.damping": Range(0, 1, open_low=True), "graph.max_seeds": Range(1, 10_000),
    "graph.link_fuzzy_threshold": _PERCENT, "graph.link_embed_threshold": _UNIT,
    "graph.noun_seed_weight": Range(0, 1000), "graph.title_weight": Range(0, 1000),
    "graph.passage_weight": Range(0, 1000), "graph.max_node_share": Range(0, 1, open_low=True),
}
"""The allowed range of every numeric setting (a numeric setting not listed must be >= 0)."""


def _origin(cfg: HopperConfig, name: str) -> str:
    source = cfg.sources.get(name, "default")
    return f"file {source}" if source.endswith(".toml") else source


def validate(cfg: HopperConfig) -> None:
    """Check every numeric setting against `RANGES` (and the few that depend on each other).

    Raises:
        ConfigError: naming the setting, its value, where it came from and what is allowed.
    """
    for name, f, owner in _leaves(cfg):
        value = getattr(owner, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        allowed = RANGES.get(name, _NONNEG)
        if math.isnan(value) or not allowed.admits(value):  # NaN never fits
            raise ConfigError(f"{name} = {value!r} (from {_origin(cfg, name)}) is out of range: it must be "
                              f"{allowed.describe()}")
    chunk = cfg.index.chunk
    if chunk.overlap >= chunk.size:
        raise ConfigError(f"index.chunk.overlap = {chunk.overlap} (from "
                          f"{_origin(cfg, 'index.chunk.overlap')}) "
                          f"must be smaller than index.chunk.size = {chunk.size} "
                          f"(from {_origin(cfg, 'index.chunk.size')})")


def is_secret(dotted: str, cfg: HopperConfig) -> bool:
    for name, f, _ in _leaves(cfg):
        if name == dotted:
            return bool(f.metadata.get(SECRET_MARK))
    return False


def describe(cfg: HopperConfig) -> list[tuple[str, str, str]]:
    """(setting, shown value, source) rows; secrets are masked."""
    rows = []
    for name, f, owner in _leaves(cfg):
        value = getattr(owner, f.name)
        shown = repr(value)
        if f.metadata.get(SECRET_MARK):
            shown = "'***'" if value else "''"
        elif isinstance(value, str):
            shown = repr(mask_secrets(value))  # a password or key inside a URL (lm.api_base)
        rows.append((name, shown, cfg.sources.get(name, "default")))
    return rows
