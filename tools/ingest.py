"""Read documents from folders and corpus files, skipping bad input with a one-line reason.

Formats (`--format`):
- `files`: `.md .txt .html .htm .pdf` under the given paths (folders recursively), read with
  llama-index's file readers; the document id is the path relative to the given folder.
- `jsonl`: BEIR-style corpus lines `{"_id"|"id", "title", "text"}`.
- `hotpotqa`: a JSON object `title -> [sentences]` (or a list of `[title, [sentences]]`).
- `auto`: `.jsonl` files as `jsonl`, `.json` files as `hotpotqa`, everything else as `files`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tools.chunking import content_hash
from tools.errors import DataFormatError, IngestError
from tools.types import Document

log = logging.getLogger(__name__)

FILE_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
Format = Literal["auto", "files", "jsonl", "hotpotqa"]


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class IngestReport:
    documents: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def skip(self, path: str | Path, reason: str) -> None:
        log.warning("skipped %s: %s", path, reason)
        self.skipped.append(Skipped(str(path), reason))


def make_document(doc_id: str, title: str, text: str, source: str, **metadata) -> Document:
    return Document(doc_id=doc_id, title=title, text=text, source=source,
                    content_hash=content_hash(title, text), metadata=metadata)


# ---------------------------------------------------------------- single files

def _looks_binary(raw: bytes) -> bool:
    if b"\x00" in raw[:8192]:
        return True
    try:
        raw[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < 8190  # a multibyte char cut at the window edge is fine
    return False


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if _looks_binary(raw):
        raise IngestError("binary content, not text")
    return raw.decode("utf-8", errors="replace")


def _read_markdown(path: Path) -> tuple[str, str]:
    text = _read_text(path)
    m = re.search(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M)
    return (m.group(1).strip() if m else ""), text


def _read_plain(path: Path) -> tuple[str, str]:
    text = _read_text(path)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return (first if len(first) <= 120 else ""), text


def _read_html(path: Path) -> tuple[str, str]:
    from bs4 import BeautifulSoup
    from llama_index.readers.file.html import HTMLTagReader

    raw = _read_text(path)
    soup = BeautifulSoup(raw, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if not title and soup.find("h1"):
        title = soup.find("h1").get_text(" ", strip=True)
    tag = "body" if soup.find("body") else "html"
    docs = HTMLTagReader(tag=tag, ignore_no_id=False).load_data(path)
    text = "\n\n".join(d.text for d in docs).strip()
    if not text:  # fragments without <body>/<html>
        text = soup.get_text("\n", strip=True)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return title, text


def _read_pdf(path: Path) -> tuple[str, str]:
    from llama_index.readers.file.docs import PDFReader

    if not path.read_bytes()[:1024].lstrip().startswith(b"%PDF"):
        raise IngestError("not a PDF (missing %PDF header)")
    try:
        docs = PDFReader(return_full_document=True).load_data(path)
    except Exception as exc:  # pypdf raises many kinds on damaged files (wrapped in a RetryError)
        last = getattr(exc, "last_attempt", None)
        cause = last.exception() if last is not None and last.exception() else exc
        raise IngestError(f"corrupt PDF ({type(cause).__name__}: {str(cause)[:80]})") from exc
    text = "\n".join(d.text for d in docs).strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return (first if len(first) <= 120 else ""), text


READERS = {".md": _read_markdown, ".markdown": _read_markdown, ".txt": _read_plain,
           ".html": _read_html, ".htm": _read_html, ".pdf": _read_pdf}


def read_file(path: Path, root: Path, max_bytes: int) -> Document:
    """Read one file into a Document; raises IngestError with a one-line reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"unreadable ({exc.strerror or exc})") from exc
    if size == 0:
        raise IngestError("empty file")
    if size > max_bytes:
        raise IngestError(f"oversized ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB limit)")
    try:
        title, text = READERS[path.suffix.lower()](path)
    except IngestError:
        raise
    except OSError as exc:
        raise IngestError(f"unreadable ({exc.strerror or exc})") from exc
    except Exception as exc:
        raise IngestError(f"cannot parse ({type(exc).__name__}: {str(exc)[:80]})") from exc
    if not text.strip():
        raise IngestError("no text content")
    doc_id = path.relative_to(root).as_posix() if path != root else path.name
    return make_document(doc_id, title or path.stem.replace("_", " "), text, str(path.resolve()))


def _walk(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for child in sorted(path.rglob("*")):
        if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
            yield child


# ---------------------------------------------------------------- corpus files

def read_jsonl_corpus(path: Path, report: IngestReport) -> Iterator[Document]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc_id = str(row.get("_id", row.get("id")))
                if doc_id == "None":
                    raise KeyError("_id/id")
                title, text = str(row.get("title") or ""), str(row.get("text") or "")
            except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                report.skip(f"{path}:{n}", f"malformed corpus line ({exc})")
                continue
            if not (title + text).strip():
                report.skip(f"{path}:{n}", "empty document")
                continue
            yield make_document(doc_id, title, text, f"{path}#L{n}")


def read_hotpotqa_corpus(path: Path, report: IngestReport) -> Iterator[Document]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"{path}: not a readable HotpotQA corpus ({exc})") from exc
    items = data.items() if isinstance(data, dict) else data
    for item in items:
        try:
            title, sentences = item
            text = "".join(sentences) if isinstance(sentences, list) else str(sentences)
        except (TypeError, ValueError):
            report.skip(str(path), f"malformed entry {str(item)[:60]!r}")
            continue
        if not text.strip():
            report.skip(f"{path}#{title}", "empty document")
            continue
        yield make_document(str(title), str(title), text.strip(), f"{path}#{title}")


# ---------------------------------------------------------------- entry point

def iter_documents(paths: list[Path], fmt: Format = "auto", max_file_mb: float = 20.0,
                   report: IngestReport | None = None) -> Iterator[Document]:
    """Yield every readable document under `paths`; bad input is recorded in `report`."""
    report = report if report is not None else IngestReport()
    max_bytes = int(max_file_mb * 1e6)
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise IngestError(f"{root}: no such file or folder")
        for path in _walk(root):
            kind = fmt
            if fmt == "auto":
                kind = {".jsonl": "jsonl", ".json": "hotpotqa"}.get(path.suffix.lower(), "files")
            if kind == "jsonl":
                yield from _counted(read_jsonl_corpus(path, report), report)
            elif kind == "hotpotqa":
                yield from _counted(read_hotpotqa_corpus(path, report), report)
            elif path.suffix.lower() not in FILE_SUFFIXES:
                if root.is_file():
                    report.skip(path, f"unsupported file type {path.suffix or '(none)'}")
                continue
            else:
                try:
                    doc = read_file(path, root if root.is_dir() else root.parent, max_bytes)
                except IngestError as exc:
                    report.skip(path, str(exc))
                    continue
                report.documents += 1
                yield doc


def _counted(docs: Iterator[Document], report: IngestReport) -> Iterator[Document]:
    for doc in docs:
        report.documents += 1
        yield doc
