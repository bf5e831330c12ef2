"""Markdown pages read as the text they show: real markdown-it-py parsing, README-like pages."""

import pytest

from tools.ingest import read_file
from tools.markdown import markdown_text

README = """\
<div align="center">

<h1>Quillfish⚡</h1>

<a href="https://ci.example.org"><img src="https://ci.example.org/badge.svg" alt="CI"></a>

</div>

[![Version](https://img.shields.io/pypi/v/quillfish.svg)](https://pypi.org/project/quillfish/)

**Quillfish** is a *small* parser for tide tables. It is developed at the
[Harbour Data Group](https://harbour.example.org/) in Verrin.

<!-- maintainers: keep this list short -->

## Installing

- Quillfish supports Python >= 3.10.
- The optional `numba` backend gives a 2x speedup.

| Format | Reader |
|--------|--------|
| CSV    | `read_csv` |

```python
import quillfish
quillfish.load("tides.csv")
```
"""


@pytest.mark.parametrize(
    ("expected", "why"),
    [
        ("Quillfish is a small parser for tide tables. It is developed at the\nHarbour Data Group in Verrin.",
         "a link keeps its words, not its URL; emphasis marks go"),
        ("- The optional numba backend gives a 2x speedup.", "a list item is a `- ` line, code ticks go"),
        ("- Quillfish supports Python >= 3.10.", "an HTML entity in text is read as its character"),
        ("## Installing", "a heading stays a heading line"),
        ("# Quillfish⚡", "an HTML heading is a heading line"),
        ("CSV | read_csv", "a table row is one line of cells"),
        ('import quillfish\nquillfish.load("tides.csv")', "a code block keeps its lines"),
    ],
)
def test_markdown_text_keeps_what_the_page_says(expected, why):
    _, text = markdown_text(README)
    assert expected in text.split("\n\n"), why


@pytest.mark.parametrize(
    "markup",
    ["https://", "img.shields.io", "[", "](", "**", "<div", "<!--", "maintainers", "`", "alt="],
)
def test_markdown_text_drops_markup_urls_images_and_comments(markup):
    _, text = markdown_text(README)
    assert markup not in text


@pytest.mark.parametrize(
    ("page", "title"),
    [
        (README, "Quillfish⚡"),
        ("Intro line.\n\n# Real Title\n\nBody.", "Real Title"),
        ("Tide Log\n========\n\nBody.", "Tide Log"),
        ("## Installation\n\nA section heading names no page.", ""),
        ("No heading at all.", ""),
        ("---\ntitle: 'Tide Log'\ntags: [sea]\n---\n\n## Monday\n\nCalm.", "Tide Log"),
    ],
)
def test_markdown_title_is_the_first_level_one_heading(page, title):
    assert markdown_text(page)[0] == title


def test_front_matter_is_no_text():
    page = "---\ntitle: Tide Log\ntags: [sea]\n---\nCalm all day.\n"
    assert markdown_text(page) == ("Tide Log", "Calm all day.")


def test_a_markdown_file_without_a_page_heading_is_titled_by_its_name(tmp_path):
    path = tmp_path / "tide_notes.md"
    path.write_text("## Installation\n\nRun [the installer](https://x.example).\n")
    doc = read_file(path, tmp_path, 10_000_000)
    assert (doc.title, doc.text) == ("tide notes", "## Installation\n\nRun the installer.")
