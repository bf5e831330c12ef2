"""Every check on a short answer, in one place: pure functions that return a `Verdict` with a
code and a reason. The reader, the loop and the TUI read the codes; tests assert them.

- `answer.empty`            the reader gave nothing usable
- `answer.not_in_evidence`  the answer is not a span of the passages it was read from
- `answer.echoes_question`  the answer only repeats a name the question already gives
- `answer.type_mismatch`    a year question answered with a name, a "who" question with a number, ...
- `answer.not_an_option`    a choice question ("A or B?") answered with neither
- `citation.missing_answer` no cited passage states the answer
- `answer.instruction`      the answer is text that addresses an assistant (an injected instruction)
A verdict with `ok=True` carries the same code with the suffix `:ok` removed: `ok` says it passed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from agent.reading.lexicon import (
    DIGITS_OF_WORDS,
    MONTH_NAMES,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    PLACE_NAME_HEADS,
    PRONOUNS,
    SPELLED_NUMBERS,
    VALUE_NOUNS,
)
from agent.reading.question import QuestionInfo

FUZZY_SPAN = 85
"""rapidfuzz partial-ratio (0-100) above which an answer counts as a span of a passage."""
MAX_ANSWER_WORDS = 12

_ADDRESSING = re.compile(
    r"\b(ignore (all |any )?(previous|prior|above)|system prompt|as an ai|pwned|"
    r"disregard (the|all|any)|new instructions?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str
    reason: str

    def as_dict(self) -> dict:
        return {"code": self.code, "ok": self.ok, "reason": self.reason}


def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed, articles dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Span:
    """Where an answer sits in one of several texts: the text's index and the exact characters."""

    index: int
    start: int
    end: int
    text: str
    score: float


def find_span(answer: str, texts: Sequence[str], min_score: float = FUZZY_SPAN) -> Span | None:
    """The best place where `answer` occurs in `texts`: exactly (case-insensitive), then as a
    normalised word sequence, then as a fuzzy match (rapidfuzz) of at least `min_score`."""
    answer = answer.strip()
    if not answer:
        return None
    low = answer.lower()
    for i, t in enumerate(texts):
        at = _whole_words_at(t.lower(), low)
        if at >= 0:
            return Span(i, at, at + len(answer), t[at : at + len(answer)], 100.0)
    key = normalize(answer)
    if not key:
        return None
    words = key.split()
    pattern = re.compile(
        r"\b" + r"\W+(?:(?:the|a|an)\W+)?".join(_either_number(w) for w in words) + r"\b", re.IGNORECASE
    )
    for i, t in enumerate(texts):
        plain = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
        m = pattern.search(plain) if len(plain) == len(t) else None
        if m:
            return Span(i, m.start(), m.end(), t[m.start() : m.end()], 99.0)
    best: Span | None = None
    for i, t in enumerate(texts):
        if len(key) < 4:
            continue  # fuzzy matches of very short answers are noise
        res = fuzz.partial_ratio_alignment(low, t.lower(), score_cutoff=min_score)
        if res is not None and (best is None or res.score > best.score):
            s, e = _word_bounds(t, res.dest_start, res.dest_end)
            best = Span(i, s, e, t[s:e], float(res.score))
    return best


def _whole_words_at(text: str, part: str) -> int:
    """Where `part` occurs in `text` without cutting a word at either end ("32" is not in
    "adler32", "furo" not in "furosemide"); -1 when it does not."""
    at = text.find(part)
    while at >= 0:
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(part)] if at + len(part) < len(text) else " "
        if not (part[:1].isalnum() and before.isalnum()) and not (part[-1:].isalnum() and after.isalnum()):
            return at
        at = text.find(part, at + 1)
    return -1


def _either_number(word: str) -> str:
    """A pattern for `word` that also matches a small number written the other way ("1" / "one")."""
    other = SPELLED_NUMBERS.get(int(word)) if word.isdigit() and len(word) <= 2 else DIGITS_OF_WORDS.get(word)
    return f"(?:{re.escape(word)}|{other})" if other else re.escape(word)


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


# -- the checks -------------------------------------------------------------------------------
def check_empty(answer: str) -> Verdict:
    if normalize(answer) and normalize(answer) not in PRONOUNS:
        return Verdict(True, "answer.empty", "an answer was given")
    return Verdict(False, "answer.empty", "no usable answer (empty or a pronoun)")


def check_span(answer: str, passages: Sequence[str]) -> Verdict:
    span = find_span(answer, passages)
    if span is None:
        return Verdict(False, "answer.not_in_evidence", f"{answer!r} does not occur in the passages read")
    return Verdict(
        True, "answer.not_in_evidence", f"found in passage {span.index + 1} (match {span.score:.0f})"
    )


def echoes(answer: str, question: str) -> bool:
    """True when the answer is only words the question already gives ("Australia" for "in what
    Australian city"): each of its words is a word of the question or that word with a short ending."""
    key = normalize(answer)
    if not key:
        return False
    if f" {key} " in f" {normalize(question)} ":
        return True
    words = normalize(question).split()
    parts = key.split()
    if len(parts) >= 3 and f" {parts[0]} {parts[-1]} " in f" {normalize(question)} ":
        return True  # "Ada Mae Lind Brook" for "Ada Brook": the same name in full
    long_words = [w for w in parts if len(w) > 2]
    if len(long_words) >= 4 and 2 * sum(w in words for w in long_words) > len(long_words):
        return True  # "the station originally broadcast on ...": the question restated (not "the
        # Verrin shipyard Anhalt & Sons" for "which shipyard did Anhalt found": half is new)
    return all(any(q.startswith(w) and len(q) - len(w) <= 2 for q in words) for w in long_words) \
        and any(len(w) > 2 for w in key.split())


