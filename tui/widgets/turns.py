"""One answered turn as the TUI shows it: citations numbered 1..n, trust signals, synthesis items.

Pure functions (no widgets): `TurnView.from_saved` builds a turn from an `AgentResult.to_dict()`
(live or saved) and the run's trace events; `turn_markdown` renders it; `answer_text` is the
plain text that "copy answer" puts on the clipboard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

CITE = re.compile(r"\[(\d+)\]")
ANSWER_STEPS = ("answer", "read", "synthesis", "check")
"""Steps whose fallback changes the answer itself; a decompose or rewrite fallback only changes the search."""
SHAPES = ("factoid", "list", "compare", "explain")


@dataclass
class TurnView:
    turn_id: int
    question: str
    answer: str = ""
    status: str = "running"
    citations: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    abstained: bool = False
    checks: list[dict[str, Any]] = field(default_factory=list)
    fallbacks: list[dict[str, Any]] = field(default_factory=list)
    shape: str = "factoid"
    items: list[dict[str, Any]] = field(default_factory=list)
    injections: dict[str, list[str]] = field(default_factory=dict)
    """chunk id -> sentences addressed to an assistant (ignored by the agent)."""
    not_found: bool = False
    """The documents were read and none states the answer."""
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    """When the documents disagree: [{value, citations, quote}], the answer first."""
    standalone: str = ""
    """A follow-up's question as it was researched ("When did Oska Tamm die?" for "When did he die?")."""
    sufficient: bool = True
    """False when the run found no answer (its text says so)."""
    dropped: int = 0
    """Lines of a synthesis removed because no citation supports them."""

    @classmethod
    def from_saved(cls, turn_id: int, question: str, answer: dict[str, Any] | None, status: str,
                   events: list[Any] = ()) -> TurnView:
        """A finished turn from `AgentResult.to_dict()` and the run's events (dicts or `TraceEvent`s)."""
        from tui.widgets.run_tree import event_parts

        answer = answer or {}
        turn = cls(turn_id, question, str(answer.get("answer") or ""), status,
                   [dict(c) for c in answer.get("citations") or []],
                   _confidence(answer.get("confidence")), bool(answer.get("abstained")),
                   [dict(c) for c in answer.get("checks") or [] if isinstance(c, dict)],
                   shape=str(answer.get("shape") or "factoid"),
                   items=[dict(i) for i in answer.get("items") or [] if isinstance(i, dict)],
                   not_found=bool(answer.get("not_found")), standalone=str(answer.get("standalone") or ""),
                   conflicts=[dict(c) for c in answer.get("conflicts") or [] if isinstance(c, dict)])
        turn.sufficient = bool(answer.get("sufficient", True))
        for event in events:
            kind, d = event_parts(event)
            if kind == "synthesis":
                turn.dropped = len(d.get("dropped") or [])
            if kind == "fallback":
                turn.fallbacks.append({"step": d.get("step", ""), "reason": d.get("reason", ""),
                                       "node": d.get("node")})
            elif kind == "injection" and d.get("chunk_id"):
                sentences = [str(s) for s in d.get("sentences") or []]
                turn.injections.setdefault(str(d["chunk_id"]), []).extend(sentences)
        renumber(turn)
        for c in turn.citations:
            if c.get("chunk_id") in turn.injections:
                c["injection"] = turn.injections[c["chunk_id"]]
        return turn

    def citation(self, n: int) -> dict[str, Any] | None:
        return next((c for c in self.citations if int(c.get("n", 0)) == n), None)


def _confidence(value: Any) -> float | None:
    try:
        return None if value is None else max(0.0, min(1.0, float(value)))
    except (TypeError, ValueError):
        return None


