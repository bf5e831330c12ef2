"""Update settings in a TOML file in place, keeping its comments, order and other keys.

The standard library reads TOML (`tomllib`) but does not write it, and the settings the TUI
saves are scalars (str, int, float, bool) under `[section]` tables, so a line-based update is
enough: replace `key = ...` inside its table, or add the key (and the table) when missing.
The result is read back with `tomllib` and checked; a file laid out in a way this cannot
update (inline tables, dotted keys) raises ValueError and is left untouched.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

_TABLE = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")


def toml_value(value: Any) -> str:
    """A scalar as TOML (strings as JSON-style basic strings, which TOML accepts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} to TOML")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise ValueError(f"only text, numbers and booleans can be saved; got {type(value).__name__}")


def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")


def _holds(line: str, key: str, value: Any) -> bool:
    """Whether the `key = ...` line already sets `value`."""
    try:
        got = tomllib.loads(line).get(key)
    except tomllib.TOMLDecodeError:  # a multi-line value: rewrite it
        return False
    return got == value and type(got) is type(value)


def set_in_text(text: str, values: dict[str, Any]) -> str:
    """`text` (TOML) with each dotted key of `values` set; tables are added at the end when missing."""
    lines = text.splitlines()
    for dotted, value in values.items():
        table, _, key = dotted.rpartition(".")
        new = f"{key} = {toml_value(value)}"
        # the lines of the table: from its header (or the start, for top-level keys) to the next header
        if table:
            start = next((i for i, line in enumerate(lines) if (m := _TABLE.match(line))
                          and m.group(1).strip() == table), None)
            if start is None:
                if lines and lines[-1].strip():
                    lines.append("")
                lines += [f"[{table}]", new]
                continue
            first = start + 1
        else:
            first = 0
        end = next((i for i in range(first, len(lines)) if _TABLE.match(lines[i])), len(lines))
        pattern = _key_line(key)
        at = next((i for i in range(first, end) if pattern.match(lines[i])), None)
        if at is not None:
            if not _holds(lines[at], key, value):  # an unchanged line keeps its comment
                lines[at] = new
        else:
            settings = [i for i in range(first, end)
                        if lines[i].strip() and not lines[i].lstrip().startswith("#")]
            last = max(settings, default=first - 1)
            lines.insert(last + 1, new)
    return "\n".join(lines) + "\n"


def update_toml(path: str | Path, values: dict[str, Any]) -> Path:
    """Set `values` (dotted keys) in the TOML file at `path` (created when absent)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML ({exc}); fix it first") from exc
    updated = set_in_text(text, values)
    try:
        data = tomllib.loads(updated)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"cannot update {path} in place ({exc}); edit it by hand") from exc
    for dotted, value in values.items():
        got: Any = data
        for part in dotted.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        if got != value:
            raise ValueError(f"cannot update {dotted} in {path} in place (it uses inline tables or dotted "
                             f"keys); edit it by hand")
    path.write_text(updated, encoding="utf-8")
    return path
