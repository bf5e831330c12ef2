"""Update settings in a TOML file in place, keeping its comments, order, layout and other keys.

tomlkit parses the file into a document that remembers how it was written (comments, blank
lines, inline tables, dotted keys), so only the values that change are rewritten. The result is
read back with `tomllib` and checked before the file is replaced.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

SCALARS = (bool, int, float, str)


def _check(dotted: str, value: Any) -> None:
    if not isinstance(value, SCALARS):
        raise ValueError(f"{dotted}: only text, numbers and booleans can be saved; "
                         f"got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{dotted}: cannot write {value!r} to TOML")


def set_in_document(doc: tomlkit.TOMLDocument, dotted: str, value: Any) -> None:
    """Set the dotted key in `doc`, adding its table (at the end) when missing; a value that is
    already there, of the same type, is left as written."""
    _check(dotted, value)
    *tables, key = dotted.split(".")
    node: Any = doc
    for i, name in enumerate(tables):
        if name not in node:
            node[name] = tomlkit.table()
        node = node[name]
        if not isinstance(node, dict):
            raise ValueError(f"{dotted}: {'.'.join(tables[: i + 1])} is a value, not a table")
    current = node.get(key)
    if current is not None and type(current.unwrap()) is type(value) and current.unwrap() == value:
        return
    node[key] = value


def update_toml(path: str | Path, values: dict[str, Any]) -> Path:
    """Set `values` (dotted keys) in the TOML file at `path` (created when absent).

    Raises:
        ValueError: the file is not valid TOML, or a value cannot be written there; the file is
            left untouched.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ValueError(f"{path} is not valid TOML ({exc}); fix it first") from exc
    for dotted, value in values.items():
        set_in_document(doc, dotted, value)
    updated = tomlkit.dumps(doc)
    data = tomllib.loads(updated)  # what Hopper will read back
    for dotted, value in values.items():
        got: Any = data
        for part in dotted.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        if got != value:
            raise ValueError(f"cannot update {dotted} in {path} in place; edit it by hand")
    path.write_text(updated, encoding="utf-8")
    return path
