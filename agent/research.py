"""The research loop: decompose, rewrite, retrieve with tools, judge, answer with citations.

`ResearchAgent` is a `dspy.Module` (so `hopper optimize` can compile its predictors). Its
control flow is plain Python: the LM fills in each stage, and every stage has a deterministic
fallback, so a 0.5B model still produces a grounded, cited answer.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import dspy

from agent.config import AgentSettings
from agent.modules import (STOP, AnswerModule, ClosedBookModule, DecomposeModule, JudgeModule, Node, RewriteModule,
                           clean_short, echoes_question, norm_text)
from agent.toolbox import ToolBox
from agent.trace import Trace
from tools.fusion import rrf
from tools.types import Hit

SNIPPET_CHARS = 480
FOLLOW_UP_PASSAGES = 3
SHORT_ANSWER_WORDS = 8
PROMOTED_PER_NODE = 2
LINK_SOURCES = 3
"""How many top passages of a search have their title links followed."""
INSUFFICIENT = "I could not find enough evidence in the indexed documents to answer this question."


class RunCancelled(Exception):
    """The run was cancelled by the user (Escape in the TUI, Ctrl-C on the command line)."""


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    text: str
    quote: str = ""
    """The sentence of the passage that states the answer (or supports the synthesis line)."""


@dataclass
class AgentResult:
    question: str
    answer: str
    short_answer: str
    citations: list[Citation]
    evidence: list[str]
    evidence_docs: list[str]
    sufficient: bool
    status: str
    trace: Trace
    confidence: float | None = None
    """0-1: how sure the reader is of `short_answer` (None: not measured, e.g. closed book)."""
    abstained: bool = False
    """True when confidence is below the threshold: `answer` says so and shows the best guess."""
    checks: list[dict[str, Any]] = field(default_factory=list)
    """The answer checks run on the final answer: [{code, ok, reason}]."""
    shape: str = "factoid"
    """factoid | list | compare | explain."""
    items: list[dict[str, Any]] = field(default_factory=list)
    """Lines of a synthesis: [{text, citations: [n, ...]}] (empty for a factoid)."""

    def to_dict(self, with_trace: bool = True) -> dict[str, Any]:
        out = {"question": self.question, "shape": self.shape, "answer": self.answer,
               "short_answer": self.short_answer, "confidence": self.confidence, "abstained": self.abstained,
               "checks": self.checks, "items": self.items,
               "citations": [asdict(c) for c in self.citations], "evidence": self.evidence,
               "sufficient": self.sufficient, "status": self.status}
        if with_trace:
            out["trace"] = [asdict(e) for e in self.trace.events]
        return out


class _Shared:
    """Holds the runtime (index, LMs, hooks) by reference: DSPy copies programs, never this."""

    def __init__(self, **values: Any):
        self.__dict__.update(values)

    def __deepcopy__(self, memo):
        return self


@dataclass
class _RunState:
    trace: Trace
    tools: ToolBox
    started: float
    cancel: threading.Event | None
    tokens: int = 0
    lm_calls: int = 0
    stopped: str = ""
    context: str = ""
    nodes: list[Node] = field(default_factory=list)


def format_passages(hits: list[Hit], query: str = "", chars: int = SNIPPET_CHARS) -> str:
    """Number the passages `[1]`, `[2]`, ...; long ones are cut to the sentences that bear on `query`."""
    return "\n\n".join(f"[{i}] ({h.title}) {focus(h.text, query, chars)}" for i, h in enumerate(hits, 1))


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def focus(text: str, query: str, chars: int = SNIPPET_CHARS) -> str:
    """`text` in at most about `chars` characters: the first sentence (it names the subject),
    then the sentences sharing the most query words, kept in document order, gaps marked `…`.

    A 0.5B model reads a 1,000-token prompt in several seconds on two cores, so the passages it
    judges are trimmed to what bears on the question instead of cut at a fixed length.
    """
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    sentences = _SENTENCE.split(text)
    words = {w for w in re.findall(r"\w+", query.lower()) if w not in STOP and len(w) > 2}

    def score(i: int) -> float:
        found = set(re.findall(r"\w+", sentences[i].lower())) & words
        return sum(len(w) for w in found) - 0.01 * i  # longer shared words weigh more; earlier breaks ties

    keep, size = {0}, len(sentences[0])
    for i in sorted(range(1, len(sentences)), key=score, reverse=True):
        if score(i) <= 0 or size + len(sentences[i]) > chars:
            continue
        keep.add(i)
        size += len(sentences[i]) + 1
    parts, last = [], -1
    for i in sorted(keep):
        sentence = sentences[i]
        if len(sentence) > chars:
            sentence = sentence[:chars].rsplit(" ", 1)[0] + " …"
        parts.append(("… " if i != last + 1 else "") + sentence)
        last = i
    out = " ".join(parts)
    return out if last == len(sentences) - 1 else out + " …"


class ResearchAgent(dspy.Module):
    """Multi-hop research over one index. Call `run(question)`; `forward` serves DSPy optimizers."""

    def __init__(self, settings: AgentSettings | None = None, index=None, *, lm=None, fast_lm=None):
        super().__init__()
        self.settings = settings or AgentSettings()
        self.decompose = DecomposeModule(self.settings.max_subquestions)
        self.rewrite = RewriteModule()
        self.judge = JudgeModule()
        self.respond = AnswerModule()
        self.closed_book = ClosedBookModule()
        self.runtime = _Shared(index=index, lm=lm, fast_lm=fast_lm, subscribers=[], lm_name="", meta={})

    # -- public ---------------------------------------------------------------------------------
    def run(self, question: str, *, mode: str | None = None, subscribers=(), cancel: threading.Event | None = None,
            trace: Trace | None = None, history=()) -> AgentResult:
        """Answer `question`; `history` holds earlier (question, answer) turns of a session."""
        trace = trace or Trace()
        trace.subscribers.extend(subscribers)
        trace.subscribers.extend(self.runtime.subscribers)
        mode = mode or self.settings.mode
        index = self.runtime.index
        if index is None and mode != "closed":
            raise ValueError("ResearchAgent has no index: pass index= or use mode='closed'")
        state = _RunState(trace, ToolBox(index, trace, k=self.settings.k) if index is not None else None,
                          time.perf_counter(), cancel)
        state.context = _context_note(history)
        trace.emit("run_start", question=question, mode=mode, lm=self.runtime.lm_name,
                   index_dir=str(index.dir) if index is not None else None,
                   index_generation=index.generation if index is not None else None,
                   settings=asdict(self.settings), started=time.time(), **self.runtime.meta)
        status, error = "ok", None
        try:
            with dspy.context(**({"lm": self.runtime.lm} if self.runtime.lm is not None else {})):
                if mode == "closed":
                    result = self._closed(question, state)
                elif mode == "rag":
                    result = self._rag(question, state)
                else:  # a list/compare/explain question gets a cited synthesis; a factoid, the research loop
                    from agent.synthesis.route import answer_shaped

                    result = answer_shaped(self, question, state) or self._agent(question, state)
            status = "budget" if state.stopped else "ok"
        except RunCancelled:
            status = "cancelled"
            result = self._result(question, state, "Cancelled.", "", [], False, status)
        except Exception as exc:
            status, error = "error", str(exc)
            trace.emit("run_end", status=status, seconds=round(time.perf_counter() - state.started, 3),
                       lm_calls=state.lm_calls, tool_calls=state.tools.calls if state.tools else 0,
                       tokens=state.tokens, error=error)
            raise
        result.status = status
        trace.emit("run_end", status=status, seconds=round(time.perf_counter() - state.started, 3),
                   lm_calls=state.lm_calls, tool_calls=state.tools.calls if state.tools else 0,
                   tokens=state.tokens, error=error)
        return result

    def forward(self, question: str) -> dspy.Prediction:
        result = self.run(question)
        return dspy.Prediction(answer=result.short_answer, full_answer=result.answer,
                               evidence_docs=result.evidence_docs, citations=result.citations)

    # -- modes ----------------------------------------------------------------------------------
    def _closed(self, question: str, state: _RunState) -> AgentResult:
        pred = self._lm_step(state, "answer", self.closed_book, question=question)
        short = pred.short_answer
        return self._result(question, state, pred.answer or short, short, [], bool(short), "ok")

    def _rag(self, question: str, state: _RunState) -> AgentResult:
        self._tool(state, "hybrid_search", None, "question", query=question, k=self.settings.evidence_k)
        return self._final(question, state)

    def _agent(self, question: str, state: _RunState) -> AgentResult:
        s = self.settings
        first = "hybrid_graph_search" if state.tools.has_graph else "hybrid_search"
        found = self._tool(state, first, None, "question", query=question, k=s.k)
        if found:  # the documents those passages name are the likeliest next hop
            self._tool(state, "follow_links", None, "links", query=question,
                       chunk_ids=[h.chunk_id for h in found[:LINK_SOURCES]], k=s.k)
        pred = self._lm_step(state, "decompose", self.decompose, question=question + state.context)
        state.nodes = pred.nodes
        state.trace.emit("decompose", nodes=[n.as_dict() for n in state.nodes], fallback=pred.fallback)
        for node in state.nodes:
            if state.stopped:
                break
            self._research_node(question, node, state)
        answered = [n for n in state.nodes if n.answer]
        if state.tools.has_graph and len(answered) >= 2 and not self._over_budget(state):
            self._tool(state, "paths", None, "paths", source=answered[0].answer, target=answered[-1].answer)
        return self._final(question, state)

    # -- one sub-question -------------------------------------------------------------------------
    def _research_node(self, question: str, node: Node, state: _RunState) -> None:
        s = self.settings
        node.resolved = self._resolve(node, state.nodes)
        label = f"node{node.id}"
        rankings: list[list[Hit]] = []
        read: set[str] = set()
        rewrite = self._lm_step(state, "rewrite", self.rewrite, light=True, node=node.id, question=node.resolved)
        queries = list(rewrite.queries)
        if state.tools.has_graph:
            queries.append(("graph_search", node.resolved))
            for dep in node.depends_on:
                entity = state.nodes[dep - 1].answer
                if entity:
                    queries.append(("neighbors", entity))
        state.trace.emit("rewrite", node=node.id, queries=[{"tool": t, "query": q} for t, q in queries],
                         fallback=rewrite.fallback)
        for round_no in range(1, s.max_rounds + 1):
            for tool, query in queries:
                if self._over_budget(state, node.id):
                    break
                args = {"entity": query} if tool == "neighbors" else {"query": query}
                # Follow-up rounds search deeper, so chunks not read yet can surface.
                rankings.append(self._tool(state, tool, node.id, label, **args, k=s.k + len(read)))
            fused = rrf(rankings, k=60, name=label) if rankings else []
            if fused and round_no == 1 and not self._over_budget(state, node.id):
                rankings.append(self._tool(state, "follow_links", node.id, label, query=node.resolved,
                                           chunk_ids=[h.chunk_id for h in fused[:LINK_SOURCES]], k=s.k))
                fused = rrf(rankings, k=60, name=label)
            # A follow-up reads only the few best new passages: a short prompt is a fast call.
            unread = [h for h in fused if h.chunk_id not in read][:s.k if round_no == 1 else FOLLOW_UP_PASSAGES]
            if not unread or state.stopped:
                break
            read.update(h.chunk_id for h in unread)
            verdict = self._lm_step(state, "judge", self.judge, light=True, node=node.id, question=node.resolved,
                                    passages=format_passages(unread, node.resolved), n_passages=len(unread))
            support = [unread[n - 1].chunk_id for n in verdict.support]
            state.trace.emit("judge", node=node.id, round=round_no, answerable=verdict.answerable,
                             answer=verdict.answer, support=support, missing=verdict.missing,
                             next_tool="hybrid_search" if verdict.next_query else "", next_query=verdict.next_query)
            answer = clean_short(verdict.answer) if verdict.answerable else ""
            if answer and echoes_question(answer, node.resolved):
                # The judge named an entity the question already gives (the first hop of an
                # undecomposed multi-hop question): no answer; search on, then synthesise.
                state.trace.emit("fallback", step="judge", node=node.id,
                                 reason=f"answer {answer!r} only repeats a name in the question")
                answer = ""
            if answer:
                node.answer = answer
                stating = _ids(_containing(unread, node.answer))
                node.chunk_ids = support or stating[:1]
                if not support:
                    state.trace.emit("fallback", step="judge", node=node.id,
                                     reason="no valid supporting passage: cited the passage containing the answer")
                # Only cited passages that state the answer move to the front of the evidence: a
                # small model often cites every passage it was shown.
                state.tools.evidence.support([c for c in node.chunk_ids if c in stating][:PROMOTED_PER_NODE])
                node.status = "answered"
                break
            if round_no == s.max_rounds:
                state.trace.emit("budget", reason="rounds", node=node.id)
                break
            follow = verdict.next_query or verdict.missing
            if not follow or norm_text(follow) in {norm_text(q) for _, q in queries}:
                follow = f"{node.resolved} {verdict.missing}".strip()
                state.trace.emit("fallback", step="judge", node=node.id, reason="no usable follow-up query")
            queries = [("hybrid_search", follow)]
        if node.status != "answered":
            node.status = "unanswered"
        state.trace.emit("node_answer", node=node.id, text=node.resolved, answer=node.answer,
                         chunk_ids=node.chunk_ids, status=node.status)

    @staticmethod
    def _resolve(node: Node, nodes: list[Node]) -> str:
        def sub(m: re.Match) -> str:
            dep = nodes[int(m.group(1)) - 1]
            return dep.answer or f"({dep.resolved or dep.text})"

        return re.sub(r"#(\d+)", lambda m: sub(m) if 0 < int(m.group(1)) < node.id else m.group(0), node.text)

    # -- final answer -----------------------------------------------------------------------------
    def _final(self, question: str, state: _RunState) -> AgentResult:
        s = self.settings
        evidence = state.tools.evidence
        labels = ["question", "links"] + [f"node{n.id}" for n in state.nodes] + ["paths"]
        ranked = evidence.ranked(labels)
        top = [evidence.hits[c] for c in ranked[:s.evidence_k]]
        number = {h.chunk_id: i for i, h in enumerate(top, 1)}
        notes = "\n".join(
            f"- {n.resolved or n.text} -> {n.answer}" + "".join(f" [{number[c]}]" for c in n.chunk_ids if c in number)
            for n in state.nodes if n.answer) or "(none)"
        if not top:
            state.trace.emit("fallback", step="answer", node=None, reason="no evidence retrieved")
            return self._result(question, state, INSUFFICIENT, "", [], False, "ok", ranked)
        verdict = self._judged_answer(state, number, top)
        if verdict is not None:
            return self._result(question, state, *verdict, True, "ok", ranked)
        passages = format_passages(top, question)

        def respond(notes: str) -> dspy.Prediction:
            return self._lm_step(state, "answer", self.respond, question=question + state.context, notes=notes,
                                 passages=passages)

        pred = respond(notes)
        if pred.short_answer and echoes_question(pred.short_answer, question):
            # Naming an entity the question already gives is a small model's commonest wrong
            # answer; ask once more, saying so, and give up plainly if it happens again.
            echoed = pred.short_answer
            state.trace.emit("fallback", step="answer", node=None,
                             reason=f"answer {echoed!r} only repeats a name in the question: asked again")
            if self._over_budget(state):
                return self._result(question, state, INSUFFICIENT, "", [], False, "ok", ranked)
            pred = respond(f"{notes}\n- not the answer: {echoed} (the question already names it)")
            if not pred.short_answer or echoes_question(pred.short_answer, question):
                state.trace.emit("fallback", step="answer", node=None,
                                 reason="the answer repeated a name in the question again: evidence judged insufficient")
                return self._result(question, state, INSUFFICIENT, "", [], False, "ok", ranked)
        short, text = pred.short_answer, pred.answer
        answered = [n for n in state.nodes if n.answer]
        if not short and answered:
            short = answered[-1].answer
            state.trace.emit("fallback", step="answer", node=None, reason="empty answer: used the last sub-answer")
        grounded = bool(short) and bool(_containing(top, short))
        sufficient = bool(short) and (pred.sufficient or grounded or bool(answered))
        if not sufficient:
            return self._result(question, state, INSUFFICIENT, "", [], False, "ok", ranked)
        cited, invalid = [], []
        for m in re.finditer(r"\[(\d+)\]", text):
            n = int(m.group(1))
            (cited if 1 <= n <= len(top) else invalid).append(n)
        if invalid:
            state.trace.emit("fallback", step="answer", node=None,
                             reason=f"removed citations to passages that were not retrieved: {sorted(set(invalid))}")
            text = re.sub(r"\[(\d+)\]", lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(top) else "", text)
        if not text.strip() or len(text) > 600 or norm_text(short) not in norm_text(text):
            # A weak model copied a passage or drifted from its own short answer: state the answer.
            if text.strip():
                state.trace.emit("fallback", step="answer", node=None,
                                 reason="long or inconsistent answer text: stated the short answer")
            kept = sorted(set(cited))[:3]  # invalid markers were removed above
            text = short + "".join(f" [{n}]" for n in kept)
            cited = kept
        if not cited:
            fallback_cites = [number[c] for c in _ids(_containing(top, short))[:1]] or \
                [number[c] for n in answered for c in n.chunk_ids if c in number][:2] or [1]
            cited = fallback_cites
            text = text.rstrip() + " " + "".join(f"[{n}]" for n in cited)
            state.trace.emit("fallback", step="answer", node=None, reason="answer had no citation: cited supporting passages")
        citations = [Citation(n, top[n - 1].chunk_id, top[n - 1].doc_id, top[n - 1].title, top[n - 1].source,
                              top[n - 1].text) for n in sorted(set(cited))]
        return self._result(question, state, text.strip(), short, citations, True, "ok", ranked)

    def _judged_answer(self, state: _RunState, number: dict[str, int], top: list[Hit]):
        """(text, short answer, citations) straight from the judge's verdict, when the question
        stayed one sub-question and the judge answered it from passages it cited; else None."""
        nodes = state.nodes
        if self.settings.synthesize != "auto" or len(nodes) != 1 or not nodes[0].answer:
            return None
        if len(nodes[0].answer.split()) > SHORT_ANSWER_WORDS:
            return None  # a copied sentence rather than an answer: let the answer step phrase it
        cited = sorted({number[c] for c in nodes[0].chunk_ids if c in number})
        if not cited or not _containing([top[n - 1] for n in cited], nodes[0].answer):
            return None  # only an answer that its cited passages state is taken as is
        short = nodes[0].answer
        citations = [Citation(n, top[n - 1].chunk_id, top[n - 1].doc_id, top[n - 1].title, top[n - 1].source,
                              top[n - 1].text) for n in cited]
        return short + " " + "".join(f"[{n}]" for n in cited), short, citations

    def _result(self, question, state, answer, short, citations, sufficient, status, ranked=None) -> AgentResult:
        ranked = ranked if ranked is not None else (state.tools.evidence.ranked() if state.tools else [])
        hits = state.tools.evidence.hits if state.tools else {}
        docs = list(dict.fromkeys(hits[c].doc_id for c in ranked))
        state.trace.emit("answer", answer=answer, short_answer=short, sufficient=sufficient,
                         citations=[{k: v for k, v in asdict(c).items() if k != "text"} for c in citations],
                         evidence=ranked[:50])
        return AgentResult(question, answer, short, citations, ranked, docs, sufficient, status, state.trace)

    # -- accounting -------------------------------------------------------------------------------
    def _tool(self, state: _RunState, tool: str, node: int | None, label: str, **args) -> list[Hit]:
        self._check_cancel(state)
        what = args.get("query") or args.get("entity") or args.get("source") or ""
        state.trace.emit("step", kind="tool", step=tool, node=node, text=f"{tool} {what}".strip())
        return state.tools.call(tool, node, label, **args)

    def _lm_step(self, state: _RunState, step: str, module: dspy.Module, light: bool = False,
                 node: int | None = None, **inputs):
        self._check_cancel(state)
        lm = self.runtime.fast_lm if light and self.runtime.fast_lm is not None else None
        state.trace.emit("step", kind="lm", step=step, node=node,
                         text=f"{step} #{node} with the LM" if node else f"{step} with the LM")
        t0 = time.perf_counter()
        with dspy.context(**({"lm": lm} if lm is not None else {})), dspy.track_usage() as usage:
            pred = module(**inputs)
        seconds = round(time.perf_counter() - t0, 3)
        totals = usage.get_total_tokens() or {self._lm_label(lm): {}}
        for model, u in totals.items():
            prompt, completion = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0)
            state.tokens += prompt + completion
            state.lm_calls += 1
            state.trace.emit("lm_call", step=step, model=model, prompt_tokens=prompt, completion_tokens=completion,
                             seconds=seconds, cached=_was_cached(lm or dspy.settings.lm))
        if getattr(pred, "fallback", None):
            state.trace.emit("fallback", step=step, node=node, reason=pred.fallback)
        return pred

    def _lm_label(self, lm) -> str:
        lm = lm or dspy.settings.lm
        return str(getattr(lm, "model", "unknown"))

    def _over_budget(self, state: _RunState, node: int | None = None) -> bool:
        if state.stopped:
            return True
        s = self.settings
        reason = ""
        if state.tools and state.tools.calls >= s.max_tool_calls:
            reason = "tool_calls"
        elif state.tokens >= s.max_tokens:
            reason = "tokens"
        elif time.perf_counter() - state.started >= s.max_seconds:
            reason = "seconds"
        if reason:
            state.stopped = reason
            state.trace.emit("budget", reason=reason, node=node)
        return bool(reason)

    @staticmethod
    def _check_cancel(state: _RunState) -> None:
        if state.cancel is not None and state.cancel.is_set():
            raise RunCancelled()


def _context_note(history) -> str:
    """Earlier turns of a session, appended to the question for decomposition and answering."""
    turns = [(q, a) for q, a in history if q and a][-3:]
    if not turns:
        return ""
    return "\n(Earlier in this session: " + " ".join(f"Q: {q} A: {a}" for q, a in turns) + ")"


def _containing(hits: list[Hit], answer: str) -> list[Hit]:
    key = norm_text(answer)
    return [h for h in hits if key and key in norm_text(h.text)] if key else []


def _ids(hits: list[Hit]) -> list[str]:
    return [h.chunk_id for h in hits]


def _was_cached(lm) -> bool:
    try:
        from agent.lm import was_cache_hit

        return bool(was_cache_hit(lm))
    except Exception:  # DummyLM and other LMs without our cache
        return False
