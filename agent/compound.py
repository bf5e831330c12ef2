"""Compound questions ("Which bridge did Edda Marsh design and when did it open?"): each part is
researched on its own, a later part read with the earlier part's answer ("When did the Kestrel Bridge
open?"), and the answer has one line per part, so a part the documents do not answer says so.

`compound_parts` splits only two clauses that each ask with their own question word; "Who were A and
B?" or "When and where was he born?" stay one question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, replace

from agent.followup import rewrite_by_code
from agent.reading.evidence import SentenceRanker
from agent.reading.question import analyse, subjects
from agent.result import AgentResult
from agent.steps import RunContext

WH = r"(?:who|whom|whose|what|which|when|where|why|how)"
SPLIT = re.compile(rf"^(?P<first>.+?\S)\s*,?\s+and\s+(?P<second>{WH}\b.+)$", re.IGNORECASE)
CITE = re.compile(r"\[(\d+)\]")


def compound_parts(question: str, nlp) -> list[str]:
    """The parts of a question that asks two things with two question words ([] when it asks one)."""
    text = " ".join(question.split()).rstrip("?").strip()
    m = SPLIT.match(text)
    if not m:
        return []
    first, second = m.group("first"), m.group("second")
    if not re.match(rf"{WH}\b", first, re.IGNORECASE) and not re.match(
            r"(?:is|are|was|were|did|does|do|has|have|had|can|could)\b", first, re.IGNORECASE):
        return []
    parts = [first, second]
    for part in parts:  # each part is a clause: it has a verb of its own
        if not any(t.pos_ in ("VERB", "AUX") for t in nlp(part)):
            return []
    return [p[0].upper() + p[1:] + "?" for p in parts]


def answer_in_parts(research: Callable[[str, RunContext], AgentResult], question: str, parts: list[str],
                    ctx: RunContext) -> AgentResult:
    """Research each part with `research(part, ctx)` (the loop of the run's mode; a later part made
    to stand alone with the earlier answers), then one answer."""
    ctx.trace.emit("compound", parts=parts)
    ctx.ranker = ctx.ranker or SentenceRanker(ctx.runtime.index.embedder)
    done: list[tuple[str, AgentResult]] = []
    history: list[tuple[str, str]] = []
    for part in parts:
        read = rewrite_by_code(part, history, ctx.nlp()).question if history else part
        if read != part:
            ctx.trace.emit("followup", question=part, standalone=read, by="code", refs=["an earlier part"])
        ctx.info = analyse(read, ctx.nlp())
        if ctx.info.form == "yesno":
            ctx.info.subjects = subjects(read, ctx.nlp())
        ctx.nodes = []
        result = research(read, ctx)
        done.append((part, result))
        history.append((read, result.short_answer))
        if ctx.stopped:
            break
    return combine(question, done, parts, ctx)


def combine(question: str, done: list[tuple[str, AgentResult]], parts: list[str], ctx) -> AgentResult:
    """One result with a line per part: its question, its answer and its citations (renumbered)."""
    lines, citations, checks = [], [], []
    for part, r in done:
        offset = len(citations)
        citations += [replace(c, n=c.n + offset) for c in r.citations]
        answer = CITE.sub(lambda m, o=offset: f"[{int(m.group(1)) + o}]", " ".join(r.answer.split()))
        lines.append(f"- **{part}** {answer}")
        checks += r.checks
    for part in parts[len(done):]:
        lines.append(f"- **{part}** Not researched: the run's budget ran out first.")
    answered = [r for _, r in done if r.sufficient]
    confidences = [r.confidence for r in answered]
    confidence = None if not answered or None in confidences else min(confidences)
    first = done[0][1] if done else None
    ranked = list(dict.fromkeys(c for _, r in done for c in r.evidence))
    docs = list(dict.fromkeys(d for _, r in done for d in r.evidence_docs))
    short = "; ".join(r.short_answer for _, r in done if r.short_answer)
    out = AgentResult(question, "\n".join(lines), short, citations, ranked, docs, bool(answered), "ok",
                      first.trace if first else ctx.trace, confidence=confidence,
                      abstained=any(r.abstained for _, r in done),
                      checks=checks, not_found=bool(done) and all(r.not_found for _, r in done))
    ctx.trace.emit("answer", answer=out.answer, short_answer=out.short_answer, sufficient=out.sufficient,
                   citations=[{k: v for k, v in asdict(c).items() if k != "text"} for c in citations],
                   evidence=ranked[:50], confidence=confidence, abstained=out.abstained, checks=checks,
                   not_found=out.not_found, shape="factoid", items=[], parts=parts)
    return out
