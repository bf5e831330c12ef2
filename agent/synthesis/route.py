"""Where the research agent hands an open question to the synthesis.

`answer_shaped(ctx, question)` is called by `ResearchAgent.run` in agent mode. It
classifies the question (trace event `shape`); for a factoid it returns None and the agent
takes its usual path. Otherwise it runs the synthesis with the agent's own tool and LM
accounting (every search is a `tool_call`, every LM call an `lm_call`, the run's budget holds),
emits the `synthesis` and `answer` events and returns the `AgentResult`, with `shape`, `items`
and each citation's `quote` filled in.

It works through the run's `RunContext` (`agent.steps`): its `tool`, `lm_step`, `over_budget`
and `nlp`, its `trace`, `tools` and `ranker`: the research loop's accounting, reused rather than
copied. The LM is asked for the shape only when it is capable (`runtime.embedded` false).
"""

from __future__ import annotations

from dataclasses import asdict

import dspy

from agent.outcome import Code
from agent.reading.bridge import bridge
from agent.result import INSUFFICIENT, AgentResult, Citation
from agent.steps import RunContext
from agent.synthesis import classify_question, lm_is_capable, synthesize
from agent.synthesis.modules import OverviewModule, ShapeModule, ShortenModule
from agent.synthesis.shape import ShapeDecision, plural_wh_noun

LABEL = "synthesis"


def answer_shaped(ctx: RunContext, question: str) -> AgentResult | None:
    """The synthesis's `AgentResult` for a list/compare/explain question; None for a factoid."""
    lm = ctx.runtime.lm if ctx.runtime.lm is not None else dspy.settings.lm
    capable = lm_is_capable(lm) and not ctx.runtime.embedded
    ask = None
    if capable:

        def ask(q: str) -> str:
            return ctx.lm_step("shape", ShapeModule(), question=q).shape

    forced = getattr(ctx.settings, "shape", "auto") or "auto"
    try:
        nlp = ctx.nlp()
    except Exception:  # noqa: BLE001 - no spaCy model: the suffix rule decides plurals
        nlp = None
    decision = classify_question(question, forced, ask_lm=ask, nlp=nlp)
    if decision.shape == "list" and decision.source == "rules" and _bridged(question, nlp, decision.cue):
        # "X hit a state named after which tribes?": the plural asks about the far end of a hop,
        # which the list synthesis (one search, no hops) cannot reach; the research loop can.
        decision = ShapeDecision("factoid", "rules", f"{decision.cue} inside a clause about another thing: "
                                 "the research loop hops to it")
    ctx.trace.emit(
        "shape",
        shape=decision.shape,
        source=decision.source,
        cue=decision.cue,
        sides=decision.sides,
        topic=decision.topic,
    )
    if decision.shape == "factoid":
        return None

    def search(tool: str, **args):
        return ctx.tool(tool, None, LABEL, **args)

    def shorten(q: str, sentence: str) -> str:
        return ctx.lm_step("shorten", ShortenModule(), light=True, question=q, sentence=sentence).short

    def overview(q: str, lines: str) -> str:
        return ctx.lm_step("overview", OverviewModule(), question=q, lines=lines).overview

    syn = synthesize(
        question,
        decision,
        search=search,
        ranker=ctx.ranker,
        embedder=ctx.tools.index.embedder,
        has_graph=ctx.tools.has_graph,
        shorten=shorten,
        overview=overview,
        over_budget=ctx.over_budget,
    )
    ctx.trace.emit("synthesis", **syn.event)
    if not syn.items:
        ctx.trace.emit(
            "fallback",
            step="synthesis",
            node=None,
            code=Code.SYNTHESIS_EMPTY,
            reason="no retrieved document bears on the question closely enough",
        )
    citations = [
        Citation(n, hit.chunk_id, hit.doc_id, hit.title, hit.source, hit.text, quote)
        for n, hit, quote in syn.cited
    ]
    answer = syn.answer if syn.items else INSUFFICIENT
    ranked = syn.ranked or ctx.tools.evidence.ranked()
    hits = ctx.tools.evidence.hits
    docs = list(dict.fromkeys(hits[c].doc_id for c in ranked if c in hits))
    ctx.trace.emit(
        "answer",
        answer=answer,
        short_answer="",
        sufficient=bool(syn.items),
        citations=[{k: v for k, v in asdict(c).items() if k != "text"} for c in citations],
        evidence=ranked[:50],
        confidence=None,
        abstained=False,
        checks=[],
        shape=decision.shape,
        items=syn.items,
    )
    return AgentResult(
        question,
        answer,
        "",
        citations,
        ranked,
        docs,
        bool(syn.items),
        "ok",
        ctx.trace,
        shape=decision.shape,
        items=syn.items,
    )


def _bridged(question: str, nlp, cue: str) -> bool:
    """The list cue is a plural wh-noun (not an explicit "list ..." request) that sits inside a
    modifier of another noun phrase: the parse's bridge split (`agent.reading.bridge`)."""
    if nlp is None:
        return False
    text = " ".join(question.split())
    return cue == plural_wh_noun(text, nlp) and bridge(nlp(text)) is not None
