#!/usr/bin/env python3
"""Write the demo corpus's one PDF document by hand, with the standard library only.

The PDF is deliberately minimal: a catalog, a page tree with a single page,
a Helvetica Type1 font (one of the 14 standard fonts, so nothing is embedded),
an uncompressed text content stream, an /Info dictionary carrying the title,
and a cross-reference table whose byte offsets are computed as the file is
assembled.  The output is deterministic (no timestamps), so re-running the
script reproduces the committed file byte for byte.

Usage:
    python examples/demo/make_pdf.py            # writes the default output path
    python examples/demo/make_pdf.py OUT.pdf    # writes somewhere else
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "docs" / "organisations" / "harbour_authority_report.pdf"

TITLE = "Verrin Harbour Authority: Annual Report for the Year 1905"
SUBTITLE = "Presented to the Town Council of Verrin by the Harbour Master"

# Each paragraph is wrapped to WRAP characters per line when the PDF is drawn.
PARAGRAPHS = [
    "The Verrin Harbour Authority, established in 1820, has the honour to lay "
    "before the Council its report for the year ending 31 December 1905. This "
    "is the second report prepared under the present Harbour Master, Captain "
    "Mara Quillon.",
    "Traffic. In 1905 a total of 1,318 vessels entered the port, against 1,247 "
    "in 1904. Coal, salt and granite remained the principal cargoes. The island "
    "ferry Holm Star made 702 crossings between Verrin and Holmhaven, losing "
    "only nine days to weather.",
    "Works. Dredging of the channel at the mouth of the Sarn was completed in "
    "August, giving a depth of 7 metres at low water along the whole fairway. "
    "The north quay was resurfaced and two new mooring posts were set.",
    "Lights. The Verrin lighthouse on Gannet Point was kept throughout the year "
    "by Mrs Linnea Brask, keeper since 1889, without a single night's failure "
    "of the light. The tide clock in the watch room was cleaned and overhauled "
    "in April.",
    "Pilots. Eleven licensed pilots served the port. The Authority again asks "
    "the Council to provide a pension fund for pilots retired through age or "
    "injury.",
    "Signed: M. Quillon, Harbour Master. Harbour Office, Quay Street, Verrin, "
    "31 January 1906.",
]

WRAP = 88


def text_lines() -> list[str]:
    """The lines drawn on the page, in order (blank strings are blank lines)."""
    lines = [TITLE, SUBTITLE, ""]
    for para in PARAGRAPHS:
        lines.extend(textwrap.wrap(para, WRAP))
        lines.append("")
    return lines[:-1]


def plain_text() -> str:
    """The document's text as a reader would extract it (used by the checker)."""
    return "\n".join(text_lines())


def _pdf_string(s: str) -> bytes:
    """A PDF literal string; the text is ASCII, so only \\, ( and ) need escaping."""
    s.encode("ascii")  # raise early on anything outside ASCII
    esc = s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + esc.encode("ascii") + b")"


def _content_stream() -> bytes:
    lines = text_lines()
    ops = [b"BT", b"/F1 15 Tf", b"20 TL", b"72 760 Td", _pdf_string(lines[0]) + b" Tj"]
    ops += [b"/F1 10 Tf", b"14 TL"]
    for line in lines[1:]:
        ops.append(b"T*")
        if line:
            ops.append(_pdf_string(line) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def build_pdf() -> bytes:
    content = _content_stream()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n"
        + content + b"endstream",
        b"<< /Title " + _pdf_string(TITLE) + b" /Author (Verrin Harbour Authority) "
        b"/Producer (Hopper demo make_pdf.py) >>",
    ]

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + body + b"\nendobj\n"

    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    data = build_pdf()
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes, {len(plain_text().split())} words)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
