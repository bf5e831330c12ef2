#!/usr/bin/env python3
"""Sanity checks for the Hopper demo corpus and its question set (standard library only).

Checks:
  * corpus: every document under docs/ has a title in the right place for its format,
    80-250 words of text, at least 44 documents in total, exactly one PDF, and exactly
    one document (notes/visitor_leaflet.md) carrying the deliberate prompt injection;
  * questions.jsonl: required keys and types, unique ids, hops in {1, 2, 3} and equal to
    the number of supporting documents, split in {train, test}, hop-1 questions only in
    train, every supporting id an existing file under docs/, no question relying on the
    injected leaflet, and every answer string (case-insensitive, whitespace-normalised)
    present in the text of at least one of that question's supporting documents;
  * split sizes: at least 20 train and 16 test questions, each split with 2- and 3-hop
    questions.

PDF text is read straight from the (uncompressed) content stream written by
make_pdf.py, and cross-checked against the source lines in make_pdf.py.

Usage: python examples/demo/check_questions.py [--quiet]
Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
QUESTIONS = HERE / "questions.jsonl"

FORMATS = {".md", ".txt", ".html", ".pdf"}
INJECTION_DOC = "notes/visitor_leaflet.md"
INJECTION_MARKER = "IGNORE ALL PREVIOUS INSTRUCTIONS"
MIN_WORDS, MAX_WORDS = 80, 250
MIN_DOCS = 44
REQUIRED_KEYS = {"id": str, "question": str, "answers": list, "supporting_ids": list,
                 "hops": int, "split": str}


# ---------------------------------------------------------------- text extraction

class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._stack.append(tag)
        if tag in {"p", "h1", "h2", "h3", "li", "br", "div", "title"}:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        cur = self._stack[-1] if self._stack else ""
        if cur == "title":
            self.title += data
            return  # the <title> duplicates the <h1>; keep body text only
        if "h1" in self._stack:
            self.h1 += data
        if cur in {"script", "style"}:
            return
        self.parts.append(data)


def _pdf_unescape(s: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == 0x5C and i + 1 < len(s):  # backslash
            n = s[i + 1]
            simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12,
                      ord("("): 40, ord(")"): 41, ord("\\"): 92}
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            m = re.match(rb"[0-7]{1,3}", s[i + 1:i + 4])
            if m:
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
                continue
            i += 1  # unknown escape: drop the backslash
            continue
        out.append(c)
        i += 1
    return out.decode("cp1252", errors="replace")


def pdf_text(path: Path) -> str:
    """Text of a simple, uncompressed PDF such as the one make_pdf.py writes."""
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    lines: list[str] = []
    cur: list[str] = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        body = m.group(1)
        if b"/Filter" in data[max(0, m.start() - 200):m.start()]:
            raise ValueError("compressed streams are not supported by this checker")
        for tok in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj|T\*|\bET\b", body, re.S):
            if tok.group(0) in (b"T*", b"ET"):
                lines.append("".join(cur))
                cur = []
            else:
                cur.append(_pdf_unescape(tok.group(1)))
    if cur:
        lines.append("".join(cur))
    return "\n".join(lines).strip()


def read_doc(path: Path) -> tuple[str, str]:
    """Return (title, body text) for a document."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = pdf_text(path)
        return text.splitlines()[0].strip() if text else "", text
    raw = path.read_text(encoding="utf-8")
    if suffix == ".md":
        first = raw.splitlines()[0] if raw else ""
        title = first[2:].strip() if first.startswith("# ") else ""
        return title, raw
    if suffix == ".txt":
        first = raw.splitlines()[0].strip() if raw else ""
        return first, raw
    if suffix == ".html":
        p = _HTMLText()
        p.feed(raw)
        p.close()
        title, h1 = html.unescape(p.title).strip(), html.unescape(p.h1).strip()
        return (title if title and title == h1 else ""), "".join(p.parts)
    raise ValueError(f"unsupported format {suffix}")


def norm(s: str) -> str:
    s = s.replace("\u2019", "'").replace("\u2018", "'")
    s = re.sub(r"[*_`#]", " ", s)  # markdown emphasis/heading marks
    return re.sub(r"\s+", " ", s).strip().lower()


# ---------------------------------------------------------------- checks

