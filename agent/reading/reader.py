"""The reader: one narrow question to the LM over a few chosen sentences, then code decides.

1. The LM is asked for a short answer copied from the numbered sentences (plain text, one output).
2. Code checks it (`agent.reading.checks`): a span of the evidence, of the expected type, not a
   name the question already gives, not an injected instruction.
3. If it fails, the answer is chosen instead: among the question's own options (choice and yes/no
   questions) or among the candidate spans of the sentences (`agent.reading.candidates`). The
   embedded model *scores* them: each option's log-probability as its whole reply to the same
   prompt (`agent.lm.scoring`, llama.cpp logits; nothing is generated). An LM that gives no
   scores makes a grammar-constrained choice (a `Literal` field the JSON adapter turns into an enum).
4. The answer is snapped to the exact characters of the sentence that states it, and carries a
   confidence built from how it was found and how well its sentence matches the question
   (`agent.reading.result`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Literal

import dspy

from agent import signatures as sig
from agent.lm.deadline import time_left
from agent.modules import parse_errors, unparseable
from agent.outcome import Code, Fallback
from agent.reading import predicate
from agent.reading.adapter import PlainAdapter, reply_scores
from agent.reading.anchor import anchored
from agent.reading.candidates import candidates, from_reply, grammar_safe
from agent.reading.checks import answer_checks, failed, find_span, match_option, normalize
from agent.reading.compare import by_years, life_year, own_life_year, times
from agent.reading.evidence import Sentence, leads_to, render
from agent.reading.question import QuestionInfo, analyse, subjects, wh_head
from agent.reading.result import BASE_CONFIDENCE, STRONG_MATCH, Reading, confidence, picked, trim

log = logging.getLogger(__name__)

MIN_SCORING_SECONDS = 3.0
"""Scoring is not started with less of the run's time budget (`agent.max_seconds`) left."""
NARROW_MARGIN = 0.2
"""A checked reply whose sentence scores this much below the best ones is asked again over those
alone: the small model is drawn to a weak sentence that repeats the question's words ("was born
in a large city" for "born in which city?", beside "She was born in Ashby")."""
ALONE_SENTENCES = 2
"""After a refused reply, this many of the best sentences are read one at a time before the
candidate spans are scored."""


