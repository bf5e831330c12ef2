"""Where a passage is in its source file, and the command that opens the file there.

`passage_line` finds the line of a text file where a passage starts; `pdf_page` the page of a
PDF that holds it (pages are read with pypdf, which indexing already uses). `open_command`
builds `$PAGER +LINE FILE` or `$EDITOR +LINE FILE` (less and vi when unset); a PDF page is
written as text to a temporary file and opened in the pager.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _probe(passage: str, n: int = 8) -> list[str]:
    """The first words of the passage's first line with enough text (headings and blanks skipped)."""
    for line in passage.splitlines():
        words = _words(line)
        if len(words) >= 4:
            return words[:n]
    return _words(passage)[:n]


def passage_line(path: str | Path, passage: str) -> int:
    """1-based line of `path` where `passage` starts (1 when it cannot be found)."""
    probe = _probe(passage)
    if not probe:
        return 1
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    for i, line in enumerate(lines):
        words = _words(line)
        k = min(len(probe), len(words))
        if k >= min(4, len(probe)) and any(words[j:j + k] == probe[:k] for j in range(len(words) - k + 1)):
            return i + 1
    return 1


@lru_cache(maxsize=16)
def _pdf_pages(path: str, mtime: float) -> tuple[str, ...]:
    from pypdf import PdfReader

    return tuple((page.extract_text() or "") for page in PdfReader(path).pages)


def pdf_pages(path: str | Path) -> tuple[str, ...]:
    p = Path(path)
    return _pdf_pages(str(p), p.stat().st_mtime)


def pdf_page(path: str | Path, passage: str) -> int | None:
    """1-based page of the PDF that holds the start of `passage` (None: not found or unreadable)."""
    probe = " ".join(_probe(passage, 6))
    if not probe:
        return None
    try:
        pages = pdf_pages(path)
    except Exception:  # a damaged or encrypted PDF: no page number, not an error on screen
        return None
    for n, text in enumerate(pages, 1):
        if probe in " ".join(_words(text)):
            return n
    return None


def is_pdf(path: str | Path) -> bool:
    return str(path).lower().endswith(".pdf")


def open_command(path: str | Path, passage: str = "", *, edit: bool = False,
                 env: dict[str, str] | None = None) -> list[str]:
    """The command that shows `path` at `passage`: `$EDITOR` when `edit`, else `$PAGER`.

    Raises FileNotFoundError when the file is gone (the index is older than the folder).
    """
    env = os.environ if env is None else env
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} no longer exists; re-sync the corpus (F5 on the Corpus screen)")
    program = shlex.split((env.get("EDITOR") or env.get("VISUAL") or "vi") if edit else (env.get("PAGER") or "less"))
    if is_pdf(path):
        page = pdf_page(path, passage) or 1
        pages = pdf_pages(path)
        text = pages[page - 1] if 0 < page <= len(pages) else ""
        fd, tmp = tempfile.mkstemp(prefix="hopper-", suffix=f"-p{page}.txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{path} · page {page} of {len(pages)}\n\n{text}\n")
        return [*program, tmp]
    line = passage_line(path, passage) if passage else 1
    return [*program, f"+{line}", str(path)]
