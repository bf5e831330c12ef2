"""Follow-up questions: a question that refers back to the session is made to stand alone.

"When did he die?" after "Where was Edda Marsh born?" is researched as "When did Edda Marsh die?".
For the embedded model the rewrite is done by code from a spaCy parse: a pronoun ("he", "its",
"that", "there"), "the same ...", or a question without a verb ("What about Ilse Tamm?",
"And when?") takes its words from the previous question's subject or the previous answer.
A capable (non-embedded) LM rewrites the question itself (`Standalone` signature); code is the
fallback when its reply is unusable.

`history` is the session's earlier turns as (question, short answer) pairs, oldest first; the
question of a follow-up turn is its standalone form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import dspy

from agent import signatures as sig
from agent.modules import parse_errors
from agent.outcome import Code
from agent.steps import RunContext

PERSONAL = {"he", "she", "him", "her", "his", "hers"}
NEUTER = {"it", "its"}
PLURAL = {"they", "them", "their", "theirs"}
DEMONSTRATIVE = {"that", "this"}
WH = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how"}
ABOUT = {"what", "how", "and", "about", "so", "then"}
"""The words of an elliptical follow-up around its new subject: "What about X?", "And X?"."""
NOT_ENTITIES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"}
PLACES = {"GPE", "LOC", "FAC"}
CITE = re.compile(r"\s*\[\d+\]")
YES_NO = {"yes", "no"}


@dataclass
class Referent:
    text: str
    person: bool
    place: bool = False
    asked: bool = False
    """The previous answer to "which/what NOUN": it names the thing asked about, the likeliest "it"."""


@dataclass
class Standalone:
    """A question as it is researched: `question` stands alone; `refs` says what was replaced."""

    asked: str
    question: str
    by: str = ""
    """"code" | "lm" | "" (unchanged)."""
    refs: list[str] = field(default_factory=list)

    @property
    def rewritten(self) -> bool:
        return self.question != self.asked


def _clean_answer(answer: str) -> str:
    return CITE.sub("", str(answer or "")).strip().rstrip(".").strip()


def _chunk_text(span) -> str:
    """A noun phrase as it reads inside a sentence ("The Verrin lighthouse" -> "the Verrin lighthouse")."""
    tokens = [t for t in span if t.dep_ != "cc" and t.lower_ not in ("and", "about")]
    if not tokens:
        return ""
    text = span.doc[tokens[0].i: tokens[-1].i + 1].text
    if tokens[0].pos_ == "DET" and tokens[0].text[:1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _person(span) -> bool:
    return any(e.label_ == "PERSON" for e in span.ents) or any(
        e.label_ == "PERSON" and e.start <= span.start < e.end for e in span.doc.ents)


def _nominals(doc) -> list[tuple[Any, int]]:
    """The question's noun phrases with a rank: subjects first, then by position."""
    spans = []
    for chunk in doc.noun_chunks:
        if chunk.root.tag_ in ("PRP", "PRP$", "WP", "WDT") or any(t.lower_ in WH for t in chunk):
            continue
        if chunk.root.ent_type_ in NOT_ENTITIES:
            continue
        rank = 0 if chunk.root.dep_ in ("nsubj", "nsubjpass") else 1
        spans.append((chunk, rank))
    return sorted(spans, key=lambda s: (s[1], s[0].start))


def referents(question: str, answer: str, nlp) -> list[Referent]:
    """What a follow-up may refer to: the previous answer, then the previous question's noun phrases."""
    doc = nlp(question)
    wh = next((t.lower_ for t in doc if t.tag_ in ("WP", "WRB", "WDT", "WP$")), "")
    out: list[Referent] = []
    short = _clean_answer(answer)
    if short and short.lower() not in YES_NO and not re.fullmatch(r"[\d\s,.–-]+", short) and len(short) < 80:
        adoc = nlp(short)
        person = wh in ("who", "whom") or any(e.label_ == "PERSON" for e in adoc.ents)
        place = wh == "where" or any(e.label_ in PLACES for e in adoc.ents)
        asked = any(t.tag_ == "WDT" and t.head.pos_ == "NOUN" for t in doc)
        out.append(Referent(short, person, place and not person, asked=asked and not person))
    for span, _ in _nominals(doc):
        text = _chunk_text(span)
        if text:
            place = span.root.ent_type_ in PLACES
            out.append(Referent(text, _person(span), place))
    return out


