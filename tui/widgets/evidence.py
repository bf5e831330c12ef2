"""The evidence pane: the cited chunk's title, source path, chunk id and full text."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

PLACEHOLDER = "Evidence: select a citation ([1], [2] …) to read the cited passage."
INJECTION_NOTE = "⚠ this passage contains instructions addressed to an assistant; they were ignored"


class EvidencePane(VerticalScroll):
    """Shows one cited chunk."""

    DEFAULT_CSS = """
    EvidencePane { height: 9; border-top: solid $primary 40%; padding: 0 1; }
    EvidencePane > #evidence-head { text-style: bold; }
    EvidencePane > #evidence-meta { color: $text-muted; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.citation: dict[str, Any] | None = None
        self.injected: dict[str, list[str]] = {}
        """chunk id -> sentences addressed to an assistant (from `injection` trace events)."""

    def record(self, event: Any) -> None:
        """Remember the passages a run found instructions in (`injection` trace events)."""
        kind, data = (event.get("type"), event.get("data") or {}) if isinstance(event, dict) else \
            (getattr(event, "type", None), getattr(event, "data", None) or {})
        if kind == "injection":
            self.injected[str(data.get("chunk_id"))] = list(data.get("sentences") or [])

    def compose(self) -> ComposeResult:
        yield Static(PLACEHOLDER, id="evidence-head", markup=False)
        yield Static("", id="evidence-meta", markup=False)
        yield Static("", id="evidence-text", markup=False)

    def show(self, citation: dict[str, Any] | None) -> None:
        self.citation = citation
        head, meta, body = (self.query_one(f"#evidence-{k}", Static) for k in ("head", "meta", "text"))
        if citation is None:
            head.update(PLACEHOLDER)
            meta.update("")
            body.update("")
            return
        head.update(Text(f"[{citation.get('n', '?')}] {citation.get('title') or '(untitled)'}"))
        meta.update(Text(f"{citation.get('source', '')} · {citation.get('chunk_id', '')}"))
        body.update(Text(citation.get("text") or "(chunk text not available)"))
        if citation.get("chunk_id") in self.injected:
            body.update(Text.assemble((INJECTION_NOTE + "\n", "bold yellow"),
                                      citation.get("text") or "(chunk text not available)"))
        self.scroll_home(animate=False)

    @property
    def text(self) -> str:
        """Plain text shown (tests read it)."""
        if self.citation is None:
            return PLACEHOLDER
        c = self.citation
        note = INJECTION_NOTE + "\n" if c.get("chunk_id") in self.injected else ""
        return f"[{c.get('n')}] {c.get('title')}\n{c.get('source')} · {c.get('chunk_id')}\n{note}{c.get('text', '')}"
