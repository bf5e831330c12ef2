"""The typed configuration: precedence, sources, secrets, and `hopper config show|path`."""

from __future__ import annotations

import argparse
import json

import pytest

from agent.config import describe, load_config
from tools.errors import ConfigError
from tui.commands import config as config_cmd

SECRET = "sk-live-should-never-print-123456"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An isolated working folder, user config folder and environment."""
    work = tmp_path / "work"
    work.mkdir()
    xdg = tmp_path / "xdg"
    (xdg / "hopper").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in [v for v in __import__("os").environ if v.startswith("HOPPER_")]:
        monkeypatch.delenv(var)
    return work, xdg / "hopper" / "config.toml"


def test_precedence_default_user_project_env_flag(home):
    work, user = home
    user.write_text('[lm]\nmodel = "openai/from-user"\nmax_tokens = 100\ntemperature = 0.5\nretries = 1\n')
    (work / "hopper.toml").write_text('[lm]\nmodel = "openai/from-project"\nmax_tokens = 200\ntemperature = '
                                      '0.25\n')
    env = {"HOPPER_LM_MODEL": "openai/from-env", "HOPPER_LM_MAX_TOKENS": "300"}
    cfg = load_config({"lm.model": "openai/from-flag"}, env=env)
    assert cfg.lm.model == "openai/from-flag" and cfg.sources["lm.model"] == "flag"
    assert cfg.lm.max_tokens == 300 and cfg.sources["lm.max_tokens"] == "env HOPPER_LM_MAX_TOKENS"
    assert cfg.lm.temperature == 0.25 and cfg.sources["lm.temperature"] == str(work / "hopper.toml")
    assert cfg.lm.retries == 1 and cfg.sources["lm.retries"] == str(user)
    assert cfg.lm.n_ctx == 4096 and cfg.sources["lm.n_ctx"] == "default"


def test_lm_settings_are_typed_and_checked(home):
    cfg = load_config(env={"HOPPER_LM_CACHE": "off", "HOPPER_LM_ADAPTER": "chat",
                           "HOPPER_LM_TIMEOUT_S": "7.5"})
    assert cfg.lm.cache is False and cfg.lm.adapter == "chat" and cfg.lm.timeout_s == 7.5
    with pytest.raises(ConfigError, match="lm.adapter must be one of json, chat"):
        load_config(env={"HOPPER_LM_ADAPTER": "xml"})
    with pytest.raises(ConfigError, match="lm.n_ctx: cannot read"):
        load_config(env={"HOPPER_LM_N_CTX": "lots"})


def test_describe_masks_secrets(home):
    cfg = load_config(env={"HOPPER_LM_API_KEY": SECRET})
    rows = {name: (value, source) for name, value, source in describe(cfg)}
    assert rows["lm.api_key"] == ("'***'", "env HOPPER_LM_API_KEY")
    assert SECRET not in repr(rows)


def _run(argv: list[str], capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="hopper config")
    config_cmd.add_arguments(parser)
    code = config_cmd.run(parser.parse_args(argv))
    return code, capsys.readouterr().out


def test_config_show_json_with_flags(home, capsys, monkeypatch):
    monkeypatch.setenv("HOPPER_LM_API_KEY", SECRET)
    code, out = _run(["show", "--json", "--lm", "openai/gpt-4o-mini", "--no-cache"], capsys)
    assert code == 0 and SECRET not in out
    rows = {row["setting"]: row for row in json.loads(out)}
    assert rows["lm.model"] == {"setting": "lm.model", "value": "'openai/gpt-4o-mini'", "source": "flag"}
    assert rows["lm.cache"]["value"] == "False" and rows["lm.cache"]["source"] == "flag"
    assert rows["lm.api_key"]["value"] == "'***'"


def test_config_show_table_filters_by_prefix(home, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    work, _ = home
    (work / "hopper.toml").write_text(f'[lm]\napi_key = "{SECRET}"\n')
    code, out = _run(["show", "lm"], capsys)
    assert code == 0 and "lm.model" in out and "'local'" in out and "default" in out
    assert "agent.mode" not in out and SECRET not in out and "***" in out


def test_config_path_lists_files_and_caches(home, capsys):
    work, user = home
    user.write_text("")
    code, out = _run(["path", "--json"], capsys)
    paths = json.loads(out)
    assert code == 0
    assert paths["user config"] == {"path": str(user), "state": "exists"}
    assert paths["project config"] == {"path": str(work / "hopper.toml"), "state": "absent"}
    assert paths["embedded models"]["path"].endswith("hopper/models")


def test_cli_reports_a_bad_setting_in_one_line(home, capsys, monkeypatch):
    from tui.cli import main

    monkeypatch.setenv("HOPPER_LM_TEMPERATURE", "warm")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hopper: error: lm.temperature: cannot read 'warm'") and "\n" not in err


# ---- ranges: every numeric setting checked in one place, with its name and source

def test_negative_max_rounds_from_env_is_refused_naming_setting_and_source(home):
    with pytest.raises(ConfigError) as info:
        load_config(env={"HOPPER_AGENT_MAX_ROUNDS": "-3"})
    assert str(info.value) == ("agent.max_rounds = -3 (from env HOPPER_AGENT_MAX_ROUNDS) is out of range: "
                               "it must be between 1 and 50")


@pytest.mark.parametrize(("where", "setting", "value", "source"), [
    ("flag", "agent.k", 0, "flag"),
    ("flag", "lm.timeout_s", 0.0, "flag"),
    ("env", "lm.n_ctx", "-1", "env HOPPER_LM_N_CTX"),
    ("env", "index.fusion.dense_weight", "1.5", "env HOPPER_INDEX_FUSION_DENSE_WEIGHT"),
    ("file", "agent.max_seconds", -10, "file"),
    ("file", "graph.damping", 0, "file"),
])
def test_out_of_range_values_name_their_source(home, where, setting, value, source):
    work, _ = home
    env, flags = {}, {}
    if where == "flag":
        flags[setting] = value
    elif where == "env":
        env["HOPPER_" + setting.upper().replace(".", "_")] = value
    else:
        section, key = setting.rsplit(".", 1)
        (work / "hopper.toml").write_text(f"[{section}]\n{key} = {value}\n")
        source = f"file {work / 'hopper.toml'}"
    with pytest.raises(ConfigError, match=rf"^{setting} = .* \(from {source}\) is out of range: it must be "):
        load_config(flags, env=env)


def test_every_numeric_setting_has_a_range_and_defaults_fit():
    from agent.config import RANGES, HopperConfig, _leaves, validate

    cfg = HopperConfig()
    values = {name: getattr(owner, f.name) for name, f, owner in _leaves(cfg)}
    numeric = {name for name, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    assert numeric - set(RANGES) == set(), "add the new numeric settings to agent.config.RANGES"
    assert set(RANGES) - numeric == set(), "RANGES names a setting that does not exist"
    validate(cfg)  # the defaults themselves are in range


def test_overlap_must_be_smaller_than_the_chunk(home):
    with pytest.raises(ConfigError, match=r"index.chunk.overlap = 300 \(from flag\) must be smaller than "
                                          r"index.chunk.size = 256 \(from default\)"):
        load_config({"index.chunk.overlap": 300})


def test_cli_reports_an_out_of_range_flag_in_one_line(home, capsys):
    from tui.cli import main

    code = main(["search", "lighthouse", "--index", "nowhere", "--rrf-k", "-5"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("hopper: error: index.fusion.rrf_k = -5 (from flag) is out of range")
