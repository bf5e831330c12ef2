"""`tools.redact`: credentials inside URLs are masked, everything else of the text is kept."""

from __future__ import annotations

import logging

import pytest

from tools.redact import SecretFilter, mask_secrets, mask_value

CASES = [
    ("cannot reach http://ann:hunter2@10.0.0.1:8000/v1 (refused)",
     "cannot reach http://ann:***@10.0.0.1:8000/v1 (refused)"),
    ("https://ghp_abc123@github.com/org/repo", "https://***@github.com/org/repo"),
    ("http://user:p@ss@host/v1", "http://user:***@host/v1"),
    ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("http://h/v1?api_key=abc&model=x", "http://h/v1?api_key=***&model=x"),
    ("http://h/v1?model=x&API-KEY=abc#top", "http://h/v1?model=x&API-KEY=***#top"),
    ("https://s3/b/o?X-Amz-Signature=f00&X-Amz-Expires=60", "https://s3/b/o?X-Amz-Signature=***&X-Amz-Expires=60"),
    ("wss://h/ws?token=t0k", "wss://h/ws?token=***"),
    ("failed to connect to user:PASSW0RD@127.0.0.1:9: refused",
     "failed to connect to user:***@127.0.0.1:9: refused"),
    # left alone: no URL credentials
    ("mailto:ann@example.org, a:b@c", "mailto:ann@example.org, a:b@c"),
    ("write to ann@example.org", "write to ann@example.org"),
    ("http://127.0.0.1:8000/v1?model=qwen", "http://127.0.0.1:8000/v1?model=qwen"),
    ("k = 5, depth=100", "k = 5, depth=100"),
]


@pytest.mark.parametrize(("text", "masked"), CASES)
def test_mask_secrets(text, masked):
    assert mask_secrets(text) == masked


def test_mask_value_walks_nested_data():
    data = {"lm": "openai/x at http://u:PW@h/v1", "list": ["http://h?key=K", 3], "n": None}
    assert mask_value(data) == {"lm": "openai/x at http://u:***@h/v1", "list": ["http://h?key=***", 3],
                                "n": None}


def test_secret_filter_masks_log_records():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "retrying %s after %d s",
                               ("http://u:PW@h/v1", 2), None)
    assert SecretFilter().filter(record) and record.getMessage() == "retrying http://u:***@h/v1 after 2 s"
