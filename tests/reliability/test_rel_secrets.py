"""Probes: a password or key inside a URL never reaches the error line, the trace, the log or
`hopper config show`."""

from __future__ import annotations

import json

from rel_support import hopper

from tui.cli import main

URL = "http://user:PASSW0RD@127.0.0.1:9/v1?api_key=QSECRET1"
SECRETS = ("PASSW0RD", "QSECRET1")


def test_secrets_in_the_api_base_are_masked_in_error_trace_and_log(shared_index, tmp_path):
    trace = tmp_path / "run.jsonl"
    proc = hopper("-vv", "ask", "On which river lies Lowbridge?", "--index", shared_index[1], "--lm",
                  "openai/fake", "--api-base", URL, "--no-cache", "--trace", trace,
                  env={"HOPPER_LM_RETRIES": "0", "XDG_CONFIG_HOME": str(tmp_path)})
    assert proc.returncode == 2
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith("hopper: error: ") and "http://user:***@127.0.0.1:9/v1?api_key=***" in error
    text = trace.read_text()
    assert "user:***@127.0.0.1" in text  # the trace names the server, without the password
    for secret in SECRETS:
        assert secret not in proc.stderr and secret not in proc.stdout and secret not in text


def test_config_show_masks_the_password_of_a_url(clean_env, capsys):
    assert main(["config", "show", "lm", "--api-base", URL]) == 0
    table = capsys.readouterr().out
    assert main(["config", "show", "--json", "lm", "--api-base", URL]) == 0
    rows = {r["setting"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    assert rows["lm.api_base"] == repr("http://user:***@127.0.0.1:9/v1?api_key=***")
    for secret in SECRETS:
        assert secret not in table and secret not in json.dumps(rows)
