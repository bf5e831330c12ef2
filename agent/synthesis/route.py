"""Where the research agent hands an open question to the synthesis.

`answer_shaped(agent, question, state)` is called by `ResearchAgent.run` in agent mode. It
classifies the question (trace event `shape`); for a factoid it returns None and the agent
takes its usual path. Otherwise it runs the synthesis with the agent's own tool and LM
accounting (every search is a `tool_call`, every LM call an `lm_call`, the run's budget holds),
emits the `synthesis` event and returns the `AgentResult`, with `shape`, `items` and each
citation's `quote` filled in.

It uses the agent's `_tool`, `_lm_step`, `_over_budget` and `_result` helpers and the run
state's `trace`, `tools` and `context`: the research loop's accounting, reused rather than
copied.
"""

from __future__ import annotations

from agent.synthesis import classify_question, lm_is_capable, synthesize
from agent.synthesis.modules import OverviewModule, ShapeModule, ShortenModule

LABEL = "synthesis"


def answer_shaped(agent, question: str, state):
    """The synthesis's `AgentResult` for a list/compare/explain question; None for a factoid."""
    import dspy

    from agent.research import INSUFFICIENT, Citation

    lm = agent.runtime.lm if agent.runtime.lm is not None else dspy.settings.lm
    capable = lm_is_capable(lm)
    ask = None
    if capable:
        def ask(q: str) -> str:
            return agent._lm_step(state, "shape", ShapeModule(), question=q).shape

    forced = getattr(agent.settings, "shape", "auto") or "auto"
    decision = classify_question(question, forced, ask_lm=ask)
    state.trace.emit("shape", shape=decision.shape, source=decision.source, cue=decision.cue,
                     sides=decision.sides, topic=decision.topic)
    if decision.shape == "factoid":
        return None

    def search(tool: str, **args):
        return agent._tool(state, tool, None, LABEL, **args)

    def shorten(q: str, sentence: str) -> str:
        return agent._lm_step(state, "shorten", ShortenModule(), light=True, question=q, sentence=sentence).short

    def overview(q: str, lines: str) -> str:
        return agent._lm_step(state, "overview", OverviewModule(), question=q, lines=lines).overview

    syn = synthesize(question, decision, search=search,
                     embedder=state.tools.index.embedder, has_graph=state.tools.has_graph, shorten=shorten,
                     overview=overview, over_budget=lambda: agent._over_budget(state))
    state.trace.emit("synthesis", **syn.event)
    if not syn.items:
        state.trace.emit("fallback", step="synthesis", node=None,
                         reason="no retrieved document bears on the question closely enough")
        result = agent._result(question, state, INSUFFICIENT, "", [], False, "ok", syn.ranked or None)
    else:
        citations = [Citation(n, hit.chunk_id, hit.doc_id, hit.title, hit.source, hit.text, quote)
                     for n, hit, quote in syn.cited]
        result = agent._result(question, state, syn.answer, "", citations, True, "ok", syn.ranked)
        result.items = syn.items
    result.shape = decision.shape
    return result
