"""A Markdown report of one or more answers, with one numbered reference list.

`render_report(results)` is what `hopper ask --out report.md` writes and what the TUI's export
saves. Each answer keeps its text (a factoid answer, or a synthesis's overview and cited lines);
its `[n]` markers are renumbered into one reference list shared by every answer in the report,
so the same passage cited by two answers has one number (two different recorded quotes of one
passage stay two references). Each reference gives the document
title, the file path, and the quoted sentence that supports the claim (`Citation.quote`, or,
when a run did not record one, the passage sentence that best matches the answer).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tools.sentences import texts as split_sentences

_MARK = re.compile(r"\[(\d+)\]")
_WORD = re.compile(r"\w+")
QUOTE_CHARS = 300
SHAPE_LABEL = {"factoid": "short answer", "list": "list", "compare": "comparison", "explain": "summary"}


def render_report(
    results: Sequence[Any],
    title: str = "Hopper research report",
    *,
    generated: float | None = None,
    index_dir: str | None = None,
) -> str:
    """Markdown for `results` (AgentResult-like objects: question, answer, shape, citations)."""
    refs: dict[tuple[str, str], int] = {}  # (chunk_id, recorded quote) -> global number
    entries: list[dict[str, str]] = []
    stamp = time.strftime(
        "%Y-%m-%d %H:%M UTC", time.gmtime(generated if generated is not None else time.time())
    )
    lines = [
        f"# {title}",
        "",
        f"_Generated {stamp}" + (f" from the index `{index_dir}`" if index_dir else "") + "._",
    ]
    for qn, result in enumerate(results, 1):
        local: dict[int, int] = {}
        for c in getattr(result, "citations", None) or []:
            quote = citation_quote(c, result.short_answer or result.answer)
            key = (c.chunk_id, " ".join((getattr(c, "quote", "") or "").split()))
            if key not in refs:
                refs[key] = len(entries) + 1
                entries.append(
                    {
                        "title": c.title or c.doc_id,
                        "source": c.source or c.doc_id,
                        "doc_id": c.doc_id,
                        "chunk_id": c.chunk_id,
                        "quote": quote,
                    }
                )
            local[c.n] = refs[key]
        shape = getattr(result, "shape", "factoid") or "factoid"
        heading = (
            f"## {qn}. {_one_line(result.question)}"
            if len(results) > 1
            else f"## {_one_line(result.question)}"
        )
        lines += ["", heading, "", f"*{SHAPE_LABEL.get(shape, shape)}*"]
        if result.status not in ("ok", "", None):
            lines[-1] += f" · *run status: {result.status}*"
        lines += ["", renumber(result.answer.strip() or "(no answer)", local)]
        confidence = getattr(result, "confidence", None)
        if isinstance(confidence, (int, float)):
            abstained = getattr(result, "abstained", False)
            guess = " (a best guess, below the confidence threshold)" if abstained else ""
            lines += ["", f"_Confidence: {confidence:.0%}{guess}._"]
    lines += ["", "## References", ""]
    if not entries:
        lines.append("_No passages were cited._")
    for n, e in enumerate(entries, 1):
        source = e["source"]
        where = f"`{source}`" if source == e["doc_id"] else f"`{source}` (`{e['doc_id']}`)"
        lines.append(f"{n}. **{_md_escape(e['title'])}**, {where}")
        if e["quote"]:
            lines.append(f"   > {_md_escape(e['quote'])}")
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: Sequence[Any], path: str | Path, **kwargs: Any) -> Path:
    """Write `render_report(results)` to `path` (parent folders are created)."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(results, **kwargs), encoding="utf-8")
    return path


def renumber(text: str, mapping: dict[int, int]) -> str:
    """`text` with every `[n]` replaced by `[mapping[n]]`; markers with no mapping are dropped."""
    out = _MARK.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", out))


def citation_quote(citation: Any, answer: str = "") -> str:
    """The sentence to quote for a citation: its recorded quote, else the passage sentence
    sharing the most words with `answer` (the first sentence when none shares any)."""
    quote = " ".join((getattr(citation, "quote", "") or "").split())
    if quote:
        return _cut(quote)
    sentences = split_sentences(citation.text or "")
    if not sentences:
        return ""
    words = {w for w in _WORD.findall(_MARK.sub("", answer).lower()) if len(w) > 2}
    best = max(
        range(len(sentences)), key=lambda i: (len(words & set(_WORD.findall(sentences[i].lower()))), -i)
    )
    return _cut(sentences[best])


def reference_lines(citations: Iterable[Any], answer: str = "") -> list[str]:
    """Numbered reference lines (title, path, quote) for one answer, numbered as cited."""
    out = []
    for c in citations:
        quote = citation_quote(c, answer)
        out.append(
            f"[{c.n}] {c.title or c.doc_id} ({c.source or c.doc_id})" + (f': "{quote}"' if quote else "")
        )
    return out


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _md_escape(text: str) -> str:
    return text.replace("*", "\\*").replace("_", "\\_")
