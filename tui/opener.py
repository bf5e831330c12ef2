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
NO_LINE = {"cat", "bat", "batcat", "tac", "nl", "head", "tail", "glow", "mdcat", "type"}
"""Pagers that take no `+LINE` (`cat +12 FILE` fails): they get the file alone."""


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def passage_line(path: str | Path, passage: str) -> int:
    """1-based line of `path` where `passage` starts (1 when it cannot be found).

    The passage's first words are looked up in the file's word stream, so line breaks and
    Markdown punctuation do not matter; when the start differs (a reader rewrote it), later
    words of the passage are tried.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    stream = [(m.group().lower(), n) for n, line in enumerate(text.splitlines(), 1)
              for m in _WORD.finditer(line)]
    words = [w for w, _ in stream]
    wanted = _words(passage)
    for start in (0, 8, 16, 32):
        probe = wanted[start:start + 6]
        if len(probe) < 3:
            break
        for i in range(len(words) - len(probe) + 1):
            if words[i] == probe[0] and words[i:i + len(probe)] == probe:
                return stream[i][1]
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
    probe = " ".join(_words(passage)[:6])
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
    command = (env.get("EDITOR") or env.get("VISUAL") or "vi") if edit else (env.get("PAGER") or "less")
    program = shlex.split(command)
    if is_pdf(path):
        page = pdf_page(path, passage) or 1
        pages = pdf_pages(path)
        text = pages[page - 1] if 0 < page <= len(pages) else ""
        fd, tmp = tempfile.mkstemp(prefix="hopper-", suffix=f"-p{page}.txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{path} · page {page} of {len(pages)}\n\n{text}\n")
        return [*program, tmp]
    if Path(program[0]).name in NO_LINE:
        return [*program, str(path)]
    line = passage_line(path, passage) if passage else 1
    return [*program, f"+{line}", str(path)]
