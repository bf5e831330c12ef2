"""The agent's stages, each a `dspy.Module` with a deterministic fallback for weak models.

Each predictor caps its reply length: the outputs are short fields, and a small model that
starts repeating itself would otherwise spend the whole token budget.

A stage never raises on a bad LM reply: it returns what it could use and names the fallback
it took (`fallback` is None when the LM's output was used as is).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import dspy

from agent import signatures as sig

REF = re.compile(r"#(\d+)")
STOP = set("""a an the of in on at to for from by with and or is are was were be been who whom whose what which
when where why how did does do that this these those it its as into than then there their his her he she they""".split())


def parse_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the LM replied, but not in a usable form'."""
    from dspy.utils.exceptions import AdapterParseError

    errors: list[type[BaseException]] = [AdapterParseError, ValueError, TypeError, KeyError]
    try:
        from agent.lm import LMOutputError

        errors.append(LMOutputError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def salvage(exc: BaseException) -> dict:
    """Fields that can still be read from a reply that did not parse (e.g. one cut off by the
    token cap): quoted strings, booleans and integer lists, by field name."""
    raw = str(getattr(exc, "lm_response", "") or "")
    out: dict = {}
    for name, value in re.findall(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)"', raw):
        out.setdefault(name, value)
    for name, value in re.findall(r'"(\w+)"\s*:\s*(true|false)', raw):
        out.setdefault(name, value == "true")
    for name, value in re.findall(r'"(\w+)"\s*:\s*\[([\d,\s]*)\]', raw):
        out.setdefault(name, [int(v) for v in re.findall(r"\d+", value)])
    return out


def salvage_list(exc: BaseException, name: str) -> list[str]:
    """The complete strings of the list field `name` in a reply that did not parse."""
    raw = str(getattr(exc, "lm_response", "") or "")
    m = re.search(rf'"{name}"\s*:\s*\[(.*)', raw, re.S)
    if not m:
        return []
    body = m.group(1).split("]", 1)[0] if '"]' in m.group(1) else m.group(1)
    out = []
    for value in re.findall(r'"((?:[^"\\]|\\.)*)"', body):
        try:
            out.append(json.loads(f'"{value}"'))
        except ValueError:
            out.append(value)
    return out


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
    quotes: list = field(default_factory=list)
    """The evidence sentences (`agent.reading.evidence.Sentence`) that state `answer`."""

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "depends_on": self.depends_on}


class DecomposeModule(dspy.Module):
    def __init__(self, max_nodes: int = 4):
        super().__init__()
        self.max_nodes = max_nodes
        self.predict = dspy.Predict(sig.Decompose, max_tokens=100)

    def forward(self, question: str) -> dspy.Prediction:
        try:
            subs = self.predict(question=question).sub_questions
        except parse_errors() as exc:
            subs = salvage_list(exc, "sub_questions")  # the complete items of a reply cut off by the cap
            if not subs:
                return dspy.Prediction(nodes=[Node(1, question)],
                                       fallback=f"unparseable decomposition ({exc.__class__.__name__})")
        return dspy.Prediction(**clean_decomposition(question, subs, self.max_nodes))


def clean_decomposition(question: str, subs, max_nodes: int) -> dict:
    """Turn the LM's list into nodes with dependencies, or fall back to the question itself."""
    if isinstance(subs, str):
        subs = [s for s in re.split(r"\n+|(?<=\?)\s+", subs) if s.strip()]
    subs = [re.sub(r"^\s*(\d+[.)]|[-*])\s*", "", str(s)).strip() for s in (subs or [])]
    subs = [s for s in subs if len(s) > 3]
    if not subs:
        return {"nodes": [Node(1, question)], "fallback": "empty decomposition"}
    echo = norm_text(question)
    unique: list[str] = []
    seen: set[str] = set()
    for s in subs:
        key = norm_text(REF.sub("", s))
        if key and key not in seen and echo not in key:  # drop repeats and echoes of the question
            seen.add(key)
            unique.append(s)
    if not unique:
        return {"nodes": [Node(1, question)], "fallback": "decomposition only echoed the question"}
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
            text = REF.sub(lambda m: "it" if m.group(1) in bad else m.group(0), text)
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
        except parse_errors() as exc:
            got = salvage(exc)  # a reply cut off by the cap still has its first fields
            keywords, passage = str(got.get("keywords", "")), str(got.get("hypothetical_passage", ""))
            fallback = f"unparseable rewrite ({exc.__class__.__name__})" + (
                ": read the fields that were complete" if got else "")
        if not keywords.strip() or norm_text(keywords) == norm_text(question):
            keywords, fallback = keywords_of(question), fallback or "degenerate keywords"
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