def _pick(kind: str, refs: list[Referent]) -> Referent | None:
    if not refs:
        return None
    answer, asked = refs[0], refs[1:]
    if kind == "person":
        people = [r for r in refs if r.person]
        return people[0] if people else next((r for r in asked if r.text[:1].isupper()), None)
    if kind == "place":
        return next((r for r in refs if r.place), None)
    if kind == "thing":
        if answer.asked:  # "Which bridge ...? The Kestrel Bridge." "When did it open?"
            return answer
        things = [r for r in asked if not r.person] + ([answer] if not answer.person else [])
        return things[0] if things else None
    return asked[0] if asked else answer


def _kind(token) -> str:
    word = token.lower_
    if word in PERSONAL and token.tag_ in ("PRP", "PRP$"):
        return "person"
    if word in NEUTER and token.dep_ != "expl":
        return "thing"
    if word in DEMONSTRATIVE and token.tag_ == "DT" and token.dep_ in ("nsubj", "nsubjpass", "dobj",
                                                                        "pobj", "attr"):
        return "thing"
    if word in PLURAL and token.tag_ in ("PRP", "PRP$"):
        return "plural"
    if word == "there" and token.dep_ == "advmod":
        return "place"
    return ""


def _has_antecedent(doc, token, kind: str) -> bool:
    """The question names what the pronoun refers to before it ("When did Ilse Tamm say she ...")."""
    before = doc[: token.i]
    if kind == "person":
        return any(t.tag_ in ("NNP", "NNPS") for t in before)
    return any(t.tag_ in ("NN", "NNS", "NNP", "NNPS") and t.lower_ not in WH for t in before)


def refers_back(question: str, nlp) -> bool:
    """Whether the question needs the session's earlier turns to be understood."""
    doc = nlp(question)
    return bool(_replacements(doc, None)) or _elliptical(doc) is not None


def _replacements(doc, refs: list[Referent] | None) -> dict[int, tuple[int, str, str]]:
    """token index -> (end index, replacement, note); with `refs` None, every referring token maps to ''."""
    out: dict[int, tuple[int, str, str]] = {}
    for token in doc:
        if token.lower_ == "same" and token.i > 0 and doc[token.i - 1].lower_ == "the":
            head = token.head if token.head.i > token.i else token
            ref = refs[0] if refs and not refs[0].person else None
            if refs is None or ref is not None:
                text = ref.text if ref else ""
                out[token.i - 1] = (head.i + 1, text, f"the same → {text}")
            continue
        kind = _kind(token)
        if not kind or _has_antecedent(doc, token, kind):
            continue
        ref = _pick(kind, refs) if refs is not None else Referent("", False)
        if ref is None:
            continue
        text = ref.text
        if token.tag_ == "PRP$" or token.lower_ in ("hers", "theirs") or (token.lower_ == "its"):
            text = f"{text}'s" if text else ""
        elif kind == "place":
            prev = doc[token.i - 1] if token.i else None
            text = text if prev is not None and prev.pos_ == "ADP" else f"in {text}"
        out[token.i] = (token.i + 1, text, f"{token.text} → {ref.text}")
    return out


def _elliptical(doc) -> str | None:
    """A question without a verb: "what about X" / "and X" -> "subject"; "and when?" -> "wh"; else None."""
    if any(t.pos_ in ("VERB", "AUX") for t in doc):
        return None
    words = [t for t in doc if not t.is_punct]
    if not words:
        return None
    if all(t.lower_ in WH or t.lower_ in ABOUT for t in words):
        return "wh" if any(t.lower_ in WH for t in words) else None
    if any(t.tag_ in ("PRP", "PRP$") for t in words):
        return "possessive"
    return "subject" if any(t.pos_ in ("PROPN", "NOUN") for t in words) else None


