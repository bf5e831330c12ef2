"""Flags shared by several subcommands, and turning parsed flags into a `HopperConfig`."""

from __future__ import annotations

import argparse
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""C0 and C1 control characters but tab and newline: from a document they could clear the screen,
recolour it or set the clipboard (ESC [ 2 J, ESC [ 31 m, OSC 52); bidirectional overrides, which
reorder what is shown; lone surrogates, which cannot be printed at all (a file name byte that is
not UTF-8 arrives as U+DC80..U+DCFF and is shown as the byte, `\\xff`)."""


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogate escape of a byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character shown as an escape (`\\x1b`) instead of sent to the
    terminal. Every CLI line that carries document text goes through it."""
    return _CONTROL.sub(lambda m: _escape(m.group(0)), str(text))

# argparse dest -> dotted config setting
FLAG_SETTINGS: dict[str, str] = {
    "index": "index_dir",
    "lm": "lm.model",
    "fast_lm": "lm.fast_model",
    "api_base": "lm.api_base",
    "mode": "agent.mode",
    "retriever": "agent.retriever",
    "max_rounds": "agent.max_rounds",
    "min_confidence": "agent.min_confidence",
    "program": "agent.program",
    "chunk_size": "index.chunk.size",
    "chunk_overlap": "index.chunk.overlap",
    "embedder": "index.embed.model",
    "batch_size": "index.embed.batch_size",
    "backend": "index.backend.kind",
    "milvus_uri": "index.backend.milvus_uri",
    "fusion": "index.fusion.method",
    "rrf_k": "index.fusion.rrf_k",
    "depth": "index.fusion.depth",
}


def add_index_arg(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("--index", metavar="DIR", default=None, required=required,
                   help="index folder (default: index_dir from hopper.toml)")


def add_backend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=["local", "milvus"], default=None,
                   help="storage backend (default: local FAISS + bm25s files)")
    p.add_argument("--milvus-uri", default=None,
                   help="Milvus Lite file path, or http://host:19530 for a Milvus server")


def add_max_rounds_arg(p: argparse.ArgumentParser) -> None:
    from agent.config import AgentSettings

    p.add_argument("--max-rounds", type=int, default=None,
                   help=f"search rounds per sub-question (default {AgentSettings.max_rounds})")


def add_min_confidence_arg(p: argparse.ArgumentParser) -> None:
    from agent.config import AgentSettings

    p.add_argument("--min-confidence", type=float, default=None, metavar="C",
                   help="below this confidence (0-1) the answer is shown as a best guess "
                        f"(default {AgentSettings.min_confidence}; 0 never abstains)")


def add_lm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lm", default=None, metavar="MODEL",
                   help="local (embedded Qwen 0.5B), local:1.5b, local:smollm2, gguf:FILE.gguf, "
                        "or any LiteLLM id (openai/..., ollama_chat/..., hosted_vllm/...)")
    p.add_argument("--fast-lm", default=None, metavar="MODEL", help="cheaper LM for light steps")
    p.add_argument("--api-base", default=None, help="API base URL for the LM")
    p.add_argument("--no-cache", action="store_true", help="do not use the on-disk LM call cache")


def config_from_args(args: argparse.Namespace, **extra: Any):
    """Load the configuration with flags applied on top of files and environment."""
    from agent.config import load_config

    overrides: dict[str, Any] = {}
    for dest, dotted in FLAG_SETTINGS.items():
        value = getattr(args, dest, None)
        if value is not None and not (dest == "mode" and value == "retrieval"):
            overrides[dotted] = value
    if getattr(args, "no_cache", False):
        overrides["lm.cache"] = False
    overrides.update(extra)
    return load_config(overrides)


def require_text(value: str, what: str, example: str) -> str:
    """`value` stripped; an empty or blank one is a one-line `InputError`."""
    from tools.errors import InputError

    text = (value or "").strip()
    if not text:
        raise InputError(f"the {what} is empty: give one, e.g. {example}")
    if not any(c.isalnum() for c in text):
        raise InputError(f"the {what} has no words (only punctuation or symbols): give one, e.g. {example}")
    return text


def require_k(k: int, flag: str = "-k", high: int = 1000) -> int:
    """A hit count between 1 and `high`; anything else is a one-line `InputError`."""
    from tools.errors import InputError

    if not 1 <= k <= high:
        raise InputError(f"{flag} must be between 1 and {high:,}; got {k}")
    return k


def require_index(cfg) -> str:
    from tools.errors import ConfigError

    if not cfg.index_dir:
        raise ConfigError("no index given: pass --index DIR or set index_dir in hopper.toml")
    return cfg.index_dir


def configured_index() -> str:
    """The index folder from configuration, or '' (used by plain `hopper`)."""
    try:
        from agent.config import load_config

        return load_config().index_dir
    except Exception:  # a broken config file is reported by the real commands
        return ""


def prepare_index(args: argparse.Namespace, cfg, dataset, needs_graph: bool):
    """The index a dataset command runs on: `--index DIR`, else one cached by corpus hash and settings
    (built with a progress bar; without the graph when the run does not need it or `--no-graph`)."""
    from agent.indexing import dataset_index
    from tui.progress import RichProgress

    with RichProgress() as progress:
        return dataset_index(cfg, dataset, index_dir=args.index,
                             graph=needs_graph and not getattr(args, "no_graph", False), progress=progress)
