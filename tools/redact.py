"""Masking credentials that ride inside URLs, wherever text leaves Hopper (errors, traces, logs,
`hopper config show`).

Two places hide a secret in a URL: the user-info part (`http://user:PASSWORD@host/`, or a bare
token `https://TOKEN@host/`) and the query string (`?api_key=...`, `&token=...`). Both are
replaced by `***`; the host, path and every other parameter stay readable, so a message still
says which server failed.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# scheme://userinfo@ : userinfo has no whitespace, '/', '@' (RFC 3986 forbids an unescaped '@' in it).
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<info>[^\s/?#\"'<>]+)@")
# user:password@host:port or user:password@host/ without a scheme (how HTTP clients name a connection).
_BARE_USERINFO = re.compile(r"(?<![\w/:@.\-])(?P<user>[\w.\-~%]+):(?P<pw>[^\s/@:]+)@(?=[\w.\-]+(?::\d+|/))")
_QUERY_NAMES = ("api[_-]?key", "apikey", "key", "access[_-]?token", "refresh[_-]?token", "id[_-]?token",
                "token", "auth", "password", "passwd", "pwd", "secret", "client[_-]?secret", "sig",
                "signature", "x-amz-signature", "x-amz-credential", "x-goog-signature", "code")
_QUERY = re.compile(r"(?i)(?P<lead>[?&;](?:%s)=)(?P<value>[^&#\s\"'<>]+)" % "|".join(_QUERY_NAMES))


def _mask_info(match: re.Match) -> str:
    info = match.group("info")
    user, sep, _ = info.partition(":")
    return f"{match.group('scheme')}{user}:{MASK}@" if sep else f"{match.group('scheme')}{MASK}@"


def mask_secrets(text: str) -> str:
    """`text` with every URL's password (or bare user-info token) and secret query values masked.

    >>> mask_secrets("cannot reach http://ann:hunter2@10.0.0.1:8000/v1?api_key=abc&x=1")
    'cannot reach http://ann:***@10.0.0.1:8000/v1?api_key=***&x=1'
    """
    if "@" not in text and "=" not in text:
        return text
    text = _BARE_USERINFO.sub(lambda m: f"{m.group('user')}:{MASK}@", _USERINFO.sub(_mask_info, text))
    return _QUERY.sub(lambda m: f"{m.group('lead')}{MASK}", text)


def mask_value(value):
    """`value` with `mask_secrets` applied to every string inside it (dicts, lists, tuples)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(v) for v in value)
    return value


class SecretFilter(logging.Filter):
    """A logging filter that masks URL credentials in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format string: leave it to logging's own report
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
