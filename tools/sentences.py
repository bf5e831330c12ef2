"""Sentences of a document's text: the one splitter every part of Hopper uses.

Text is first cut into blocks where its layout says a thought ends (a blank line, a Markdown
heading, a list item, a table row); inside a block, line breaks are only wrapping (a manual
page's 80 columns, a PDF's lines), and `pysbd` (rule-based sentence boundary disambiguation)
finds the sentence ends, so "e.g.", "i.e.", "et al.", "Fig. 2", "vs.", "3.5%" and "v1.5.4" do not
end a sentence. A boundary pysbd puts inside a word ("~/." | "local/state") is undone: a sentence
ends before white space. Over-long runs (a table, a wrapped list of options) are cut at a word
boundary so no sentence exceeds `MAX_CHARS`.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

import pysbd

MAX_CHARS = 400
"""A longer sentence (a run-on table row, an option list) is cut at a word boundary."""

_BLOCK_START = re.compile(
    r"^[ \t]*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|\|.*\|[ \t]*$|[A-Za-z_][\w.]*[ \t]*=[ \t]*\S)")
"""A line that starts a block of its own: a Markdown heading, a list item, a table row, an
assignment (`LEVEL = 30` in a pydoc DATA section, `KEY=value` in a configuration file)."""
_ONE_LINE = re.compile(r"^[ \t]*(?:#{1,6}\s|\|.*\|[ \t]*$)")
"""A line that is a block by itself: a heading, a table row (a pydoc page's "|" margin is none)."""
_BLANK = re.compile(r"\n[ \t]*\n")
_MARGIN = re.compile(r"(?m)^[ \t]*\|(?=[ \t]|$)(?![^\n]*\|[ \t]*$)")
"""The "|" margin of a pydoc page's class section: layout, not text."""


class Span(NamedTuple):
    """One sentence: `text` with its white space collapsed; `start`/`end` index the source text."""

    start: int
    end: int
    text: str


@cache
def _segmenter():
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def blocks(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of each layout block of `text`: paragraphs, headings, list items, rows."""
    out: list[tuple[int, int]] = []
    para_start = 0
    for m in [*_BLANK.finditer(text), None]:
        para_end = m.start() if m else len(text)
        start = para_start
        pos = para_start
        alone = False
        lines = text[para_start:para_end].split("\n")
        for i, line in enumerate(lines):
            if pos > start and (alone or _BLOCK_START.match(line)):
                out.append((start, pos - 1))
                start = pos
            alone = bool(_ONE_LINE.match(line)) or (i == 0 and len(lines) > 1 and _title_line(line, lines[1]))
            pos += len(line) + 1
        out.append((start, para_end))
        para_start = m.end() if m else len(text)
    return [(s, e) for s, e in out if text[s:e].strip()]


def _title_line(line: str, after: str) -> bool:
    """A paragraph's first line is a title of its own (an HTML or PDF heading turned into text)
    when it is short, written like a title (at most three words, or every longer word
    capitalised), ends without punctuation, and the next line starts a sentence: "Renna Vos"
    above "Renna Vos (1859-1937) was ...". A wrapped line of prose has lower-case words."""
    head, nxt = line.strip(), after.lstrip()
    words = head.split()
    titled = len(words) <= 3 or all(w[0].isupper() or not w[0].isalpha() or len(w) < 4 for w in words)
    return (0 < len(head) <= 60 and len(words) <= 8 and titled and (head[0].isupper() or head[0].isdigit())
            and head[-1].isalnum() and bool(nxt) and (nxt[0].isupper() or nxt[0].isdigit()))


def split(text: str, *, lines: bool = False) -> list[Span]:
    """Every sentence of `text`, in order, with its offsets. `lines`: every line break ends a
    sentence too (for text whose lines are not wrapping, where no sentence may hide across one)."""
    return list(_split(text, lines))


@lru_cache(maxsize=4096)
def _split(text: str, lines: bool) -> tuple[Span, ...]:
    """`split`, remembered: a run reads the same passages in several rounds and hops."""
    out: list[Span] = []
    for b_start, b_end in _line_blocks(text) if lines else blocks(text):
        block = _MARGIN.sub(lambda m: " " * len(m.group(0)), text[b_start:b_end])
        pieces = [(0, len(block))] if _ONE_LINE.match(block) else _pysbd(block.replace("\n", " "))
        for s, e in pieces:
            _append(out, block, s, e, b_start)
    return tuple(out)


def _line_blocks(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def texts(text: str) -> list[str]:
    """The sentences of `text` as strings (white space collapsed)."""
    return [s.text for s in split(text)]


def _pysbd(block: str) -> list[tuple[int, int]]:
    spans = [(s.start, s.end) for s in _segmenter().segment(block) if s.sent.strip()]
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        # A boundary with no white space after it falls inside a token (a path, a URL, a version).
        if merged and not block[merged[-1][1] - 1].isspace() and not block[merged[-1][1]:s].strip():
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged or [(0, len(block))]


def _append(out: list[Span], text: str, start: int, end: int, offset: int = 0) -> None:
    """Sentences of `text[start:end]`; their offsets are shifted by `offset` (the block's place)."""
    raw = text[start:end]
    start += len(raw) - len(raw.lstrip())
    end -= len(raw) - len(raw.rstrip())
    while end - start > MAX_CHARS:
        cut = text.rfind(" ", start, start + MAX_CHARS)
        cut = cut if cut > start else start + MAX_CHARS
        _add(out, text, start, cut, offset)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    _add(out, text, start, end, offset)


def _add(out: list[Span], text: str, start: int, end: int, offset: int) -> None:
    sentence = " ".join(text[start:end].split())
    if sentence:
        out.append(Span(start + offset, end + offset, sentence))