def _join(doc, replaced: dict[int, tuple[int, str, str]]) -> str:
    parts, i = [], 0
    while i < len(doc):
        token = doc[i]
        if i in replaced:
            end, text, _ = replaced[i]
            if i == 0:
                text = text[:1].upper() + text[1:]
            parts.append(text + doc[end - 1].whitespace_)
            i = end
        else:
            parts.append(token.text_with_ws)
            i += 1
    return "".join(parts).strip()


def rewrite_by_code(question: str, history, nlp) -> Standalone:
    """`question` made to stand alone from the last turn of `history` (unchanged if it needs nothing)."""
    out = Standalone(question, question)
    turns = [(q, a) for q, a in history if q]
    if not turns:
        return out
    prev_q, prev_a = turns[-1]
    doc = nlp(question)
    refs = referents(prev_q, prev_a, nlp)
    ellipsis = _elliptical(doc)
    if ellipsis == "wh":
        wh = next(t.text for t in doc if t.lower_ in WH)
        prev = nlp(prev_q)
        first = next((t for t in prev if t.lower_ in WH), None)
        if first is not None:
            out.question = _join(prev, {first.i: (first.i + 1, wh.lower(), "")})
            out.refs.append(f"{question.strip()} → {prev_q.strip()}")
        out.by = "code" if out.rewritten else ""
        return out
    if ellipsis == "subject":
        new = [c for c, _ in _nominals(doc)]
        old = next((r for r in refs[1:] if r.text in prev_q), None)
        if new and old is not None:
            subject = _chunk_text(new[0])
            out.question = prev_q.replace(old.text, subject, 1).strip()
            out.refs.append(f"{subject} in place of {old.text}")
        out.by = "code" if out.rewritten else ""
        return out
    replaced = _replacements(doc, refs)
    if replaced:
        text = _join(doc, replaced)
        if ellipsis == "possessive":  # "And his birthplace?" -> "What is Edda Marsh's birthplace?"
            text = "What is " + re.sub(r"^(?:and|so|then|what about|how about)\s+", "", text, flags=re.I)
            text = text.rstrip("?").rstrip() + "?"
        out.question = text
        out.refs = [note for _, _, note in replaced.values()]
    out.by = "code" if out.rewritten else ""
    return out


def conversation(history, turns: int = 3) -> str:
    """The last turns of a session as the LM reads them."""
    turns_ = [(q, a) for q, a in history if q][-turns:]
    return "\n".join(f"Q: {q}\nA: {_clean_answer(a) or '(no answer)'}" for q, a in turns_)


class FollowupModule(dspy.Module):
    """A capable LM rewrites a follow-up into a standalone question; None when its reply is unusable."""

    def __init__(self):
        super().__init__()
        self.predict = dspy.Predict(sig.Standalone, max_tokens=80)

    def forward(self, question: str, conversation: str) -> dspy.Prediction:
        try:
            pred = self.predict(conversation=conversation, question=question)
        except parse_errors() as exc:
            return dspy.Prediction(question=None, reason=f"unparseable rewrite ({exc.__class__.__name__})")
        text = " ".join(str(pred.standalone_question or "").split())
        if not text or len(text) > 3 * len(question) + 80 or "\n" in text:
            return dspy.Prediction(question=None, reason="the LM's rewrite was empty or not one question")
        return dspy.Prediction(question=text, reason="")


def standalone(agent, question: str, history, ctx: RunContext) -> Standalone:
    """The question `agent` researches for `question` asked after `history` (emits a `followup` event)."""
    turns = [(q, a) for q, a in history if q]
    nlp = ctx.nlp()
    if not turns or not refers_back(question, nlp):
        return Standalone(question, question)
    out = None
    if not ctx.runtime.embedded:
        pred = ctx.lm_step("followup", agent.followup, question=question, conversation=conversation(turns))
        if pred.question:
            out = Standalone(question, pred.question, "lm")
        else:
            ctx.trace.emit("fallback", step="followup", node=None, code=Code.FOLLOWUP_BY_CODE,
                             reason=f"{pred.reason}: rewritten by code")
    if out is None:
        out = rewrite_by_code(question, turns, nlp)
    if out.rewritten:
        ctx.trace.emit("followup", question=question, standalone=out.question, by=out.by, refs=out.refs)
    return out
