"""Markdown to the text a reader sees: what the page says, without its markup.

A README or a note taken in Markdown carries links, badges, emphasis, inline HTML and code
ticks. Left in, they split the words a reader and a span check need together ("Meta's
[Fundamental AI Research](https://ai.facebook.com/) group" holds no span "Fundamental AI
Research group"), and a row of badges becomes a sentence of image URLs. The page is parsed
with markdown-it-py (CommonMark, with tables) and written back as plain text that keeps the
structure the rest of Hopper reads: each block a paragraph of its own, a heading a `#` line, a
list item a `- ` line, a table row one line of cells joined by " | ", a code block its lines
as they are. Links keep their words; images, HTML tags and comments are dropped (the words
inside HTML stay), and so is YAML front matter, whose `title:` names the page.
"""

from __future__ import annotations

import functools
import re

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SPACES = re.compile(r"[ \t]+")
_FRONT_TITLE = re.compile(r"^title\s*:\s*[\"']?(.+?)[\"']?\s*$", re.MULTILINE | re.IGNORECASE)


@functools.cache
def _parser():
    """One parser for every page (markdown-it keeps no state between parses)."""
    from markdown_it import MarkdownIt  # heavy: markdown-it (70 ms), loaded when first needed
    from mdit_py_plugins.front_matter import front_matter_plugin  # heavy: markdown-it plugins

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)


def _inline(token) -> str:
    """The words of an inline token: text, code spans and the words of links; no images, no tags."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts).strip()


def _html(content: str) -> tuple[str, int, str]:
    """(words, level, heading) of a block of raw HTML: its words, and its first heading with that
    heading's level (0 and "" when it has none)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(content, "html.parser")
    words = _SPACES.sub(" ", soup.get_text(" ", strip=True))
    tag = soup.find(_HEADINGS)
    heading = _SPACES.sub(" ", tag.get_text(" ", strip=True)) if tag is not None else ""
    return words, (int(tag.name[1]) if heading else 0), heading


class _Writer:
    """Walks markdown-it's block tokens and collects the page's blocks and headings."""

    def __init__(self):
        self.blocks: list[str] = []
        self.headings: list[tuple[int, str]] = []  # (level, text)
        self.prefix = ""  # "# " for a heading, "- " for a list item: set on open, used by the inline
        self.row: list[str] = []
        self.in_cell = False

    def take(self, token) -> None:
        kind = token.type
        if kind == "heading_open":
            self.prefix = "#" * int(token.tag[1]) + " "
        elif kind == "list_item_open":
            self.prefix = "- "
        elif kind in ("th_open", "td_open", "th_close", "td_close"):
            self.in_cell = kind.endswith("_open")
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close" and any(self.row):
            self.blocks.append(" | ".join(self.row))
        elif kind == "inline":
            self._inline(_inline(token))
        elif kind in ("fence", "code_block") and token.content.strip():
            self.blocks.append(token.content.strip("\n"))
        elif kind == "html_block":
            self._html_block(token.content)

    def _html_block(self, content: str) -> None:
        words, level, heading = _html(content)
        if heading:
            self.headings.append((level, heading))
        if words:  # a block that is nothing but a heading is a heading line
            self.blocks.append("#" * level + " " + words if heading == words else words)

    def _inline(self, text: str) -> None:
        if self.in_cell:
            self.row.append(text.replace("\n", " "))
            return
        if self.prefix.startswith("#") and text:
            self.headings.append((self.prefix.count("#"), text))
        if text:
            self.blocks.append(self.prefix + text)
        self.prefix = ""


def markdown_text(source: str) -> tuple[str, str]:
    """(title, text) of a Markdown page. The title is the `title:` of its YAML front matter, else
    its first level-1 heading (Markdown or HTML), else "" (a lower heading names a section, not
    the page: "Installation")."""
    writer = _Writer()
    tokens = _parser().parse(source)
    if tokens and tokens[0].type == "front_matter":  # YAML between "---" lines, never text
        title = _FRONT_TITLE.search(tokens.pop(0).content)
        if title:
            writer.headings.append((1, title.group(1)))
    for token in tokens:
        writer.take(token)
    title = next((text for level, text in writer.headings if level == 1), "")
    return title, "\n\n".join(writer.blocks)
