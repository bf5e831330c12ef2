"""Answer and evidence metrics for agent evaluation.

Answer metrics follow the official SQuAD v1.1 / HotpotQA evaluation scripts: answers are
lower-cased, stripped of punctuation, of the articles a/an/the and of extra whitespace, then
compared by exact match and token F1 (the maximum over the gold answers). As in HotpotQA, a
yes/no/noanswer prediction earns F1 only when it matches the gold answer exactly.

Questions with `gold_items` (list, compare and explain questions) also get item recall and item
precision over the synthesis's lines (`item_scores`), and every synthesis sentence is checked
against the quotes of the passages it cites (`support_counts`).

Evidence recall is computed with ir-measures (through `agent.eval.retrieval`) from the ranked
evidence chunk ids in a trace's `answer` event, mapped to documents (`doc_id#n` -> `doc_id`)
and scored by their best chunk (MaxP).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from agent.eval.retrieval import per_query_metrics
from agent.synthesis.support import check_support
from agent.trace import Trace

RECALL_KS = (2, 5)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)
_SPECIAL = ("yes", "no", "noanswer")


def normalize_answer(text: str) -> str:
    """SQuAD/HotpotQA normalisation: lower case, no punctuation, no articles, single spaces."""
    text = str(text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _f1_one(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    if (pred in _SPECIAL or ref in _SPECIAL) and pred != ref:
        return 0.0
    pred_tokens, ref_tokens = pred.split(), ref.split()
    common = Counter(pred_tokens) & Counter(ref_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 when the normalised prediction equals any normalised gold answer."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in golds))


def f1_score(prediction: str, golds: Iterable[str]) -> float:
    """Token F1 against the best-matching gold answer (0.0 with no gold answers)."""
    return max((_f1_one(prediction, g) for g in golds), default=0.0)


def chunk_doc(chunk_id: str) -> str:
    """The document id of a chunk id (`doc_id#n`)."""
    return chunk_id.rsplit("#", 1)[0]


def evidence_ranking(chunk_ids: Iterable[str]) -> dict[str, float]:
    """Document scores from ranked chunk ids: a document scores as its best chunk (MaxP)."""
    ranked = list(chunk_ids)
    scores: dict[str, float] = {}
    for rank, cid in enumerate(ranked):
        doc = chunk_doc(cid)
        scores.setdefault(doc, float(len(ranked) - rank))
    return scores


def recall_at(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]],
              ks: Iterable[int] = RECALL_KS) -> dict[str, dict[str, float]]:
    """Per-question recall@k (ir-measures) for the questions in `qrels` that have judgements."""
    judged = {q: docs for q, docs in qrels.items() if docs}
    if not judged:
        return {}
    return per_query_metrics(judged, run, tuple(f"R@{k}" for k in ks))


@dataclass
class QuestionScore:
    """Everything the report needs about one question, computed from its trace alone."""

    qid: str
    question: str
    prediction: str
    gold: list[str]
    em: float
    f1: float
    recall: dict[str, float]
    status: str
    stop: str
    seconds: float
    lm_calls: int
    tool_calls: int
    tokens: int
    hops: int | None
    rounds: int
    subquestions: int
    sufficient: bool
    fallbacks: int
    confidence: float | None = None
    abstained: bool = False
    cited_answer: bool | None = None
    """Whether a cited passage's quoted sentence states the short answer (None: no short answer, or
    a yes/no or choice question, whose answer the question itself states)."""
    shape: str = "factoid"
    """The answer shape the run chose (its `shape` trace event)."""
    item_recall: float | None = None
    """Share of the gold items the synthesis gave (questions with `gold_items` only)."""
    item_precision: float | None = None
    """Share of the synthesis lines that give a gold item."""
    sentences: int = 0
    """Sentences of a synthesis (lines and overview) checked against their cited quotes."""
    supported: int = 0
    """Of those, the ones whose cited quotes support them (`agent.synthesis.support`)."""
    dropped: int = 0
    """Sentences the run dropped because no citation supported them."""
    kind: str = ""
    """The question's kind of document (a QA folder's `kind` field: man, pydoc, ...), if given."""
    answerable: bool = True
    """False when the gold answers are empty: the documents do not hold the answer."""
    refused: bool = False
    """The run gave no short answer: it said the documents do not say (or gave a synthesis)."""
    answer: str = ""
    """The run's whole answer text ("Not in your documents: ..." when it refused)."""

    def row(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k not in ("recall", "gold")}
        out["gold"] = " | ".join(self.gold)
        out.update(self.recall)
        return out