class JudgeModule(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.Judge, max_tokens=120)

    def forward(self, question: str, passages: str, n_passages: int) -> dspy.Prediction:
        try:
            pred = self.predict(question=question, passages=passages)
            fallback = None
        except parse_errors() as exc:
            got = salvage(exc)
            fallback = f"unparseable verdict ({exc.__class__.__name__})"
            if "answerable" not in got:
                return dspy.Prediction(answerable=False, answer="", support=[], missing="", next_query="",
                                       fallback=fallback)
            pred = dspy.Prediction(**{k: got.get(k, d) for k, d in (("answerable", False), ("answer", ""),
                                      ("support", []), ("missing", ""), ("next_query", ""))})
            fallback += ": read the fields that were complete"
        support = []
        for s in pred.support or []:
            try:
                n = int(s)
            except (TypeError, ValueError):
                continue
            if 1 <= n <= n_passages:
                support.append(n)
            else:
                fallback = f"invented passage number {s}"
        answer = str(pred.answer or "").strip()
        answerable = bool(pred.answerable) and bool(answer) and norm_text(answer) != norm_text(question)
        if bool(pred.answerable) and not answerable:
            fallback = fallback or "answerable without an answer"
        next_query = str(pred.next_query or "").strip()
        if norm_text(next_query) == norm_text(question):
            next_query = ""
        return dspy.Prediction(answerable=answerable, answer=answer if answerable else "", support=support,
                               missing=str(pred.missing or ""), next_query=next_query, fallback=fallback)


class AnswerModule(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.Answer, max_tokens=140)

    def forward(self, question: str, notes: str, passages: str) -> dspy.Prediction:
        try:
            pred = self.predict(question=question, notes=notes, passages=passages)
        except parse_errors() as exc:
            got = salvage(exc)
            reason = f"unparseable answer ({exc.__class__.__name__})"
            if got.get("short_answer"):
                reason += ": kept the short answer"
            return dspy.Prediction(short_answer=clean_short(str(got.get("short_answer", ""))), answer="",
                                   sufficient=bool(got.get("sufficient", False)), fallback=reason)
        return dspy.Prediction(short_answer=clean_short(str(pred.short_answer or "")),
                               answer=str(pred.answer or "").strip(), sufficient=bool(pred.sufficient), fallback=None)


class ClosedBookModule(dspy.Module):
    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.ClosedBook, max_tokens=160)

    def forward(self, question: str) -> dspy.Prediction:
        try:
            pred = self.predict(question=question)
        except parse_errors() as exc:
            return dspy.Prediction(short_answer="", answer="", fallback=f"unparseable answer ({exc.__class__.__name__})")
        return dspy.Prediction(short_answer=clean_short(str(pred.short_answer or "")),
                               answer=str(pred.answer or "").strip(), fallback=None)


_CHOICE = re.compile(r"\b(or|either|which of|between|both|same|compare[sd]?)\b", re.I)


def echoes_question(answer: str, question: str) -> bool:
    """True when `answer` only repeats a name the question already gives ("Which company built
    the ship the Heron Regatta is named after?" -> "The Heron Regatta"): a small model's
    commonest wrong answer to a multi-hop question. Questions that offer a choice ("A or B",
    "which of", "both") are exempt, since their answer is meant to be one of their own words."""
    key = norm_text(re.sub(r"^(the|a|an)\s+", "", answer.strip(), flags=re.I))
    if not key or _CHOICE.search(question):
        return False
    return f" {key} " in f" {norm_text(question)} "


def clean_short(text: str) -> str:
    text = re.sub(r"\[\d+\]", "", text).strip().strip('"\'').strip()
    return text.rstrip(".").strip()
