"""The agent's stages, each a `dspy.Module` with a deterministic fallback for weak models.

Each predictor caps its reply length: the outputs are short fields, and a small model that
starts repeating itself would otherwise spend the whole token budget.

A stage never raises on a bad LM reply: it returns what it could use and names the fallback
it took as an `agent.outcome.Fallback` (None when the LM's output was used as is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dspy
from dspy.utils.exceptions import AdapterParseError

from agent import signatures as sig
from agent.lm.errors import LMOutputError
from agent.outcome import Code, Fallback

REF = re.compile(r"#(\d+)")
STOP = set("""a an the of in on at to for from by with and or is are was were be been who whom whose what
which when where why how did does do that this these those it its as into than then there their his her he she
they""".split())


def parse_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the LM replied, but not in a usable form' (and nothing else: a
    programming error such as a renamed field must surface, not become a fallback)."""
    return (AdapterParseError, LMOutputError)


def unparseable(what: str, exc: BaseException) -> Fallback:
    """The fallback of a step whose reply did not parse."""
    return Fallback(Code.REPLY_UNPARSEABLE, f"unparseable {what} ({exc.__class__.__name__})")


def cut_off(what: str) -> Fallback:
    """The fallback of a step whose cut-off reply the adapter salvaged."""
    return Fallback(Code.REPLY_CUT_OFF, f"cut-off {what}: read the fields that were complete")


def norm_text(text: str) -> str:
    return " ".join(re.sub(r"[^\w#]+", " ", text.lower()).split())


def keywords_of(text: str, limit: int = 10) -> str:
    words = [w for w in re.findall(r"[\w'-]+", text) if w.lower() not in STOP]
    return " ".join(words[:limit]) or text


@dataclass
class Node:
    """One sub-question of the query tree."""

    id: int
    text: str
    depends_on: list[int] = field(default_factory=list)
    resolved: str = ""
    answer: str = ""
    chunk_ids: list[str] = field(default_factory=list)
    status: str = "open"
    confidence: float = 0.0
    method: str = ""
    """How the reader found `answer` (free, option, yesno, choice, candidate)."""
    quotes: list = field(default_factory=list)
    """The evidence sentences (`agent.reading.evidence.Sentence`) that state `answer`."""
    read: list = field(default_factory=list)
    """The sentences the reader was shown when it found `answer`."""

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "depends_on": self.depends_on}


class DecomposeModule(dspy.Module):
    def __init__(self, max_nodes: int = 4):
        super().__init__()
        self.max_nodes = max_nodes
        self.predict = dspy.Predict(sig.Decompose, max_tokens=100)

    def forward(self, question: str) -> dspy.Prediction:
        try:
            pred = self.predict(question=question)
        except parse_errors() as exc:
            return dspy.Prediction(nodes=[Node(1, question)],
                                   fallback=unparseable("decomposition", exc))
        out = clean_decomposition(question, pred.sub_questions, self.max_nodes)
        if out["fallback"] is None and pred.get("salvaged"):
            out["fallback"] = cut_off("decomposition")
        return dspy.Prediction(**out)


def clean_decomposition(question: str, subs, max_nodes: int) -> dict:
    """Turn the LM's list into nodes with dependencies, or fall back to the question itself."""
    if isinstance(subs, str):
        subs = [s for s in re.split(r"\n+|(?<=\?)\s+", subs) if s.strip()]
    subs = [re.sub(r"^\s*(\d+[.)]|[-*])\s*", "", str(s)).strip() for s in (subs or [])]
    subs = [s for s in subs if len(s) > 3]
    if not subs:
        return {"nodes": [Node(1, question)], "fallback": Fallback(Code.PLAN_EMPTY, "empty decomposition")}
    echo = norm_text(question)
    unique: list[str] = []
    seen: set[str] = set()
    for s in subs:
        key = norm_text(REF.sub("", s))
        if key and key not in seen and echo not in key:  # drop repeats and echoes of the question
            seen.add(key)
            unique.append(s)
    if not unique:
        echoed = Fallback(Code.PLAN_ECHO, "decomposition only echoed the question")
        return {"nodes": [Node(1, question)], "fallback": echoed}
    unique = unique[:max_nodes]
    if len(unique) == 1 and norm_text(unique[0]) != norm_text(question):
        # One rewritten sub-question: keep the user's own words as the node.
        return {"nodes": [Node(1, question)], "fallback": None}
    if all(norm_text(s) == norm_text(question) for s in unique):
        return {"nodes": [Node(1, question)], "fallback": None}
    nodes = []
    for i, text in enumerate(unique, 1):
        deps = sorted({int(d) for d in REF.findall(text) if 0 < int(d) < i})
        bad = [d for d in REF.findall(text) if not 0 < int(d) < i]
        if bad:  # a reference to itself or a later node cannot be resolved
            text = REF.sub(lambda m, bad=bad: "it" if m.group(1) in bad else m.group(0), text)
        nodes.append(Node(i, text, deps))
    return {"nodes": nodes, "fallback": None}


class RewriteModule(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.Rewrite, max_tokens=110)

    def forward(self, question: str) -> dspy.Prediction:
        fallback = None
        keywords, passage, paraphrases = "", "", []
        try:
            pred = self.predict(question=question)
            keywords, passage = str(pred.keywords or ""), str(pred.hypothetical_passage or "")
            paraphrases = [str(pred.paraphrase)] if str(pred.paraphrase or "").strip() else []
            fallback = cut_off("rewrite") if pred.get("salvaged") else None
        except parse_errors() as exc:
            fallback = unparseable("rewrite", exc)
        if not keywords.strip() or norm_text(keywords) == norm_text(question):
            keywords = keywords_of(question)
            fallback = fallback or Fallback(Code.KEYWORDS_DEGENERATE, "degenerate keywords")
        if len(passage.split()) < 4 or norm_text(passage) == norm_text(question):
            passage = ""
        queries = [("hybrid_search", question), ("bm25_search", keywords)]
        if passage:
            queries.append(("dense_search", passage))
        seen = {norm_text(question)}
        for p in paraphrases[:2]:
            if norm_text(p) not in seen:
                seen.add(norm_text(p))
                queries.append(("dense_search", p))
        return dspy.Prediction(queries=queries, fallback=fallback)


class AnswerModule(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.Answer, max_tokens=140)

    def forward(self, question: str, notes: str, passages: str) -> dspy.Prediction:
        try:
            pred = self.predict(question=question, notes=notes, passages=passages)
        except parse_errors() as exc:
            return dspy.Prediction(short_answer="", answer="", sufficient=False,
                                   fallback=unparseable("answer", exc))
        return dspy.Prediction(short_answer=clean_short(str(pred.short_answer or "")),
                               answer=str(pred.answer or "").strip(), sufficient=bool(pred.sufficient),
                               fallback=cut_off("answer") if pred.get("salvaged") else None)


class ClosedBookModule(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.ClosedBook, max_tokens=160)

    def forward(self, question: str) -> dspy.Prediction:
        try:
            pred = self.predict(question=question)
        except parse_errors() as exc:
            return dspy.Prediction(short_answer="", answer="",
                                   fallback=unparseable("answer", exc))
        return dspy.Prediction(short_answer=clean_short(str(pred.short_answer or "")),
                               answer=str(pred.answer or "").strip(), fallback=None)


def clean_short(text: str) -> str:
    text = re.sub(r"\[\d+\]", "", text).strip().strip('"\'').strip()
    return text.rstrip(".").strip()
