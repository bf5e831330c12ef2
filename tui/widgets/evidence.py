"""The evidence pane: a cited (or retrieved) passage with the sentence that states the answer highlighted.

One header line (number, title, short path, PDF page), a note line (the quoted sentence, or a
warning when the passage holds instructions addressed to an assistant), then the passage.
It also shows a run-tree node in full (a whole tool query, a verdict).
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.common import printable
from tui.widgets.turns import shown_source

PLACEHOLDER = "Evidence: select a citation ([1], [2] …) to read the cited passage."
INJECTION_NOTE = "⚠ this passage contains instructions addressed to an assistant; they were ignored"
QUOTE_STYLE = "bold black on yellow"
INJECTION_STYLE = "bold red strike"


def find_span(text: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` is in `text`, ignoring case and how whitespace is broken (None: not there)."""
    words = sentence.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


class EvidencePane(VerticalScroll):
    """Shows one passage (a citation or a hit) or one run-tree node."""

    DEFAULT_CSS = """
    EvidencePane { height: 40%; min-height: 5; border-top: solid $primary 40%; padding: 0 1; }
    EvidencePane:focus { border-top: solid $accent; }
    EvidencePane > #evidence-head { text-style: bold; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    EvidencePane > #evidence-note { color: $text-muted; height: auto; max-height: 2; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.citation: dict[str, Any] | None = None
        self.page: int | None = None
        self._plain = PLACEHOLDER
        self.shown = Text()
        """The passage as drawn (with the quote and injected sentences styled); tests read its spans."""

    def compose(self) -> ComposeResult:
        yield Static(PLACEHOLDER, id="evidence-head", markup=False)
        yield Static("", id="evidence-note", markup=False)
        yield Static("", id="evidence-text", markup=False)

    def on_mount(self) -> None:
        self.show(None)

    def _parts(self) -> tuple[Static, Static, Static]:
        return tuple(self.query_one(f"#evidence-{k}", Static) for k in ("head", "note", "text"))  # type: ignore

    def show(self, citation: dict[str, Any] | None) -> None:
        """A passage: a citation (with `n`) or a retrieved hit; `quote` and `injection` are optional."""
        self.citation, self.page = citation, None
        head, note, body = self._parts()
        if citation is None:
            self._plain = PLACEHOLDER
            head.update(PLACEHOLDER)
            note.update("")
            body.update("")
            note.display = body.display = False
            return
        text = printable(str(citation.get("text") or "(passage text not available)"))
        quote = printable(str(citation.get("quote") or ""))
        injected = [printable(str(s)) for s in citation.get("injection") or []]
        shown = Text(text)
        notes = []
        if injected:
            notes.append(Text(INJECTION_NOTE, style="bold red"))
            for sentence in injected:
                span = find_span(text, sentence)
                if span:
                    shown.stylize(INJECTION_STYLE, *span)
        quote_at = find_span(text, quote) if quote else None
        if quote_at:
            shown.stylize(QUOTE_STYLE, *quote_at)
            notes.append(Text("highlighted: the sentence that states the answer", style="dim"))
        elif quote:
            notes.append(Text(f"states the answer: “{quote}”", style="italic"))
        head.update(self._head(citation))
        note.update(Text("\n").join(notes))
        note.display = bool(notes)
        body.update(shown)
        self.shown = shown
        body.display = True
        self._plain = "\n".join([self._head(citation).plain, *(n.plain for n in notes), text])
        self.scroll_home(animate=False)
        if quote_at:
            self.call_after_refresh(self._scroll_to_offset, text, quote_at[0])
        source = str(citation.get("source") or "")
        if source.lower().endswith(".pdf"):
            self.find_page(citation, source, text)

    def _head(self, c: dict[str, Any]) -> Text:
        """One line: number, title (shortened first), then the short path and page, which always show."""
        label = f"[{c['n']}] " if c.get("n") is not None else "hit "
        where = printable(shown_source(c))
        if self.page is not None:
            where += f" · p. {self.page}"
        title = printable(str(c.get("title") or "(untitled)"))
        width = self.scrollable_content_region.width or 80
        keep = width - len(label) - 12 - 2  # room for the path when the title keeps 12 columns
        if len(where) > keep > 8:  # a deep path: cut from the left, the file name and page stay
            where = "…" + where[-(keep - 1):]
        room = max(12, width - len(label) - len(where) - 2)
        head = Text(label + (title if len(title) <= room else title[: room - 1] + "…"))
        head.append(f"  {where}", style="dim not bold")
        return head

    def show_text(self, title: str, body: str, note: str = "") -> None:
        """A run-tree node in full (a query, a verdict, a fallback)."""
        self.citation, self.page = None, None
        title, body, note = printable(title), printable(body), printable(note)
        head, note_w, text = self._parts()
        head.update(Text(title))
        note_w.update(Text(note, style="dim"))
        note_w.display = bool(note)
        text.update(Text(body))
        text.display = True
        self._plain = "\n".join(p for p in (title, note, body) if p)
        self.scroll_home(animate=False)

    def show_node(self, d: dict[str, Any], passage: dict[str, Any] | None = None) -> None:
        """A run-tree node: a hit or citation as its passage, a query in full, a verdict's fields."""
        kind = d.get("kind")
        if kind in ("hit", "citation"):
            if passage is None:
                self.show_text(f"hit {d.get('title') or d.get('chunk_id')}",
                               "(passage text not available: the index is not open)")
            else:
                self.show({**passage, **({"n": d["n"]} if kind == "citation" else {})})
        elif kind == "query":
            hits = f"{d['hits']} hits" if d.get("hits") is not None else "not run yet"
            self.show_text(f"{d.get('tool', '?')} query", str(d.get("query") or ""), d.get("error") or hits)
        elif kind in ("round", "fallback", "check", "injection", "synthesis", "read", "sub", "answer",
                      "shape", "budget", "conflict"):
            fields = [f"{k}: {v}" for k, v in d.items()
                      if k not in ("kind", "label", "turn") and v not in (None, "")]
            self.show_text(str(kind), "\n".join(fields))

    def _scroll_to_offset(self, text: str, offset: int) -> None:
        """Scroll so the line holding character `offset` of the passage is in view."""
        body = self.query_one("#evidence-text", Static)
        width = max(body.content_region.width, 10)
        lines = Text(text[:offset]).wrap(self.app.console, width)
        head_rows = body.region.y - self.content_region.y + self.scroll_y
        self.scroll_to(y=max(0, head_rows + len(lines) - 2), animate=False)

    @work(thread=True, exclusive=True, group="evidence-page")
    def find_page(self, citation: dict[str, Any], source: str, text: str) -> None:
        from tui.opener import pdf_page

        page = pdf_page(source, text)
        if page is not None:
            self.app.call_from_thread(self._set_page, citation, page)

    def _set_page(self, citation: dict[str, Any], page: int) -> None:
        if citation is self.citation:
            self.page = page
            head = self._head(citation)
            self._parts()[0].update(head)
            self._plain = "\n".join([head.plain, *self._plain.split("\n")[1:]])

    @property
    def text(self) -> str:
        """Plain text shown (tests read it)."""
        return self._plain
