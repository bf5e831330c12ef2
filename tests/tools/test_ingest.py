"""Reading documents: formats, titles, ids, and every kind of bad file skipped with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.ingest import IngestReport, iter_documents

MINIMAL_PDF = None


def make_pdf(text: str) -> bytes:
    """A one-page PDF with `text` (one line per line of it), written by hand (no PDF library needed)."""
    lines = " 0 -14 Td ".join(f"({line}) Tj" for line in text.split("\n"))
    stream = f"BT /F1 12 Tf 72 720 Td {lines} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_a_word_hyphenated_at_a_pdf_line_end_is_joined_again(tmp_path):
    from tools.ingest import read_file

    path = tmp_path / "report.pdf"
    page = "Tide Report\nThe harbour's dredg-\ning ended in Au-\ngust.\nNorth-\nEast quay."
    path.write_bytes(make_pdf(page))
    text = read_file(path, tmp_path, 10_000_000).text
    assert "dredging ended in August." in text  # a syllable break joined
    assert "North-" in text  # a capital after the break: a compound's own hyphen stays


def test_reads_every_format_with_titles_and_relative_ids(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.md").write_text("# Alpha Title\n\nAlpha body text about otters.")
    (docs / "sub" / "b.txt").write_text("Bravo Title\nBravo body about beavers.")
    (docs / "c.html").write_text("<html><head><title>Charlie</title></head><body><h1>Charlie</h1>"
                                 "<p>Charlie body about <b>herons</b>.</p>"
                                 "<script>var x=1;</script></body></html>")
    (docs / "d.pdf").write_bytes(make_pdf("Delta report about kingfishers"))
    (docs / "ignored.csv").write_text("a,b\n1,2\n")
    report = IngestReport()
    got = {d.doc_id: d for d in iter_documents([docs], report=report)}
    assert sorted(got) == ["a.md", "c.html", "d.pdf", "sub/b.txt"]
    assert got["a.md"].title == "Alpha Title"
    assert got["sub/b.txt"].title == "Bravo Title"
    assert got["c.html"].title == "Charlie" and "herons" in got["c.html"].text
    assert "kingfishers" in got["d.pdf"].text
    assert report.documents == 4 and report.skipped == []
    assert all(len(d.content_hash) == 64 for d in got.values())


def test_bad_files_are_skipped_with_a_reason_and_the_run_goes_on(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Good\nA fine document.")
    (docs / "empty.txt").write_text("")
    (docs / "blank.md").write_text("   \n\n  ")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary\x00")
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Broken")
    (docs / "fake.pdf").write_bytes(b"this is not a pdf at all")
    (docs / "huge.txt").write_text("word " * 300_000)  # 1.5 MB
    (docs / "locked.txt").write_text("secret")
    (docs / "locked.txt").chmod(0)
    report = IngestReport()
    docs_read = list(iter_documents([docs], max_file_mb=1.0, report=report))
    import os

    readable = ["good.md"] if os.geteuid() != 0 else ["good.md", "locked.txt"]  # root reads anything
    assert [d.doc_id for d in docs_read] == readable
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.md"] == "no text content"
    assert reasons["binary.txt"] == "binary content, not text"
    assert reasons["corrupt.pdf"].startswith("corrupt PDF")
    assert reasons["fake.pdf"].startswith("not a PDF")
    assert reasons["huge.txt"].startswith("oversized")
    if os.geteuid() != 0:
        assert reasons["locked.txt"].startswith("unreadable")
    assert all("\n" not in r for r in reasons.values())


def test_jsonl_and_hotpotqa_corpora(tmp_path):
    beir = tmp_path / "corpus.jsonl"
    beir.write_text("\n".join([
        json.dumps({"_id": "d1", "title": "One", "text": "first text"}),
        "{not json",
        json.dumps({"id": "d2", "title": "Two", "text": "second text"}),
        json.dumps({"_id": "d3", "title": "", "text": ""}),
    ]) + "\n")
    report = IngestReport()
    docs = list(iter_documents([beir], "auto", report=report))
    assert [(d.doc_id, d.title) for d in docs] == [("d1", "One"), ("d2", "Two")]
    assert any(":2" in s.path and "malformed" in s.reason for s in report.skipped)
    assert any(":4" in s.path and "empty" in s.reason for s in report.skipped)

    hotpot = tmp_path / "corpus.json"
    hotpot.write_text(json.dumps({"Otter": ["Otters swim.", " They eat fish."], "Heron": ["Herons wade."]}))
    docs = list(iter_documents([hotpot], "hotpotqa"))
    assert {d.doc_id: d.text for d in docs} == {"Otter": "Otters swim. They eat fish.",
                                                "Heron": "Herons wade."}


# ---- encodings: decode what is text in any common encoding, skip only real binary

LEGACY = ("Café society in Zürich — naïve façades, “smart quotes” and the Ångström unit. "
          "Le château de Fontainebleau fut agrandi sous François Ier.")


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16", "utf-8-sig"])
def test_legacy_encodings_are_decoded_not_skipped(tmp_path, encoding):
    text = LEGACY if encoding != "latin-1" else LEGACY.replace("—", "-").replace("“", '"').replace("”", '"')
    (tmp_path / "doc.txt").write_bytes(text.encode(encoding))
    report = IngestReport()
    docs = list(iter_documents([tmp_path], report=report))
    assert report.skipped == []
    assert [d.text for d in docs] == [text]


@pytest.mark.parametrize("blob", [bytes(range(256)) * 4, b"\x7fELF\x02\x01\x01" + bytes(2000),
                                  b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 3])
def test_real_binary_is_still_skipped(tmp_path, blob):
    (tmp_path / "data.txt").write_bytes(blob)
    report = IngestReport()
    assert list(iter_documents([tmp_path], report=report)) == []
    assert report.skipped[0].reason.startswith("binary content, not text")


def test_a_skip_reason_is_logged_at_debug_level_only(tmp_path, caplog):
    (tmp_path / "empty.txt").write_text("")
    report = IngestReport()
    with caplog.at_level("DEBUG", logger="tools.ingest"):
        list(iter_documents([tmp_path], report=report))
    assert [s.reason for s in report.skipped] == ["empty file"]
    assert [r.levelname for r in caplog.records if "empty.txt" in r.getMessage()] == ["DEBUG"]


def test_link_loops_and_broken_links_inside_a_folder_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "a.md").write_text("# A\nText.")
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    (tmp_path / "gone.md").symlink_to(tmp_path / "missing.md")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "up").symlink_to(tmp_path)
    report = IngestReport()
    docs = list(iter_documents([tmp_path], report=report))
    assert [d.doc_id for d in docs] == ["a.md"]
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["loop.md"] == "symbolic link loop"
    assert reasons["gone.md"].startswith("broken symbolic link")
    assert reasons["up"].startswith("symbolic link loop")
