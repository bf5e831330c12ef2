"""The research loop: plan, retrieve with tools, read, loop until the evidence suffices, answer.

`ResearchAgent` is a `dspy.Module` (so `hopper optimize` can compile its predictors). Its control
flow is plain Python, and reading is narrow (`agent.reading`): code parses the question, chooses
the sentences the reader sees and checks every answer; the LM answers one short thing per call.
What one round of searching and reading does is in `agent.rounds`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from typing import NamedTuple

import dspy

from agent.budget import budget_answer
from agent.compound import answer_in_parts, compound_parts
from agent.config import AgentSettings
from agent.followup import FollowupModule, standalone
from agent.lm.deadline import BudgetExceeded, deadline
from agent.modules import (
    AnswerModule,
    ClosedBookModule,
    DecomposeModule,
    Node,
    RewriteModule,
    norm_text,
)
from agent.outcome import Code, Fallback, Status, Stop, status_of
from agent.reading.answer import Composed, compose, free_text, withhold
from agent.reading.conflict import disagree
from agent.reading.evidence import Sentence, SentenceRanker, render
from agent.reading.passages import format_passages
from agent.reading.question import analyse, subjects
from agent.reading.reader import ReaderModule
from agent.reading.result import Reading
from agent.reading.select import features, load_weights
from agent.reading.select import support as support_probability
from agent.reading.shapes import enumeration
from agent.reading.terms import absent_numbers
from agent.reading.tree import decompose, unsound_hop
from agent.result import INSUFFICIENT, AgentResult, Citation
from agent.rounds import (
    LINK_SOURCES,
    as_dicts,
    first_tool,
    node_queries,
    ranking_labels,
    read_hits,
    resolve,
    search_round,
)
from agent.steps import RunCancelled, RunContext, Runtime, context_note
from agent.synthesis.route import answer_shaped
from agent.toolbox import ToolBox
from agent.trace import Trace

__all__ = ["INSUFFICIENT", "AgentResult", "Citation", "ResearchAgent", "RunCancelled"]

CHAIN_BONUS = 0.15
"""Hops that each read their answer from the evidence agree: on the tuning questions a chain of
two or more such hops was right 82% of the time, a single read 29%."""


class ResearchAgent(dspy.Module):
    """Multi-hop research over one index. Call `run(question)`; `forward` serves DSPy optimizers."""

    def __init__(self, settings: AgentSettings | None = None, index=None, *, lm=None, fast_lm=None,
                 embedded: bool | None = None):
        """`embedded`: whether `lm` is one of the small embedded models (None: told by the LM the run
        uses, see `agent.steps.Runtime`)."""
        super().__init__()
        self.settings = settings or AgentSettings()
        self.decompose = DecomposeModule(self.settings.max_subquestions)
        self.rewrite = RewriteModule()
        self.reader = ReaderModule()
        self.respond = AnswerModule()
        self.closed_book = ClosedBookModule()
        self.followup = FollowupModule()
        self.runtime = Runtime(index, lm, fast_lm, embedded=embedded)

    # -- public ---------------------------------------------------------------------------------
    def run(self, question: str, *, mode: str | None = None, subscribers=(),
            cancel: threading.Event | None = None, trace: Trace | None = None, history=()) -> AgentResult:
        """Answer `question`; `history` holds earlier (question, answer) turns of a session."""
        trace = trace or Trace()
        trace.subscribers.extend(subscribers)
        trace.subscribers.extend(self.runtime.subscribers)
        mode = mode or self.settings.mode
        index = self.runtime.index
        if index is None and mode != "closed":
            raise ValueError("ResearchAgent has no index: pass index= or use mode='closed'")
        tools = ToolBox(index, trace, k=self.settings.k, use_graph=self.settings.use_graph) if index else None
        ctx = RunContext(trace, tools, self.settings, self.runtime, time.perf_counter(), cancel)
        ctx.context = context_note(history)
        trace.emit("run_start", question=question, mode=mode, lm=self.runtime.lm_name,
                   index_dir=str(index.dir) if index is not None else None,
                   index_generation=index.generation if index is not None else None,
                   settings=asdict(self.settings), started=time.time(), **self.runtime.meta)
        status, error, asked = Status.OK, None, question
        try:
            with dspy.context(**({"lm": self.runtime.lm} if self.runtime.lm is not None else {})), \
                    deadline(self.settings.max_seconds):
                question = standalone(self, asked, history, ctx).question
                parts = compound_parts(question, ctx.nlp()) if mode != "closed" else []
                if parts:  # "Which X ... and when ...?": each part researched, one line per part
                    research = self._rag if mode == "rag" else self._agent
                    result = answer_in_parts(research, question, parts, ctx)
                elif mode == "closed":
                    result = self._closed(question, ctx)
                else:
                    ctx.info = analyse(question, ctx.nlp())
                    if ctx.info.form == "yesno":
                        ctx.info.subjects = subjects(question, ctx.nlp())
                    ctx.ranker = SentenceRanker(index.embedder)
                    # list/compare/explain: a cited synthesis (None for a factoid)
                    shaped = answer_shaped(ctx, question) if mode == "agent" else None
                    run_mode = self._rag if mode == "rag" else self._agent
                    result = shaped or run_mode(question, ctx)
            status = status_of(trace.events, result.sufficient or result.not_found, ctx.stopped)
        except BudgetExceeded:  # the time budget ran out inside an LM call
            ctx.stopped = Stop.SECONDS
            trace.emit("budget", reason=Stop.SECONDS, node=None)
            status = Status.BUDGET
            result = self._result(question, ctx, Composed(INSUFFICIENT, ""))
        except RunCancelled:
            status = Status.CANCELLED
            result = self._result(question, ctx, Composed("Cancelled.", ""))
        except Exception as exc:
            status, error = Status.ERROR, str(exc)
            ctx.end(status, error)
            raise
        result.status = status
        if ctx.stopped and result.answer == INSUFFICIENT:  # say which budget ran out, and how to raise it
            result.answer = budget_answer(ctx.stopped, self.settings)
        if question != asked:  # a follow-up: the answer is to the question asked, read as `standalone`
            result.question, result.standalone = asked, question
        ctx.end(status, error)
        return result

    def forward(self, question: str) -> dspy.Prediction:
        result = self.run(question)
        return dspy.Prediction(answer=result.short_answer, full_answer=result.answer,
                               evidence_docs=result.evidence_docs, citations=result.citations,
                               checks=result.checks, not_found=result.not_found)

    # -- modes ----------------------------------------------------------------------------------
    def _closed(self, question: str, ctx: RunContext) -> AgentResult:
        pred = ctx.lm_step("answer", self.closed_book, question=question)
        short = pred.short_answer
        return self._result(question, ctx, Composed(pred.answer or short, short, sufficient=bool(short)))

    def _rag(self, question: str, ctx: RunContext) -> AgentResult:
        k = self.settings.evidence_k
        ctx.tool(first_tool(ctx), None, "question", query=question, k=k)
        return self._final(question, ctx)

    def _agent(self, question: str, ctx: RunContext) -> AgentResult:
        s = self.settings
        found = ctx.tool(first_tool(ctx), None, "question", query=question, k=s.k)
        if found:  # the documents those passages name are the likeliest next hop
            ctx.tool("follow_links", None, "links", query=question,
                     chunk_ids=[h.chunk_id for h in found[:LINK_SOURCES]], k=s.k)
        ctx.nodes = self._plan(question, ctx)
        for node in ctx.nodes:
            if ctx.stopped:
                break
            self._research_node(node, ctx)
            if not node.answer and node.id < len(ctx.nodes):
                break  # a later hop cannot be asked without this one's answer
        answered = [n for n in ctx.nodes if n.answer]
        if ctx.tools.has_graph and len(answered) >= 2 and not ctx.over_budget():
            ctx.tool("paths", None, "paths", source=answered[0].answer, target=answered[-1].answer)
        return self._final(question, ctx)

    # -- planning ---------------------------------------------------------------------------------
    def _plan(self, question: str, ctx: RunContext) -> list[Node]:
        """The query tree: from the parse when the question is compositional, else the LM's.

        The parse goes first for every setting (`lm` included): a chain found by code is checked
        against the question, while the LM's tree is only read back; the LM writes a tree when the
        parse finds no chain and `decompose` allows it."""
        info = ctx.info
        if info.form == "wh":
            chain = decompose(question, ctx.nlp(), self.settings.max_subquestions)
            unsound = unsound_hop(chain, ctx.nlp()) if chain else ""
            if unsound:
                ctx.trace.emit("fallback", step="decompose", node=None, code=Code.PLAN_UNSOUND,
                               reason=f"{unsound}: the whole question is read instead")
                return _tree(ctx, [Node(1, question)], None, "question")
            if chain:
                nodes = [Node(i, text, deps) for i, (text, deps) in enumerate(chain, 1)]
                return _tree(ctx, nodes, None, "parse")
        embedded_auto = self.settings.decompose == "auto" and self.runtime.embedded
        if info.form != "wh" or self.settings.decompose == "parse" or embedded_auto:
            # The embedded 0.5B model almost never writes a usable query tree: not worth its call.
            return _tree(ctx, [Node(1, question)], None, "question")
        pred = ctx.lm_step("decompose", self.decompose, question=question + ctx.context)
        return _tree(ctx, pred.nodes, pred.fallback, "lm")

    # -- one sub-question -------------------------------------------------------------------------
    def _research_node(self, node: Node, ctx: RunContext) -> None:
        s = self.settings
        node.resolved = resolve(node, ctx.nodes)
        single = len(ctx.nodes) == 1
        info = ctx.info if single else analyse(node.resolved, ctx.nlp())
        label = f"node{node.id}"
        queries = node_queries(node, info, ctx)
        ctx.trace.emit("queries", node=node.id, queries=as_dicts(queries))
        rankings = [ctx.seen(lab) for lab in ("question", "links")] if single else []
        read: set[str] = set()
        for round_no in range(1, s.max_rounds + 1):
            pool = search_round(node, ctx, label, queries, rankings, read, first=round_no == 1)
            if not pool or ctx.stopped:
                break
            read.update(h.chunk_id for h in pool)
            reading = read_hits(ctx, self.reader, node.id, node.resolved, info, pool,
                                follow=s.read_follow if single else 0)
            ctx.trace.emit("round", node=node.id, round=round_no, answered=reading.ok, answer=reading.answer,
                           support=[q.chunk_id for q in reading.quotes], confidence=reading.confidence,
                           method=reading.method)
            if reading.ok:
                node.answer, node.confidence, node.quotes = reading.answer, reading.confidence, reading.quotes
                node.method, node.read = reading.method, reading.read
                node.chunk_ids = [q.chunk_id for q in node.quotes]
                ctx.tools.evidence.support(node.chunk_ids)
                node.status = "answered"
                break
            if round_no == s.max_rounds or ctx.over_budget(node.id):
                ctx.trace.emit("budget", reason=Stop.ROUNDS, node=node.id)
                break
            queries = self._follow_up(node, ctx, reading)
        if node.status != "answered":
            node.status = "unanswered"
        ctx.trace.emit("node_answer", node=node.id, text=node.resolved, answer=node.answer,
                       chunk_ids=node.chunk_ids, status=node.status, confidence=node.confidence)

    def _follow_up(self, node: Node, ctx: RunContext, reading: Reading) -> list[tuple[str, str]]:
        """Searches for the next round: the rewrite step's queries (keywords, a hypothetical passage)."""
        rewrite = ctx.lm_step("rewrite", self.rewrite, light=True, node=node.id,
                              question=node.resolved)
        queries = [(t, q) for t, q in rewrite.queries if norm_text(q) != norm_text(node.resolved)]
        if not queries:
            hint = " ".join(c.text for c in reading.candidates[:2])
            queries = [("hybrid_search", f"{node.resolved} {hint}".strip())]
        ctx.trace.emit("rewrite", node=node.id, queries=as_dicts(queries),
                       fallback=rewrite.fallback.code if rewrite.fallback else None)
        return queries

    # -- final answer -----------------------------------------------------------------------------
    def _final(self, question: str, ctx: RunContext) -> AgentResult:
        evidence = ctx.tools.evidence
        ranked = evidence.ranked(ranking_labels(ctx))
        last = ctx.nodes[-1] if ctx.nodes else None
        quotes: list[Sentence] = []
        if last is not None and last.answer:
            short = last.answer
            found = Found(last.method, last.read, last.quotes[:1], len(ctx.nodes) > 1,
                          last.resolved or question)
            confidence = last.confidence  # the final hop's reading, as calibrated on the tuning questions
            if len(ctx.nodes) > 1 and all(n.method == "free" for n in ctx.nodes):
                confidence = min(1.0, confidence + CHAIN_BONUS)
            for n in reversed(ctx.nodes):
                quotes += n.quotes
        else:
            if ctx.nodes:
                ctx.trace.emit("fallback", step="answer", node=None, code=Code.ANSWER_LAST_HOP_OPEN,
                               reason="the last sub-question went unanswered: read the whole question")
            if not ranked:
                ctx.trace.emit("fallback", step="answer", node=None, code=Code.ANSWER_NO_EVIDENCE,
                               reason="no evidence retrieved")
                return self._result(question, ctx, Composed(INSUFFICIENT, ""), ranked)
            short, confidence, quotes, ranked, found = self._read_whole(question, ctx, ranked)
        if short and ctx.info.many and quotes:  # "which encodings": the whole enumeration
            short = enumeration(short, quotes[0].text)
        composed = self._compose(ctx, short, quotes, confidence)
        if short and not composed.sufficient and len(ctx.nodes) > 1 and not ctx.over_budget():
            # The last hop's answer is no answer to the whole question (it repeats a name the
            # question gives, or is of another type): the whole question is read before giving up.
            ctx.trace.emit("fallback", step="answer", node=None, code=Code.ANSWER_LAST_HOP_REFUSED,
                           reason=f"answer {short!r} of the last sub-question failed the whole "
                           "question's checks: read the whole question")
            short, confidence, quotes, ranked, found = self._read_whole(question, ctx, ranked,
                                                                        exclude=[short])
            composed = self._compose(ctx, short, quotes, confidence)
        if short and not composed.sufficient:
            ctx.trace.emit("fallback", step="answer", node=None, code=Code.ANSWER_CHECKS_FAILED,
                           reason=f"answer {short!r} failed the final checks: evidence judged insufficient")
        if composed.sufficient:
            composed = self._select(question, ctx, composed, found)
        if composed.sufficient and self._free_form(ctx):
            self._phrase(question, ctx, composed)
        composed = disagree(composed, ctx.info, found.read, found.own, ctx.tools.evidence.hits, ctx.nlp(),
                            self.settings.min_confidence, ctx.trace)  # passages that give another answer
        return self._result(question, ctx, composed, ranked)

    def _select(self, question: str, ctx: RunContext, composed: Composed, found: Found) -> Composed:
        """The selector's verdict on a checked answer (`agent.reading.select`): its calibrated
        confidence, and "not in your documents" below the selector's floor."""
        method, read, own, tree, asked = found
        sentence = own[0] if own else None
        support = None
        if sentence is not None and not ctx.over_budget():
            ctx.check_cancel()
            with dspy.context(**({"lm": self.runtime.fast_lm} if self.runtime.fast_lm is not None else {})):
                support = support_probability(self.reader.extract, render(list(read) or [sentence]), asked,
                                              composed.short)
        absent = absent_numbers(ctx.info.terms, ctx.tools.index)
        values = features(method=method, tree=tree, yesno=ctx.info.form == "yesno",
                          base=composed.confidence or 0.0, sentence=sentence, read=list(read),
                          quotes=list(own), question=question, support=support, absent_number=bool(absent))
        weights = load_weights(scored=support is not None)
        probability = weights.probability(values) if weights is not None else None
        ctx.trace.emit("select", answer=composed.short, features=values, probability=probability,
                       not_found=weights.not_found if weights is not None else None)
        if probability is None:
            return composed
        return withhold(composed, ctx.info, probability, weights.not_found, self.settings.min_confidence,
                        absent=absent)

    def _read_whole(self, question: str, ctx: RunContext, ranked: list[str], exclude=()):
        """The whole question read over the best evidence: (short, confidence, quotes, ranked)."""
        evidence = ctx.tools.evidence
        top = [evidence.hits[c] for c in ranked[: self.settings.evidence_k]]
        reading = read_hits(ctx, self.reader, None, question, ctx.info, top, exclude=exclude,
                            follow=self.settings.read_follow)
        if reading.ok:
            evidence.support([q.chunk_id for q in reading.quotes])
            ranked = evidence.ranked(ranking_labels(ctx))
        return (reading.answer, reading.confidence, reading.quotes, ranked,
                Found(reading.method, reading.read, reading.quotes[:1], False, question))

    def _compose(self, ctx: RunContext, short: str, quotes: list[Sentence], confidence: float) -> Composed:
        """The final answer from `short` and its sentences, each final check traced."""
        composed = compose(ctx.info, short, quotes, ctx.tools.evidence.hits, confidence,
                           self.settings.min_confidence)
        for v in composed.checks:
            ctx.trace.emit("check", node=None, target=short, **v.as_dict())
        return composed

    def _free_form(self, ctx: RunContext) -> bool:
        reader = self.settings.reader
        return reader == "free" or (reader == "auto" and not ctx.runtime.embedded)

    def _phrase(self, question: str, ctx: RunContext, composed: Composed) -> None:
        """A capable LM writes the answer sentence; kept only when it states the checked answer."""
        if ctx.over_budget():
            return
        hits = [ctx.tools.evidence.hits[c.chunk_id] for c in composed.citations]
        pred = ctx.lm_step("answer", self.respond, question=question + ctx.context,
                           notes=f"- answer: {composed.short}", passages=format_passages(hits, question))
        text = free_text(pred.answer, composed.short, composed.citations)
        if text and not composed.abstained:
            composed.answer = text
        elif pred.answer:
            ctx.trace.emit("fallback", step="answer", node=None, code=Code.ANSWER_SENTENCE_DROPPED,
                           reason="the LM's sentence did not state the checked answer: kept the short one")

    def _result(self, question: str, ctx: RunContext, c: Composed, ranked=None) -> AgentResult:
        tools = ctx.tools
        ranked = ranked if ranked is not None else (tools.evidence.ranked() if tools else [])
        hits = tools.evidence.hits if tools else {}
        docs = list(dict.fromkeys(hits[cid].doc_id for cid in ranked))
        checks = [v.as_dict() for v in c.checks]
        ctx.trace.emit("answer", answer=c.answer, short_answer=c.short, sufficient=c.sufficient,
                       citations=[{k: v for k, v in asdict(x).items() if k != "text"} for x in c.citations],
                       evidence=ranked[:50], confidence=c.confidence, abstained=c.abstained, checks=checks,
                       not_found=c.not_found, shape="factoid", items=[], conflicts=c.conflicts,
                       form=ctx.info.form if ctx.info else "wh")
        return AgentResult(question, c.answer, c.short, c.citations, ranked, docs, c.sufficient, "ok",
                           ctx.trace, confidence=c.confidence, abstained=c.abstained, checks=checks,
                           not_found=c.not_found, conflicts=c.conflicts)


class Found(NamedTuple):
    """How the final answer was read, for the selector: the reader's method, the sentences it was
    shown, the sentence that states the answer, whether a query tree led there, the question read."""

    method: str
    read: list[Sentence]
    own: list[Sentence]
    tree: bool
    asked: str


def _tree(ctx: RunContext, nodes: list[Node], fallback: Fallback | None, source: str) -> list[Node]:
    ctx.trace.emit("decompose", nodes=[n.as_dict() for n in nodes],
                   fallback=fallback.code if fallback else None, source=source)
    return nodes