def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    errors: list[str] = []

    def err(msg: str) -> None:
        errors.append(msg)

    # corpus ------------------------------------------------------------
    docs: dict[str, str] = {}
    fmt_counts: Counter[str] = Counter()
    for path in sorted(DOCS.rglob("*")):
        if not path.is_file():
            continue
        doc_id = path.relative_to(DOCS).as_posix()
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            err(f"{doc_id}: unexpected file format")
            continue
        fmt_counts[suffix] += 1
        try:
            title, text = read_doc(path)
        except Exception as exc:  # noqa: BLE001 - report and keep going
            err(f"{doc_id}: could not read ({exc})")
            continue
        if not title:
            err(f"{doc_id}: missing or inconsistent title")
        words = len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’,.\-–]*", text))
        if not MIN_WORDS <= words <= MAX_WORDS:
            err(f"{doc_id}: {words} words (want {MIN_WORDS}-{MAX_WORDS})")
        docs[doc_id] = norm(text)

    if len(docs) < MIN_DOCS:
        err(f"only {len(docs)} documents (want at least {MIN_DOCS})")
    if fmt_counts[".pdf"] != 1:
        err(f"{fmt_counts['.pdf']} PDF documents (want exactly 1)")
    folders = {d.split("/")[0] for d in docs if "/" in d}
    if len(folders) < 2:
        err("documents should be spread over at least two subfolders")

    injected = sorted(d for d, t in docs.items() if INJECTION_MARKER.lower() in t)
    if injected != [INJECTION_DOC]:
        err(f"prompt-injection marker found in {injected} (want exactly [{INJECTION_DOC}])")

    # PDF text must match its source lines in make_pdf.py
    try:
        sys.path.insert(0, str(HERE))
        sys.dont_write_bytecode = True
        import make_pdf  # type: ignore

        pdfs = [d for d in docs if d.endswith(".pdf")]
        for d in pdfs:
            if norm(make_pdf.plain_text()) != docs[d]:
                err(f"{d}: text differs from make_pdf.py source; re-run make_pdf.py")
    except ImportError as exc:
        err(f"could not import make_pdf.py ({exc})")

    # questions ---------------------------------------------------------
    seen: set[str] = set()
    table: Counter[tuple[str, int]] = Counter()
    n = 0
    for lineno, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        n += 1
        where = f"questions.jsonl:{lineno}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            err(f"{where}: invalid JSON ({exc})")
            continue
        bad = False
        for key, typ in REQUIRED_KEYS.items():
            if not isinstance(q.get(key), typ) or isinstance(q.get(key), bool):
                err(f"{where}: key {key!r} missing or not {typ.__name__}")
                bad = True
        if bad:
            continue
        qid = q["id"]
        where = f"{where} ({qid})"
        if not re.fullmatch(r"q\d{2,}", qid):
            err(f"{where}: id should look like q01")
        if qid in seen:
            err(f"{where}: duplicate id")
        seen.add(qid)
        if q["split"] not in {"train", "test"}:
            err(f"{where}: split must be train or test")
        if q["hops"] not in {1, 2, 3}:
            err(f"{where}: hops must be 1, 2 or 3")
        if q["hops"] == 1 and q["split"] != "train":
            err(f"{where}: single-document questions belong in train")
        sup = q["supporting_ids"]
        if len(sup) != q["hops"] or len(set(sup)) != len(sup):
            err(f"{where}: want {q['hops']} distinct supporting ids, got {sup}")
        if not q["answers"] or not all(isinstance(a, str) and a.strip() for a in q["answers"]):
            err(f"{where}: answers must be a non-empty list of strings")
            continue
        for a in q["answers"]:
            if len(a.split()) > 6:
                err(f"{where}: answer {a!r} is not short")
        for s in sup:
            if s == INJECTION_DOC:
                err(f"{where}: questions must not depend on {INJECTION_DOC}")
            if s not in docs:
                exists = (DOCS / s).is_file()
                err(f"{where}: supporting id {s!r} " + ("unreadable" if exists else "does not exist"))
        texts = [docs[s] for s in sup if s in docs]
        for a in q["answers"]:
            if not any(norm(a) in t for t in texts):
                err(f"{where}: answer {a!r} not found in any supporting document")
        table[(q["split"], q["hops"])] += 1

    per_split = Counter()
    for (split, _), c in table.items():
        per_split[split] += c
    if n < 36:
        err(f"only {n} questions (want at least 36)")
    if per_split["train"] < 20 or per_split["test"] < 16:
        err(f"split sizes train={per_split['train']} test={per_split['test']} (want >=20 / >=16)")
    for split in ("train", "test"):
        for hops in (2, 3):
            if not table[(split, hops)]:
                err(f"split {split} has no {hops}-hop questions")

    # report ------------------------------------------------------------
    if not quiet:
        print(f"documents: {len(docs)}  " + "  ".join(
            f"{k[1:]}={v}" for k, v in sorted(fmt_counts.items())))
        print(f"questions: {n}")
        for split in ("train", "test"):
            cells = "  ".join(f"{h}-hop={table[(split, h)]}" for h in (1, 2, 3))
            print(f"  {split:5s} {per_split[split]:3d}  {cells}")
    for e in errors:
        print(f"ERROR: {e}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s) found", file=sys.stderr)
        return 1
    if not quiet:
        print("all checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
