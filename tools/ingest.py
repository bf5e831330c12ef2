"""Read documents from folders and corpus files, skipping bad input with a one-line reason.

Formats (`--format`):
- `files`: `.md .txt .html .htm .pdf` under the given paths (folders recursively), read with
  llama-index's file readers; the document id is the path relative to the given folder.
- `jsonl`: BEIR-style corpus lines `{"_id"|"id", "title", "text"}`.
- `hotpotqa`: a JSON object `title -> [sentences]` (or a list of `[title, [sentences]]`).
- `auto`: `.jsonl` files as `jsonl`, `.json` files as `hotpotqa`, everything else as `files`.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from charset_normalizer import from_bytes

from tools.chunking import content_hash
from tools.errors import DataFormatError, IngestError
from tools.markdown import markdown_text
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
        # Callers show `skipped` to the user (the CLI prints one line per file): log at debug
        # level only, so a reason is never printed twice.
        log.debug("skipped %s: %s", path, reason)
        self.skipped.append(Skipped(str(path), reason))


def make_document(doc_id: str, title: str, text: str, source: str, **metadata) -> Document:
    return Document(doc_id=doc_id, title=title, text=text, source=source,
                    content_hash=content_hash(title, text), metadata=metadata)


# ---------------------------------------------------------------- single files

_SAMPLE = 64 * 1024
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_COMMON_ENCODINGS = ("cp1252", "latin_1", "iso8859_15", "utf_16", "shift_jis", "gb18030", "big5", "euc_kr",
                     "cp1251", "koi8_r")
_CONTROL = bytes(c for c in range(32) if chr(c) not in "\t\n\r\f\v\x1b")


def _looks_binary(raw: bytes) -> bool:
    """True for real binary data: NUL bytes (outside UTF-16/32 text) or many control bytes."""
    sample = raw[:_SAMPLE]
    if not sample or sample.startswith(_BOMS):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([c])) for c in _CONTROL)
    return controls > 0.05 * len(sample)


def _utf16_without_bom(raw: bytes) -> str | None:
    """The text of UTF-16 bytes that lack a byte-order mark, else None.

    Text in UTF-16 has a NUL in one byte of most characters (Latin, digits, punctuation): in the
    even bytes for big-endian, the odd ones for little-endian, and almost none in the other half.
    """
    sample = raw[:_SAMPLE] if len(raw) > _SAMPLE else raw
    sample = sample[: len(sample) // 2 * 2]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    encoding = ("utf-16-be" if even > 0.3 * half and odd < 0.02 * half
                else "utf-16-le" if odd > 0.3 * half and even < 0.02 * half else None)
    if encoding is None:
        return None
    try:
        text = raw[: len(raw) // 2 * 2].decode(encoding)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for c in text[:_SAMPLE] if c < " " and c not in "\t\n\r\f\v")
    return text if controls <= 0.01 * max(1, len(text[:_SAMPLE])) else None


def decode_text(raw: bytes) -> str:
    """Text of `raw`: UTF-8 when it is, UTF-16 without a byte-order mark when its NUL bytes say so,
    else the encoding charset-normalizer detects (latin-1, cp1252, UTF-16, Shift-JIS, ...).

    Raises:
        IngestError: for binary content (no text encoding fits).
    """
    if b"\x00" in raw[:_SAMPLE] and not raw.startswith(_BOMS):
        text = _utf16_without_bom(raw)
        if text is not None:
            return text
    if _looks_binary(raw):
        raise IngestError("binary content, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = from_bytes(raw[: 4 * _SAMPLE])
    best = matches.best()
    if best is None or best.encoding is None:
        raise IngestError("binary content, not text (no text encoding fits)")
    encoding = best.encoding
    # Single-byte code pages often fit equally well (cp1250 vs cp1252 on Western text): among
    # the equally good ones, take the commonest.
    tied = {m.encoding for m in matches
            if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01}
    encoding = next((e for e in _COMMON_ENCODINGS if e in tied), encoding)
    log.debug("decoding as %s", encoding)
    return raw.decode(encoding, errors="replace")


def _read_text(path: Path) -> str:
    return decode_text(path.read_bytes())


def _read_markdown(path: Path) -> tuple[str, str]:
    return markdown_text(_read_text(path))


def _read_plain(path: Path) -> tuple[str, str]:
    text = _read_text(path)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return (first if len(first) <= 120 else ""), text


def _read_html(path: Path) -> tuple[str, str]:
    from bs4 import BeautifulSoup
    from llama_index.readers.file.html import HTMLTagReader  # heavy: llama-index, loaded when first needed

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
    from llama_index.readers.file.docs import PDFReader  # heavy: llama-index, loaded when first needed

    if not path.read_bytes()[:1024].lstrip().startswith(b"%PDF"):
        raise IngestError("not a PDF (missing %PDF header)")
    try:
        docs = PDFReader(return_full_document=True).load_data(path)
    except Exception as exc:  # pypdf raises many kinds on damaged files (wrapped in a RetryError)
        last = getattr(exc, "last_attempt", None)
        cause = last.exception() if last is not None and last.exception() else exc
        raise IngestError(f"corrupt PDF ({type(cause).__name__}: {str(cause)[:80]})") from exc
    text = _LINE_HYPHEN.sub("", "\n".join(d.text for d in docs).strip())
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return (first if len(first) <= 120 else ""), text


_LINE_HYPHEN = re.compile(r"(?<=[a-z])-[ \t]*\n[ \t]*(?=[a-z])")
"""A word a PDF hyphenated at the end of a line ("retrie-\nval"): joined again, so that its
reader and the span checks see "retrieval"."""


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


def _walk(path: Path, report: IngestReport) -> Iterator[Path]:
    """Files under `path` (hidden ones left out), following folder links once; a link that loops
    or points nowhere is skipped with a reason."""
    if path.is_file():
        yield path
        return
    seen: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(path, followlinks=True):
        here = Path(folder)
        st = here.stat()
        if (st.st_dev, st.st_ino) in seen:  # a folder link back into the tree
            report.skip(here, "symbolic link loop (a folder link that leads back into the indexed tree)")
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            child = here / name
            if child.is_file():
                yield child
            elif child.is_symlink():
                report.skip(child, _bad_link_reason(child))


def _bad_link_reason(link: Path) -> str:
    try:
        link.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return "symbolic link loop"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"broken symbolic link (target {os.readlink(link)} {exc.strerror.lower()})"
    return "symbolic link to something that is not a file"


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
            if root.is_symlink():
                raise IngestError(f"{root}: {_bad_link_reason(root)}; remove the link or name the real path")
            raise IngestError(f"{root}: no such file or folder")
        for path in _walk(root, report):
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
