"""Probes: a setting of the wrong kind in hopper.toml is one line naming it and its file, never a
silent change (`max_rounds = 2.9` is not 2, `k = true` is not 1)."""

from __future__ import annotations

import pytest

from tui.cli import main


@pytest.mark.parametrize(("line", "expected"), [
    ("max_rounds = 2.9", "agent.max_rounds must be a whole number; got 2.9"),
    ("k = true", "agent.k: cannot read True as int"),
    ('k = "2.5"', "agent.k: cannot read '2.5' as int"),
    ("min_confidence = true", "agent.min_confidence: cannot read True as float"),
])
def test_a_setting_of_the_wrong_kind_is_one_line(clean_env, tmp_path, capsys, line, expected):
    (tmp_path / "hopper.toml").write_text(f"[agent]\n{line}\n")
    assert main(["config", "show", "agent"]) == 2
    err = capsys.readouterr().err
    assert err == f"hopper: error: {expected} (from {tmp_path / 'hopper.toml'})\n"


def test_whole_numbers_and_booleans_of_the_right_kind_are_read(clean_env, tmp_path):
    from agent.config import load_config

    (tmp_path / "hopper.toml").write_text("[agent]\nmax_rounds = 3.0\nk = 4\n[index]\ngraph = false\n")
    cfg = load_config()
    assert (cfg.agent.max_rounds, cfg.agent.k, cfg.index.graph) == (3, 4, False)
