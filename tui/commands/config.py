"""`hopper config show|path`: the effective settings, where each came from, and the files read.

Precedence, lowest to highest: defaults, `~/.config/hopper/config.toml`, `./hopper.toml`,
environment (`HOPPER_LM_MODEL`, ...), command-line flags. Secrets are always masked.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.common import add_index_arg, add_lm_args

    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")
    show = sub.add_parser("show", help="print every setting with its value and source (secrets masked)")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.add_argument("prefix", nargs="?", default="",
                      help="only settings starting with this prefix, e.g. `lm`")
    add_index_arg(show)
    add_lm_args(show)
    path = sub.add_parser("path", help="print the configuration files and cache folders Hopper uses")
    path.add_argument("--json", action="store_true", help="print JSON instead of text")


def _paths() -> list[tuple[str, str, str]]:
    """(what, path, state) for each file or folder Hopper reads or writes."""
    from pathlib import Path

    from agent.config import user_config_path
    from agent.lm.cache import lm_cache_dir, models_dir
    from tui.common import config_from_args

    local = Path.cwd() / "hopper.toml"
    user = user_config_path()
    rows = [
        ("user config", str(user), "exists" if user.is_file() else "absent"),
        ("project config", str(local), "exists" if local.is_file() else "absent"),
        ("LM call cache", str(lm_cache_dir(config_from_args(argparse.Namespace()).lm.cache_dir)), ""),
        ("embedded models", str(models_dir()), ""),
    ]
    return rows


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    action = getattr(args, "config_command", None) or "show"
    as_json = bool(getattr(args, "json", False))
    if action == "path":
        rows = _paths()
        if as_json:
            print(json.dumps({what: {"path": p, "state": s} for what, p, s in rows}, indent=2))
            return 0
        for what, p, state in rows:
            console.print(f"{what:16} {p}" + (f"  [dim]({state})[/dim]" if state else ""),
                          highlight=False)
        return 0

    from agent.config import describe
    from tui.common import config_from_args

    cfg = config_from_args(args)
    prefix = getattr(args, "prefix", "") or ""
    rows = [r for r in describe(cfg) if r[0].startswith(prefix)]
    if as_json:
        print(json.dumps([{"setting": n, "value": v, "source": s} for n, v, s in rows], indent=2))
        return 0
    table = Table(title="Hopper configuration (default < user file < ./hopper.toml < env < flag)",
                  title_justify="left")
    table.add_column("setting", style="bold")
    table.add_column("value")
    table.add_column("source", style="dim")
    for name, shown, source in rows:
        table.add_row(name, shown, source)
    console.print(table)
    return 0