class ReaderModule(dspy.Module):
    """Reads one (sub-)question over numbered sentences; see the module docstring."""

    def __init__(self):
        super().__init__()
        self.extract = dspy.Predict(sig.ReadAnswer, max_tokens=24)
        self.choose = dspy.Predict(sig.ChooseAnswer, max_tokens=24)

    def forward(
        self,
        question: str,
        info: QuestionInfo,
        sentences: Sequence[Sentence],
        nlp=None,
        exclude: Sequence[str] = (),
    ) -> Reading:
        """`exclude`: answers already refused for this question (they are not chosen again)."""
        reading = self._forward(question, info, list(sentences), nlp, exclude)
        reading.read = list(sentences)
        return reading

    def _forward(self, question, info, sentences, nlp, exclude) -> Reading:
        if not sentences:
            return Reading(method="none",
                           fallback=Fallback(Code.READ_NO_SENTENCES, "no evidence sentences to read"))
        passages = render(sentences)
        raw, fallback = self._ask(passages, question)
        texts = [s.render() for s in sentences]
        if info.form == "yesno":
            return self._yes_no(raw, passages, question, info, sentences, fallback)
        if info.form == "choice":
            return self._option(raw, passages, question, info, sentences, fallback, nlp)
        lived = life_year(question, sentences) if info.answer_type == "year" else None
        if lived is not None and normalize(raw) != lived[0]:  # "X (1824–1899) was ...": code reads it
            return Reading(lived[0], lived[1], BASE_CONFIDENCE["years"], "years", raw, [], fallback=fallback)
        counted = times(question, sentences) if info.answer_type == "number" else None
        if counted is not None and normalize(counted[0]) not in normalize(raw):  # "twice", "two-time"
            return Reading(counted[0], counted[1], BASE_CONFIDENCE["times"], "times", raw, [],
                           fallback=Fallback(Code.READ_COUNTED, f"reply {raw!r} is no count of times; "
                                             f"the evidence states {counted[0]!r}"))
        verdicts = answer_checks(raw, info, texts)
        refused = {normalize(x) for x in exclude}
        if not failed(verdicts) and normalize(raw) not in refused:
            span = find_span(raw, texts)
            sentence = sentences[span.index]
            born = own_life_year(question, span.text, sentence) if info.answer_type == "year" else None
            if born is not None:  # "elected in 1993" for "born?": the passage's life span says
                return Reading(born, sentence, BASE_CONFIDENCE["years"], "years", raw, verdicts,
                               fallback=Fallback(Code.READ_LIFE_SPAN, f"reply {raw!r} dates another event: "
                                                 f"its life span gives {born!r}"))
            second = self._reconsider(question, info, sentences, sentence, span.text, refused, nlp)
            if second is not None:  # other sentences, read alone, answer otherwise
                raw2, sentence, text, why = second
                return Reading(trim(text, sentence), sentence, confidence("free", sentence, sentences),
                               "free", raw, verdicts, fallback=Fallback(
                                   Code.READ_RECONSIDERED, f"reply {raw!r} came from {why}: "
                                   f"the better sentences, read alone, say {raw2!r}"))
            return Reading(
                trim(span.text, sentence),
                sentence,
                confidence("free", sentence, sentences),
                "free",
                raw,
                verdicts,
                fallback=fallback,
            )
        part = from_reply(raw, info, texts)
        if part and normalize(part) not in refused:  # a part of the reply is an answer
            span = find_span(part, texts)
            sentence = sentences[span.index]
            return Reading(trim(span.text, sentence), sentence, confidence("part", sentence, sentences),
                           "part", raw, verdicts,
                           fallback=Fallback(Code.READ_PART, f"reply {raw!r} cut to {part!r}"))
        alone = self._alone(question, info, sentences, refused | {normalize(raw)})
        if alone is not None:  # one of the best sentences, read by itself, answers
            raw2, sentence, text = alone
            return Reading(trim(text, sentence), sentence, confidence("alone", sentence, sentences),
                           "alone", raw, verdicts, fallback=Fallback(
                               Code.READ_REFUSED_ALONE, f"reply {raw!r} refused "
                               f"({'; '.join(v.reason for v in failed(verdicts)) or 'answered before'}): "
                               f"the sentence {sentence.chunk_id!r}, read alone, says {raw2!r}"))
        return self._spans(raw, passages, question, info, sentences, nlp, verdicts, refused)

    def _spans(self, raw, passages, question, info, sentences, nlp, verdicts, refused) -> Reading:
        """The reply failed a check: choose among the spans that could answer instead."""
        cands = (
            [c for c in candidates(info, sentences, nlp) if normalize(c.text) not in refused] if nlp else []
        )
        reason = "; ".join(v.reason for v in failed(verdicts)) or "answer refused before"
        if not cands:
            return Reading(
                method="none",
                raw=raw,
                checks=verdicts,
                fallback=Fallback(Code.READ_REFUSED_NO_SPAN,
                                  f"reply {raw!r} refused ({reason}) and no candidate span fits"),
            )
        echoed = any(v.code == "answer.echoes_question" for v in failed(verdicts))
        near = next(
            (
                c
                for c in cands
                if normalize(raw) and not echoed  # a span around an echo of the question is one too
                and (normalize(c.text) in normalize(raw) or normalize(raw) in normalize(c.text))
            ),
            None,
        )
        if near is not None:
            chosen, method = near, "candidate"
        elif len(cands) == 1:
            chosen, method = cands[0], "candidate"
        else:
            choice, method = self._choose(passages, question, [c.text for c in cands])
            chosen = next((c for c in cands if c.text == choice), cands[0])
            method = method if choice else "candidate"
        sentence = sentences[chosen.sentence]
        conf = confidence(method, sentence, sentences) + (0.08 if chosen is cands[0] else 0.0)
        return Reading(
            trim(chosen.text, sentence),
            sentence,
            round(min(conf, 1.0), 3),
            method,
            raw,
            verdicts,
            cands,
            fallback=Fallback(Code.READ_REFUSED_CHOSE, f"reply {raw!r} refused ({reason}): "
                              f"chose {chosen.text!r} among {len(cands)} spans"),
        )

    def _reconsider(self, question: str, info: QuestionInfo, sentences: list[Sentence], sentence: Sentence,
                    span: str, refused: set[str], nlp) -> tuple[str, Sentence, str, str] | None:
        """The name its own sentence gives the asked-for kind when the reply is not that name
        (`_named_kind`). Else a checked reply read again over other sentences, unless some sentence
        calls it what the question asks for (`wh_head`: "X is an American actress"; a sentence's
        context counts): over the sentences about the question's subjects when its own sentence is
        about none of them (`agent.reading.anchor`) and matches the question less than STRONG_MATCH
        (a sentence that close is about the question whatever it names: "a song written by J. after
        a fair in Ashby" for "a fair in the Wold District"); else over the better matching ones
        (`_narrow`). (reply, sentence, span, why) when the second reply passes every check, else
        None."""
        head = wh_head(question, nlp) if info.answer_type in ("person", "place", "thing") else ""
        key = normalize(span)
        # "which group": the "... Group" the sentence names (a person's name never ends in its
        # kind: "Best Actress" is an award)
        named = _named_kind(head, sentence.text, key) if info.answer_type != "person" else ""
        if (named and normalize(named) not in refused
                and not failed(answer_checks(named, info, [sentence.render()]))):
            return named, sentence, named, f"a sentence that names the {head} {named!r}"
        if head and any(key in normalize(s.render()) and re.search(rf"\b{re.escape(head)}",
                                                                   normalize(s.render()).replace(key, " "))
                        for s in sentences):
            return None
        names = subjects(question, nlp) if nlp is not None and sentence.score < STRONG_MATCH else []
        about = anchored(sentences, names)
        own = next(i for i, s in enumerate(sentences) if s is sentence)
        if names and not about[own] and any(about):
            found = self._checked(question, info, [s for s, a in zip(sentences, about, strict=True) if a],
                                  refused)
            if found is not None:
                return *found, f"a passage about none of {names}"
        found = self._narrow(question, info, sentences, sentence, head, refused)
        return (*found, "a weak sentence") if found is not None else None

    def _narrow(self, question: str, info: QuestionInfo, sentences: list[Sentence], sentence: Sentence,
                head: str, refused: set[str]) -> tuple[str, Sentence, str] | None:
        """Ask again over the sentences that match the question NARROW_MARGIN better than the
        reply's own or call something a `head` ('the series "Blue Harbour"'), leaving out those that
        lead to the reply's passage (`agent.reading.evidence.leads_to`: a bridge into it); not at
        all when a better sentence is such a bridge (the reply is its next hop, read there on
        purpose: `SentenceRanker.select(follow=)`). Names
        only: for a year or a number, the sentence that repeats the question's verb is the one
        that counts. (reply, its sentence, its span) when that reply passes every check, else None."""
        if info.answer_type not in ("person", "place", "thing"):
            return None  # a year or a number: the sentence that states the question's verb holds it
        if any(leads_to(s, sentence) for s in sentences if s.score > sentence.score):
            return None  # a better sentence names the reply's passage: the reply is its next hop
        better = [s for s in sentences if s is not sentence and not leads_to(s, sentence)
                  and (s.score - sentence.score >= NARROW_MARGIN or (head and _names_a(head, s.text)))]
        return self._checked(question, info, better, refused) if better else None

    def _alone(self, question: str, info: QuestionInfo, sentences: list[Sentence],
               refused: set[str]) -> tuple[str, Sentence, str] | None:
        """After a refused reply, ask again over each of the best ALONE_SENTENCES sentences by
        itself: one sentence leaves the small model fewer words to echo. (reply, its sentence, its
        span) for the first reply that passes every check, else None."""
        for sentence in sentences[:ALONE_SENTENCES]:
            found = self._checked(question, info, [sentence], refused)
            if found is not None:
                return found
        return None

    def _checked(self, question: str, info: QuestionInfo, sentences: list[Sentence],
                 refused: set[str]) -> tuple[str, Sentence, str] | None:
        """The LM's reply over `sentences` alone, with its sentence and span, when it passes every
        check and was not refused before; else None."""
        raw, _ = self._ask(render(sentences), question)
        texts = [s.render() for s in sentences]
        if not raw or failed(answer_checks(raw, info, texts)) or normalize(raw) in refused:
            return None
        found = find_span(raw, texts)
        return raw, sentences[found.index], found.text

    # -- the LM calls ---------------------------------------------------------------------------
    def _ask(self, passages: str, question: str) -> tuple[str, Fallback | None]:
        try:
            with dspy.context(adapter=PlainAdapter()):
                return str(self.extract(passages=passages, question=question).answer or "").strip(), None
        except parse_errors() as exc:
            return "", unparseable("reply", exc)

    def _choose(self, passages: str, question: str, options: list[str]) -> tuple[str, str]:
        """One of `options` and how it was chosen: "scored" (the option the embedded model finds
        likeliest as its reply, `agent.lm.scoring`) or "choice" (a grammar-constrained choice, for
        LMs that give no scores); ("", "choice") when the LM's reply is unusable."""
        scores = self._scores(passages, question, options)
        if scores:
            return max(zip(options, scores, strict=True), key=lambda os: os[1])[0], "scored"
        plain = {grammar_safe(o): o for o in options if o}
        plain.pop("", None)
        if not plain:
            return "", "choice"
        # The same predictor (so optimizers see one step), with the answer typed as the options:
        # the JSON adapter turns the Literal into an enum, which llama.cpp's grammar enforces.
        signature = self.choose.signature.with_updated_fields("answer", type_=Literal[tuple(plain)])
        try:
            pred = self.choose(passages=passages, question=question, signature=signature)
        except parse_errors() as exc:
            log.info("choice reply did not parse: %s", exc)
            return "", "choice"
        answer = str(pred.answer or "")
        answer = plain.get(answer) or match_option(answer, list(plain.values())) or ""
        return answer, "choice"

    def _scores(self, passages: str, question: str, options: list[str]) -> list[float] | None:
        """`reply_scores` of the options under the reader's own prompt, unless the run's time
        budget is nearly spent (the choice call then says so)."""
        left = time_left()
        if left is not None and left < MIN_SCORING_SECONDS:
            return None
        return reply_scores(self.extract, passages, question, options)

    # -- yes/no and choice questions --------------------------------------------------------------
    def _yes_no(self, raw, passages, question, info, sentences, fallback) -> Reading:
        word = normalize(raw).split()[:1]
        answer = word[0] if word and word[0] in ("yes", "no") else ""
        method = "yesno"
        stated = predicate.yes_no(question, info.subjects, sentences)
        if stated:  # what the evidence states of each name settles it, whatever the LM said
            answer, method = stated, "predicate"
        compared = self._same(question, info, sentences)
        if compared:  # "in the same state?": each name's state, read one at a time, compared by code
            answer, method = compared, "values"
        if not answer:
            answer, method = self._choose(passages, question, ["yes", "no"])
        reading = picked(answer, None, method, raw, fallback,
                          Fallback(Code.READ_NOT_YES_NO, f"reply {raw!r} is neither yes nor no"))
        reading.support = [own[0] for own in (predicate.about(n, sentences) for n in info.subjects) if own]
        return reading

    def _same(self, question: str, info: QuestionInfo, sentences: Sequence[Sentence]) -> str:
        """"yes"/"no" for "Are A and B in the same X?" from each name's X; "" when one is not found."""
        attr = predicate.same_attribute(question)
        if not attr or len(info.subjects) < 2:
            return ""
        values = []
        for name in info.subjects[:2]:
            own = predicate.about(name, sentences)
            if not own:
                return ""
            asked = analyse(f"What is the {attr} of {name}?")
            reply, _ = self._ask(render(own), asked.text)
            texts = [s.render() for s in own]
            if failed(answer_checks(reply, asked, texts)):
                return ""
            values.append(find_span(reply, texts).text)
        return "yes" if predicate.same_value(*values) else "no"

    def _option(self, raw, passages, question, info, sentences, fallback, nlp) -> Reading:
        dated = by_years(question, info.options, sentences)
        if dated is not None:  # the years in the evidence settle it, whatever the LM said
            return Reading(dated[0], dated[1], BASE_CONFIDENCE["years"], "years", raw, [], fallback=fallback)
        answer, method = predicate.option_by_predicate(question, info.options, sentences, nlp), "predicate"
        if not answer:
            answer, method = match_option(raw, info.options) or "", "option"
        if not answer:
            answer, method = self._choose(passages, question, info.options)
        sentence = next((s for s in sentences if answer and normalize(answer) in normalize(s.render())), None)
        return picked(answer, sentence, method, raw, fallback,
                       Fallback(Code.READ_NO_OPTION, f"reply {raw!r} names none of {info.options}"))