def stop_reason(trace: Trace) -> str:
    """Where and why a run stopped: answered, partial, insufficient, budget:<reason>, cancelled, error."""
    status = trace.status
    if status in ("cancelled", "error", "unfinished"):
        return status
    global_budget = [e.data.get("reason") for e in trace.of_type("budget")
                     if e.data.get("reason") != "rounds"]
    if global_budget:
        return f"budget:{global_budget[0]}"
    if not trace.final.get("sufficient", False):
        return "insufficient"
    nodes = trace.of_type("node_answer")
    if any(e.data.get("status") != "answered" for e in nodes):
        return "partial"
    return "answered"


def _norm_name(text: str) -> str:
    return " " + " ".join(re.sub(r"[^\w&]+", " ", str(text).lower()).split()) + " "


def _is_doc_id(item: str) -> bool:
    return "/" in item and bool(re.search(r"\.\w{2,4}$", item))


def item_matches(text: str, docs: set[str], gold) -> bool:
    """Whether one synthesis line (its text and the documents it cites) gives a gold item: a
    document id matches a citation of that document, a name matches the line's words."""
    alternatives = [gold] if isinstance(gold, str) else list(gold)
    line = _norm_name(text)
    return any(alt in docs if _is_doc_id(alt) else _norm_name(alt) in line for alt in alternatives)


def item_scores(items: list[dict], citations: list[dict], gold_items: list) -> tuple[float, float]:
    """(item recall, item precision) of synthesis `items` ([{text, citations: [n]}]) against
    `gold_items` (names or document ids, each a string or a list of alternatives)."""
    doc_of = {int(c.get("n", 0)): c.get("doc_id", "") for c in citations}
    lines = [(str(it.get("text", "")), {doc_of.get(int(n), "") for n in it.get("citations") or []})
             for it in items]
    if not gold_items:
        return 0.0, 0.0
    found = sum(any(item_matches(t, d, g) for t, d in lines) for g in gold_items)
    right = sum(any(item_matches(t, d, g) for g in gold_items) for t, d in lines)
    return found / len(gold_items), (right / len(lines) if lines else 0.0)


def support_counts(sentences: list[dict], citations: list[dict]) -> tuple[int, int]:
    """(sentences, supported): each sentence ({text, citations}) checked against the quotes of the
    passages it cites, lexically (no embedding similarity: stricter than the run's own check)."""
    by_n = {int(c.get("n", 0)): c for c in citations}
    total = ok = 0
    for s in sentences:
        cited = [by_n[int(n)] for n in s.get("citations") or [] if int(n) in by_n]
        total += 1
        if cited and any(check_support(s.get("text", ""), c.get("quote") or "", title=c.get("title", "")).ok
                         for c in cited):
            ok += 1
        elif len(cited) > 1:
            quotes = " ".join(c.get("quote") or "" for c in cited)
            titles = ". ".join(c.get("title", "") for c in cited)
            ok += check_support(s.get("text", ""), quotes, title=titles).ok
    return total, ok