def check_echo(answer: str, info: QuestionInfo) -> Verdict:
    if info.form == "choice" or not echoes(answer, info.text):
        return Verdict(True, "answer.echoes_question", "not a name the question already gives")
    return Verdict(False, "answer.echoes_question", f"{answer!r} only repeats words of the question")


def _has_year(text: str) -> bool:
    return bool(
        re.search(r"\b(1\d{3}|20\d{2}|\d{1,4}\s*(bc|bce|ad|ce)|\d{2,4}s)\b", text, re.IGNORECASE)
    ) or bool(re.search(r"\bcentur(y|ies)\b", text, re.IGNORECASE))


def _is_number(text: str) -> bool:
    words = normalize(text).split()
    return bool(re.search(r"\d", text)) or any(
        w in NUMBER_WORDS or w.split("-")[0] in NUMBER_WORDS for w in words
    )


def _only_quantity(text: str) -> bool:
    """A bare number, year or date ("1846", "12 May 1901", "38 metres" is not)."""
    words = normalize(text).split()
    rest = [
        w
        for w in words
        if not (
            w.isdigit()
            or w in MONTH_NAMES
            or w in NUMBER_WORDS
            or w in ORDINAL_WORDS
            or re.fullmatch(r"\d+(st|nd|rd|th|s)", w)
        )
    ]
    return bool(words) and not rest


_CLAUSE = re.compile(r"^\S.*?\s(?:is|was|are|were)\s+(?:a|an|the)\s")
"""'The XR-7 was a carrier-borne fighter', 'Ada Brook is a consultant who ...'."""


def check_type(answer: str, info: QuestionInfo) -> Verdict:
    """Does the answer have the kind of value the question asks for?"""
    t = info.answer_type
    ok, why = True, f"fits a {t} question"
    words = answer.split()
    if t == "yesno":
        ok = normalize(answer) in ("yes", "no")
        why = why if ok else "a yes/no question answered with neither"
    elif t == "choice":
        ok = check_choice(answer, info.options).ok
        why = why if ok else "not one of the options the question names"
    elif len(words) > MAX_ANSWER_WORDS:
        ok, why = False, f"{len(words)} words: a sentence, not a short answer"
    elif t == "year":
        ok = _has_year(answer)
        why = why if ok else "a year question answered without a year"
    elif t == "date":
        ok = (
            _has_year(answer)
            or _is_number(answer)
            or any(m in normalize(answer).split() for m in MONTH_NAMES)
            or bool(
                re.search(
                    r"\b(era|age|period|decade|spring|summer|autumn|winter|reign)\b", answer, re.IGNORECASE
                )
            )
        )
        why = why if ok else "a 'when' question answered without a time"
    elif t == "number":
        ok = _is_number(answer)
        why = why if ok else "a 'how many' question answered without a number"
    elif t in ("person", "place", "thing"):
        valued = t == "thing" and (info.target in VALUE_NOUNS or info.target.removesuffix("s") in VALUE_NOUNS)
        ok = (valued or not _only_quantity(answer)) and normalize(answer) not in PRONOUNS
        why = why if ok else f"a {t} question answered with a number, a date or a pronoun"
        if ok and _CLAUSE.search(answer):
            ok, why = False, "a statement about something ('X was a ...'), not its name"
        elif ok and t == "person" and words and words[-1].lower().strip(".,;:") in PLACE_NAME_HEADS:
            ok, why = False, f"a 'who' question answered with a place ({words[-1]!r})"
    return Verdict(ok, "answer.type_mismatch", why)


def check_choice(answer: str, options: Sequence[str]) -> Verdict:
    return Verdict(
        match_option(answer, options) is not None,
        "answer.not_an_option",
        "one of the options" if match_option(answer, options) else "neither of the options named",
    )


def match_option(answer: str, options: Sequence[str]) -> str | None:
    """The option `answer` names (exactly, by containment, or fuzzily), or None."""
    key = normalize(answer)
    if not key:
        return None
    for opt in options:
        if normalize(opt) == key:
            return opt
    for opt in options:
        o = normalize(opt)
        if o and (f" {o} " in f" {key} " or f" {key} " in f" {o} "):
            return opt
    best = process.extractOne(
        key, [normalize(o) for o in options], scorer=fuzz.token_set_ratio, score_cutoff=80
    )
    return options[best[2]] if best else None


def check_citation(answer: str, cited: Sequence[str]) -> Verdict:
    if find_span(answer, cited) is not None:
        return Verdict(True, "citation.missing_answer", "a cited passage states the answer")
    return Verdict(False, "citation.missing_answer", "no cited passage states the answer")


def check_instruction(answer: str) -> Verdict:
    if _ADDRESSING.search(answer):
        return Verdict(False, "answer.instruction", "the answer is an instruction addressed to an assistant")
    return Verdict(True, "answer.instruction", "not an instruction")


def answer_checks(answer: str, info: QuestionInfo, passages: Sequence[str]) -> list[Verdict]:
    """All checks of a short answer read from `passages`, in order; the answer is good when all pass."""
    if info.form == "yesno":
        return [check_empty(answer), check_type(answer, info)]
    out = [check_empty(answer)]
    if not out[0].ok:
        return out
    out.append(check_instruction(answer))
    if info.form == "choice":
        out.append(check_type(answer, info))
        return out
    out += [check_span(answer, passages), check_echo(answer, info), check_type(answer, info)]
    return out


def failed(verdicts: Sequence[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if not v.ok]
