"""The `hopper` command line. Each subcommand lives in `tui/commands/<name>.py` with a light
`add_arguments(parser)` and a `run(args) -> int` that imports heavy modules only when called,
so `hopper --help` stays instant."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# Model weights come only from installed packages: never reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

COMMANDS: dict[str, tuple[str, str]] = {
    "index": ("tui.commands.index", "index documents or a corpus into an index folder"),
    "search": ("tui.commands.search", "search an index with bm25, dense, hybrid or graph retrieval"),
    "ask": ("tui.commands.ask", "answer a question with the research agent, citing passages"),
    "eval": ("tui.commands.eval", "evaluate retrieval or the agent on a dataset"),
    "trace": ("tui.commands.trace", "show or compare agent traces"),
    "optimize": ("tui.commands.optimize", "compile the agent's DSPy modules against an LM"),
    "graph": ("tui.commands.graph", "inspect the knowledge graph of an index"),
    "config": ("tui.commands.config", "show the effective configuration and where each value came from"),
    "tui": ("tui.commands.tui", "open the interactive terminal UI"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hopper",
        description="Hopper: multi-hop research over your own documents, fully offline by default.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # command not built yet
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.verbose < 2:  # chatty third-party loggers
        for name in ("bm25s", "faiss", "faiss.loader", "httpx", "LiteLLM", "sentence_transformers", "pypdf"):
            logging.getLogger(name).setLevel(logging.WARNING if args.verbose else logging.ERROR)
    if args.command is None:
        if "tui" in COMMANDS and hasattr(args, "_run") is False:
            from tui.common import configured_index

            if configured_index():
                from tui.commands import tui as tui_cmd

                return tui_cmd.run(parser.parse_args(["tui"]))
        parser.print_help()
        return 0
    from tools.errors import HopperError, describe_os_error
    from tools.redact import SecretFilter, mask_secrets

    for handler in logging.getLogger().handlers:  # no password of a URL in any log line
        handler.addFilter(SecretFilter())
    try:
        return int(args._run(args) or 0)
    except HopperError as exc:
        print(f"hopper: error: {mask_secrets(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the user named: one line naming the path and the fix
        print(f"hopper: error: {mask_secrets(describe_os_error(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hopper: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
