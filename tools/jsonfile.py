"""Reading Hopper's JSON files: versioned records and JSON-lines files, one reader each.

A versioned record is a JSON object with a `format` name and an integer `version`
(`manifest.json`, a graph's `meta.json`, `milvus.json`). A reader accepts its own format
at its version or older and names the fix otherwise. A JSON-lines file holds one JSON
value per line; blank lines are skipped and a bad line is reported with its number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tools.errors import HopperError, IndexCorruptError

T = TypeVar("T")

REBUILD = "rebuild with `hopper index ... --rebuild`"


def read_versioned(path: Path, fmt: str, version: int, what: str, fix: str = REBUILD) -> dict[str, Any]:
    """The JSON object at `path`, checked to be format `fmt` at version `version` or older.

    Args:
        path: the file to read (it must exist; callers decide what a missing file means).
        fmt: the expected `format` value.
        version: the newest version this Hopper understands.
        what: a short name for the error messages ("index", "graph", "Milvus record").
        fix: what the user should do about an unreadable file.

    Raises:
        IndexCorruptError: unreadable JSON, another format, or a newer version.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {fix}") from exc
    if not isinstance(data, dict) or data.get("format") != fmt:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise IndexCorruptError(f"{path.parent} is not a Hopper {what} ({path.name} format {found!r})")
    try:
        found_version = int(data.get("version", 0))
    except (TypeError, ValueError) as exc:
        raise IndexCorruptError(f"{path} has a bad version {data.get('version')!r}; {fix}") from exc
    if found_version > version:
        raise IndexCorruptError(f"{path.parent} was written by a newer Hopper "
                                f"({what} format v{found_version}); "
                                "upgrade Hopper or rebuild the index")
    return data


def to_json(value: Any, **kwargs: Any) -> str:
    """`json.dumps(value, ensure_ascii=False)`, or ASCII-escaped JSON when `value` holds a lone surrogate.

    A file name that is not UTF-8 (`a\\xff.txt`) reaches Python as `a\\udcff.txt` (surrogate
    escape); written as the escape `"\\udcff"` it survives the round trip through a UTF-8 file,
    where the raw character could not be encoded at all.
    """
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, **kwargs)
    return text


def write_versioned(path: Path, fmt: str, version: int, fields: dict[str, Any],
                    indent: int | None = 1) -> dict[str, Any]:
    """Write `fields` under a `format`/`version` header to `path`; returns what was written."""
    data = {"format": fmt, "version": version, **fields}
    Path(path).write_text(to_json(data, indent=indent), encoding="utf-8")
    return data


def iter_jsonl(path: Path, parse: Callable[[Any], T] = lambda row: row, *,
               error: Callable[[str], HopperError] = IndexCorruptError,
               on_bad: Callable[[int, Exception], None] | None = None, fix: str = "",
               bad: str = "malformed JSON line") -> Iterator[tuple[int, T]]:
    """`(line number, parse(value))` for every non-blank line of a JSON-lines file.

    Args:
        path: the file.
        parse: turns one decoded JSON value into the caller's type; a `ValueError`,
            `KeyError`, `TypeError` or `AttributeError` it raises marks the line as bad.
        error: the `HopperError` class raised for an unreadable file or a bad line.
        on_bad: when given, bad lines are passed to it and skipped instead of raising
            (a file cut off by a kill ends in half a line).
        fix: what the user should do, appended to the error message.
        bad: what the error message calls a bad line.

    Raises:
        `error`: the file cannot be read, or a line is bad and `on_bad` is None.
    """
    path = Path(path)
    hint = f"; {fix}" if fix else ""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc}){hint}") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = parse(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                if on_bad is None:
                    raise error(f"{path}:{n}: {bad} ({exc}){hint}") from exc
                on_bad(n, exc)
                continue
            yield n, value


def json_object(row: Any) -> dict[str, Any]:
    """`row` when it is a JSON object (a `parse` for `iter_jsonl`)."""
    if not isinstance(row, dict):
        raise ValueError(f"not a JSON object but {type(row).__name__}")
    return row
