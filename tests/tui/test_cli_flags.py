"""Flag help that states a default takes it from the configuration, so the two cannot drift apart."""

from __future__ import annotations

import argparse

import pytest

from agent.config import AgentSettings
from tui.cli import build_parser


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize("command", ["ask", "eval", "optimize", "tui"])
def test_max_rounds_help_states_the_config_default(command):
    [flag] = [a for a in _subparser(command)._actions if "--max-rounds" in a.option_strings]
    assert flag.default is None  # unset: the configuration decides
    default = AgentSettings().max_rounds
    assert f"(default {default})" in flag.help
    assert f"(default {default})" in " ".join(_subparser(command).format_help().split())
