"""Fields that can still be read from a JSON reply that did not parse (most often one cut off by
the token cap): complete quoted strings, booleans, integer lists and string lists, by field name.

`HopperJSONAdapter.parse` uses it, so the agent's stages receive the complete fields of a cut-off
reply as an ordinary prediction, marked `salvaged` (the names of the fields it could read).
"""

from __future__ import annotations

import json
import re
from typing import Any

_STRING = r'"((?:[^"\\]|\\.)*)"'


def salvage(raw: str) -> dict[str, Any]:
    """Complete scalar and list fields of `raw`, by name (first occurrence wins)."""
    out: dict[str, Any] = {}
    for name in re.findall(r'"(\w+)"\s*:\s*\[', raw):
        items = salvage_list(raw, name)
        if items:
            out.setdefault(name, items)
    for name, value in re.findall(rf'"(\w+)"\s*:\s*{_STRING}', raw):
        out.setdefault(name, _unescape(value))
    for name, value in re.findall(r'"(\w+)"\s*:\s*(true|false)', raw):
        out.setdefault(name, value == "true")
    for name, value in re.findall(r'"(\w+)"\s*:\s*\[([\d,\s]*)\]', raw):
        out.setdefault(name, [int(v) for v in re.findall(r"\d+", value)])
    return out


def salvage_list(raw: str, name: str) -> list[str]:
    """The complete strings of the list field `name` in `raw`."""
    m = re.search(rf'"{name}"\s*:\s*\[(.*)', raw, re.S)
    if not m:
        return []
    return [_unescape(v) for v in re.findall(_STRING, _list_body(m.group(1)))]


def _list_body(text: str) -> str:
    """`text` up to the `]` that closes the list (brackets inside strings do not count)."""
    in_string = escaped = False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == '"':
            in_string = not in_string
        elif c == "]" and not in_string:
            return text[:i]
    return text


def _unescape(value: str) -> str:
    try:
        return json.loads(f'"{value}"')
    except ValueError:
        return value
