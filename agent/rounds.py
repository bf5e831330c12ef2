"""One round of the research loop: the searches of a (sub-)question, fused, and one narrow read.

The research loop (`agent/research.py`) decides which question to research and when to stop; this
module runs what a round does, through the run's `RunContext`: the first retriever of a run,
the searches of a sub-question (built by code, no LM call), one round of them fused by reciprocal
rank with the title links of the best passages followed, and the reading of the sentences that
bear on the question (`agent.reading`).
"""

from __future__ import annotations

import re

import dspy

from agent.modules import Node, keywords_of, norm_text
from agent.outcome import Code
from agent.reading.evidence import Sentence
from agent.reading.question import QuestionInfo
from agent.reading.result import Reading
from agent.steps import RunContext
from tools.fusion import rrf
from tools.types import Hit

LINK_SOURCES = 3
"""How many top passages of a search have their title links followed."""
FIRST_TOOL = {"bm25": "bm25_search", "dense": "dense_search", "hybrid": "hybrid_search",
              "graph": "graph_search", "hybrid+graph": "hybrid_graph_search"}


def first_tool(ctx: RunContext) -> str:
    """The tool of a run's first search: `agent.retriever`, hybrid when it needs a graph the index lacks."""
    name = ctx.settings.retriever
    if name == "auto":
        name = "hybrid+graph" if ctx.tools.has_graph else "hybrid"
    if name in ("graph", "hybrid+graph") and not ctx.tools.has_graph:
        ctx.trace.emit("fallback", step="search", node=None, code=Code.SEARCH_NO_GRAPH,
                       reason=f"retriever {name!r} needs the knowledge graph: used hybrid")
        name = "hybrid"
    return FIRST_TOOL.get(name, "hybrid_search")


def node_queries(node: Node, info: QuestionInfo, ctx: RunContext) -> list[tuple[str, str]]:
    """First-round searches for a sub-question: built by code, no LM call."""
    queries = [("hybrid_search", node.resolved)]
    if ctx.tools.has_graph:
        queries.append(("graph_search", node.resolved))
    keywords = keywords_of(node.resolved)
    if norm_text(keywords) != norm_text(node.resolved):
        queries.append(("bm25_search", keywords))
    for subject in info.options or info.subjects:  # "Which is older, A or B?": evidence about each
        queries.append(("hybrid_search", f"{subject} {keywords}"))
    for dep in node.depends_on:
        if ctx.nodes[dep - 1].answer and ctx.tools.has_graph:
            queries.append(("neighbors", ctx.nodes[dep - 1].answer))
    return queries


def search_round(node: Node, ctx: RunContext, label: str, queries, rankings: list[list[Hit]],
                 read: set[str], first: bool) -> list[Hit]:
    """Run one round's searches; the passages to read, the ones not read yet first."""
    s = ctx.settings
    for tool, query in queries:
        if ctx.over_budget(node.id):
            break
        args = {"entity": query} if tool == "neighbors" else {"query": query}
        rankings.append(ctx.tool(tool, node.id, label, **args, k=s.k + len(read)))
    fused = rrf([r for r in rankings if r], k=ctx.rrf_k(), name=label)
    if fused and first and not ctx.over_budget(node.id):
        rankings.append(ctx.tool("follow_links", node.id, label, query=node.resolved,
                                 chunk_ids=[h.chunk_id for h in fused[:LINK_SOURCES]], k=s.k))
        fused = rrf([r for r in rankings if r], k=ctx.rrf_k(), name=label)
    pool = [h for h in fused if h.chunk_id not in read] + [h for h in fused if h.chunk_id in read]
    return pool[:s.read_passages]


def read_hits(ctx: RunContext, reader: dspy.Module, node: int | None, question: str, info: QuestionInfo,
              hits: list[Hit], exclude=(), follow: int = 0) -> Reading:
    """Choose the sentences of `hits` that bear on `question` and ask `reader` about them;
    `follow` places go to the passages the best sentences name (a question read whole, whose
    next hop no query tree takes)."""
    ctx.check_cancel()
    names = info.options or info.subjects
    ctx.trace.emit("step", kind="embed", step="select", node=node, text="choosing evidence sentences")
    if names:  # each option gets its own best sentences, so neither side goes unread
        sentences: list[Sentence] = []
        for subject in names:
            about = [h for h in hits if norm_text(subject) in norm_text(f"{h.title} {h.text}")] or hits
            sentences += ctx.ranker.select(question, about, limit=2, per_passage=1)
        sentences = list({x.text: x for x in sentences}.values())
    else:
        sentences = ctx.ranker.select(question, hits, limit=ctx.settings.read_sentences, per_passage=2,
                                      follow=follow)
    reading = ctx.lm_step("read", reader, light=True, node=node, question=question,
                          info=info, sentences=sentences, nlp=ctx.nlp(), exclude=exclude)
    ctx.trace.emit("read", node=node, question=question, answer_type=info.answer_type,
                   sentences=[{"chunk_id": x.chunk_id, "text": x.text, "score": x.score}
                              for x in sentences],
                   candidates=[{"text": c.text, "score": c.score} for c in reading.candidates],
                   raw=reading.raw, answer=reading.answer, method=reading.method,
                   confidence=reading.confidence)
    for v in reading.checks:
        if not v.ok:
            ctx.trace.emit("check", node=node, target=reading.raw, **v.as_dict())
    return reading


def resolve(node: Node, nodes: list[Node]) -> str:
    """The node's text with each `#n` replaced by that node's answer (or its own text)."""

    def sub(m: re.Match) -> str:
        dep = nodes[int(m.group(1)) - 1]
        return dep.answer or f"({dep.resolved or dep.text})"

    return re.sub(r"#(\d+)", lambda m: sub(m) if 0 < int(m.group(1)) < node.id else m.group(0), node.text)


def ranking_labels(ctx: RunContext) -> list[str]:
    """Evidence rankings in the order they lead the final evidence list."""
    return ["question", "links"] + [f"node{n.id}" for n in ctx.nodes] + ["paths"]


def as_dicts(queries: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"tool": t, "query": q} for t, q in queries]