def score_trace(trace: Trace, golds: list[str], recall: dict[str, float] | None = None,
                hops: int | None = None, gold_items: list | None = None, kind: str = "") -> QuestionScore:
    """Score one finished trace against its gold answers (recall computed separately)."""
    final = trace.final
    end = trace.first("run_end")
    end_data = end.data if end else {}
    prediction = final.get("short_answer") or ""
    rounds_by_node: dict = {}
    for e in trace.of_type("round"):
        node = e.data.get("node")
        rounds_by_node[node] = max(rounds_by_node.get(node, 0), int(e.data.get("round") or 0))
    decomposed = trace.first("decompose")
    score = QuestionScore(
        qid=trace.run_id, question=trace.question, prediction=prediction, gold=list(golds),
        em=exact_match(prediction, golds) if golds else 0.0, f1=f1_score(prediction, golds),
        recall=recall or {}, status=trace.status, stop=stop_reason(trace),
        seconds=float(end_data.get("seconds") or 0.0), lm_calls=int(end_data.get("lm_calls") or 0),
        tool_calls=int(end_data.get("tool_calls") or 0), tokens=int(end_data.get("tokens") or 0), hops=hops,
        rounds=max(rounds_by_node.values(), default=0),
        subquestions=len(decomposed.data.get("nodes") or []) if decomposed else 0,
        sufficient=bool(final.get("sufficient", False)), fallbacks=len(trace.of_type("fallback")),
        confidence=final.get("confidence"), abstained=bool(final.get("abstained", False)),
        cited_answer=_cited(prediction, final.get("citations") or [])
        if final.get("form", "wh") == "wh" else None)
    shape = trace.first("shape")
    score.shape = str(shape.data.get("shape", "factoid")) if shape else "factoid"
    score.kind, score.answerable = str(kind or ""), bool(golds) or bool(gold_items)
    score.refused = not prediction and score.shape == "factoid"
    score.answer = str(final.get("answer") or "")
    synthesis = trace.first("synthesis")
    items = list(synthesis.data.get("items") or []) if synthesis else []
    citations = list(final.get("citations") or [])
    if gold_items:
        score.item_recall, score.item_precision = item_scores(items, citations, gold_items)
    if synthesis:
        overview = synthesis.data.get("overview") or {}
        sentences = items + ([overview] if isinstance(overview, dict) and overview.get("text") else [])
        score.sentences, score.supported = support_counts(sentences, citations)
        score.dropped = len(synthesis.data.get("dropped") or [])
    return score


def _cited(short: str, citations: list[dict]) -> bool | None:
    """Whether one of the citations (its title or quoted sentences) states `short` (yes/no excepted)."""
    key = " ".join(re.sub(r"[^\w]+", " ", short.lower()).split())
    if not key or key in ("yes", "no"):
        return None
    def plain(c: dict) -> str:
        text = f'{c.get("title") or ""} {c.get("context") or ""} {c.get("quote") or ""}'
        return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())

    quotes = [plain(c) for c in citations]
    return any(f" {key} " in f" {q} " for q in quotes)


SELECTIVE_F1 = 0.8
"""An answer counts as right for selective accuracy when its F1 is at least this."""


def selective(scores: list[QuestionScore], threshold: float) -> tuple[float, float]:
    """(coverage, accuracy when answering) at a confidence threshold: an answer is given when it is
    not empty and its confidence is at least `threshold`; it is right when F1 >= SELECTIVE_F1."""
    if not scores:
        return 0.0, 0.0
    given = [s for s in scores if s.prediction and (s.confidence or 0.0) >= threshold]
    right = sum(s.f1 >= SELECTIVE_F1 for s in given)
    return round(len(given) / len(scores), 4), round(right / len(given), 4) if given else 0.0


def score_traces(traces: Iterable[Trace], gold: dict[str, dict]) -> list[QuestionScore]:
    """Score traces whose run id is a question id in `gold` ({qid: {answers, supporting_ids, hops}})."""
    traces = [t for t in traces if t.run_id in gold]
    run = {t.run_id: evidence_ranking(t.final.get("evidence") or []) for t in traces}
    qrels = {t.run_id: {d: 1 for d in gold[t.run_id].get("supporting_ids") or []} for t in traces}
    recalls = recall_at(qrels, run)
    return [score_trace(t, list(gold[t.run_id].get("answers") or []), recalls.get(t.run_id),
                        gold[t.run_id].get("hops"), gold[t.run_id].get("gold_items"),
                        gold[t.run_id].get("kind", "")) for t in traces]