def _named_kind(noun: str, text: str, reply: str) -> str:
    """The name in `text` that ends in the asked-for `noun`, capitalised as part of it ("Harbour
    Data Group" for "which group"), when the normalised `reply` is not part of it nor it of the
    reply ("the Harbour Data Group of the Verrin port": "Verrin port" is no group); else ""."""
    if not noun:
        return ""
    n = re.escape(noun[:1].upper() + noun[1:])
    for m in re.finditer(rf"\b((?:[A-Z][\w&'.-]*\s+){{1,5}}{n}(?:s|es)?)\b", text):
        found = re.sub(r"^(?:The|A|An)\s+", "", m.group(1))
        name = normalize(found)
        if reply and reply not in name and name not in reply:
            return found
    return ""


def _names_a(noun: str, text: str) -> bool:
    """`text` calls something by name a `noun`: 'the television series "Blue Harbour"', 'Ashby is a
    fishing town', 'Reed & Sons, a shipyard'."""
    n = re.escape(noun)
    return bool(re.search(rf"\b{n}(?:s|es)?\s+[\"\u201c]?[A-Z]", text)
                or re.search(rf"(?:\b(?:is|was|are|were)|,)\s+(?:an?|the)\s+(?:[\w-]+\s+){{0,3}}{n}\b", text))
