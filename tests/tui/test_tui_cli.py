"""`hopper tui` command-line wiring."""

from __future__ import annotations

import pytest

from tools.errors import ConfigError
from tui.cli import build_parser


def test_tui_subcommand_parses():
    args = build_parser().parse_args(["tui", "--index", "idx", "--lm", "local", "--session", "3",
                                      "--max-rounds", "2"])
    assert args.index == "idx" and args.session == 3 and args.max_rounds == 2


def test_unknown_session_is_a_user_error(tmp_path, monkeypatch):
    from tui.commands import tui as cmd

    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["tui", "--index", str(tmp_path / "idx"), "--session", "42",
                                      "--sessions-db", str(tmp_path / "s.db")])
    with pytest.raises(ConfigError, match="no saved session 42"):
        cmd.run(args)