def renumber(turn: TurnView) -> None:
    """Number the citations 1..n in order of first mention (text, then items, then the rest).

    The markers in the answer and the items follow; a marker with no citation behind it
    becomes `[?]`, so no number on screen points at nothing. `orig_n` keeps the agent's number.
    """
    by_n = {int(c["n"]): c for c in turn.citations if str(c.get("n", "")).lstrip("-").isdigit()}
    order: list[int] = []
    for n in [int(m) for m in CITE.findall(turn.answer)] + [int(n) for i in turn.items
                                                             for n in i.get("citations") or []
                                                             if str(n).isdigit()]:
        if n in by_n and n not in order:
            order.append(n)
    order += [n for n in by_n if n not in order]
    new = {old: i for i, old in enumerate(order, 1)}

    def sub(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[{new[n]}]" if n in new else "[?]"

    turn.answer = CITE.sub(sub, turn.answer)
    for conflict in turn.conflicts:
        conflict["citations"] = [new[int(n)] for n in conflict.get("citations") or []
                                 if str(n).isdigit() and int(n) in new]
    for item in turn.items:
        item["text"] = CITE.sub(sub, str(item.get("text") or ""))
        item["citations"] = [new[int(n)] for n in item.get("citations") or []
                             if str(n).isdigit() and int(n) in new]
    cites = []
    for old in order:
        c = dict(by_n[old])
        c.setdefault("orig_n", old)
        c["n"] = new[old]
        cites.append(c)
    turn.citations = cites


def _escape(text: str) -> str:
    """Document text for the transcript's Markdown: control characters shown as escapes, no HTML."""
    from tui.common import printable

    return printable(text).replace("<", "&lt;")


def confidence_word(confidence: float) -> str:
    return "high" if confidence >= 0.75 else "medium" if confidence >= 0.5 else "low"


def trust_lines(turn: TurnView) -> list[str]:
    """Markdown lines under an answer: confidence, checks, fallbacks, best guess."""
    out = []
    if turn.not_found:
        out.append("✗ **Not in your documents**: the passages below are the closest to the question; "
                   "none of them states its answer.")
    if turn.abstained:
        out.append("⚠ **Best guess, below the confidence threshold**: check the evidence before using it.")
    if turn.conflicts:
        from agent.reading.conflict import conflict_values

        out.append(f"⚠ **Documents disagree**: {_escape(conflict_values(turn.conflicts))}: "
                   "read the cited passages to judge which is right.")
    answer_fb = [f for f in turn.fallbacks if f["step"] in ANSWER_STEPS]
    search_fb = [f for f in turn.fallbacks if f["step"] not in ANSWER_STEPS]
    if answer_fb:
        reasons = "; ".join(f"{f['step']}: {_escape(str(f['reason']))}" for f in answer_fb[:3])
        more = f" (+{len(answer_fb) - 3} more)" if len(answer_fb) > 3 else ""
        out.append(f"⚠ **Answered after {len(answer_fb)} fallback(s)**: {reasons}{more}")
    if search_fb:
        steps = ", ".join(dict.fromkeys(str(f["step"]) for f in search_fb))
        out.append(f"_search plan: {len(search_fb)} fallback(s) ({steps}); see the run tree_")
    parts = []
    if turn.confidence is not None:
        parts.append(f"confidence **{turn.confidence:.0%}** ({confidence_word(turn.confidence)})")
    if turn.checks:
        failed = [c for c in turn.checks if not c.get("ok")]
        passed = len(turn.checks) - len(failed)
        parts.append(f"checks {passed}/{len(turn.checks)} passed")
        parts += [f"✗ `{c.get('code', '?')}` {_escape(str(c.get('reason') or ''))}".rstrip() for c in failed]
    if parts:
        out.append(" · ".join(parts))
    return out


def turn_markdown(turn: TurnView) -> str:
    """One turn as Markdown; `[n]` markers become `cite:TURN:N` links."""
    known = {int(c["n"]) for c in turn.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](cite:{turn.turn_id}:{n})" if n in known else m.group(0)

    head = f"**Q:** {_escape(turn.question)}\n\n"
    if turn.standalone and turn.standalone != turn.question:
        head += f"_read as: {_escape(turn.standalone)}_\n\n"
    if turn.status == "running":
        return head + "_Researching…_"
    if turn.status == "cancelled":
        return head + "_Cancelled._"
    if turn.status == "error":
        return head + f"_Failed: {_escape(turn.answer)}_"
    if turn.items and turn.shape != "factoid":
        body = "\n".join(f"- {CITE.sub(link, _escape(str(i.get('text') or '')))}"
                         + "".join(f" [\\[{n}\\]](cite:{turn.turn_id}:{n})" for n in i.get("citations") or []
                                   if f"[{n}]" not in str(i.get("text") or "") and n in known)
                         for i in turn.items)
    else:
        body = CITE.sub(link, _escape(turn.answer)) if turn.answer else "_(no answer)_"
    if turn.status == "budget":
        body += "\n\n_(stopped at the run budget)_"
    trust = trust_lines(turn)
    if trust:
        body += "\n\n" + "\n".join(f"> {line}  " for line in trust)
    return head + body


def as_result(turn: TurnView) -> SimpleNamespace:
    """The turn in the shape `agent.report` reads (an AgentResult-like object)."""
    if turn.items and turn.shape != "factoid":
        answer = "\n".join(f"- {i.get('text', '')}" + "".join(f" [{n}]" for n in i.get("citations") or []
                                                              if f"[{n}]" not in str(i.get("text") or ""))
                           for i in turn.items)
    else:
        answer = turn.answer
    fields = ("n", "chunk_id", "doc_id", "title", "source", "text", "quote")
    cites = [SimpleNamespace(**{k: c.get(k, 0 if k == "n" else "") for k in fields}) for c in turn.citations]
    short = next((line for line in answer.splitlines() if line.strip()), answer)
    return SimpleNamespace(question=turn.question, answer=answer, short_answer=short, shape=turn.shape,
                           status=turn.status, citations=cites, confidence=turn.confidence,
                           abstained=turn.abstained)


def answer_text(turn: TurnView) -> str:
    """The answer as plain text with its numbered references (what "copy answer" copies)."""
    from agent.report import reference_lines

    result = as_result(turn)
    refs = reference_lines(result.citations, result.answer)
    return result.answer + ("\n\n" + "\n".join(refs) if refs else "")


def shown_source(citation: dict[str, Any]) -> str:
    """The short path of a cited passage's document: the indexed folder's name and the path under it.

    `doc_id` is the path relative to the indexed root, `source` the absolute path, so
    `/home/me/notes/docs/a/b.md` with doc id `a/b.md` is shown as `docs/a/b.md`.
    """
    source, doc_id = str(citation.get("source") or ""), str(citation.get("doc_id") or "")
    if source and doc_id and source.endswith("/" + doc_id):
        root = source[: -len(doc_id) - 1].rstrip("/").rsplit("/", 1)[-1]
        return f"{root}/{doc_id}" if root else doc_id
    return source or doc_id
