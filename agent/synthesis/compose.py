"""Write a cited synthesis from the gathered documents: extractive lines first, an overview last.

Each line is one document's sentence(s) most relevant to the question, quoted as written and
prefixed with the document's title ("Renna Vos: She was born in Highbridge ..."), ending with
its citation. The LM may shorten a long line; the shorter line is kept only when the support
check passes against the cited passage and it keeps the question's key words that the line
held (the claim is not lost), otherwise the quoted sentence stays. Every line, and every
sentence of the overview, is checked (`agent.synthesis.support.check_support`); one that no
cited passage supports is dropped and recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from agent.synthesis.gather import SENTENCES_PER_DOC, DocGroup, Terms, coverage, fit, key_terms
from agent.synthesis.shape import ShapeDecision
from agent.synthesis.support import Support, check_support, content_words, names, plain

SHORTEN_WORDS = 40
"""Lines longer than this many words (after the clause trim) are offered to the LM for shortening."""
MAX_SHORTEN = 2
"""At most this many shortening calls per synthesis (each costs a few seconds on the embedded model)."""
MAX_OVERVIEW = 2
"""Sentences of the LM's overview that are kept (at most)."""


@dataclass
class Line:
    text: str
    citations: list[int]
    source: str
    """extract (quoted sentence), shortened (by the LM, checked), lm (written by a capable LM,
    checked), template."""
    support: Support | None = None

    def as_item(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations)}


@dataclass
class Draft:
    """What `compose` returns: checked lines, the overview, what was dropped, the cited passages."""

    lines: list[Line]
    overview: Line | None
    dropped: list[dict[str, Any]] = field(default_factory=list)
    cited: list[tuple[int, Any, str]] = field(default_factory=list)
    """(n, hit, quote) for every citation number used."""
    rewrites: dict[str, int] = field(default_factory=dict)


def compose(
    question: str,
    decision: ShapeDecision,
    groups: list[DocGroup],
    ranker,
    *,
    shorten: Callable[[str, str], str] | None = None,
    overview: Callable[[str, str], str] | None = None,
    over_budget: Callable[[], bool] = lambda: False,
) -> Draft:
    """Lines for `groups` (best first), checked; then the overview over the kept lines."""
    terms = key_terms(question, decision)
    draft = Draft([], None, rewrites={"offered": 0, "kept": 0})
    numbers: dict[str, int] = {}
    for g in groups:
        same_chunk = [s for s in g.sentences if s.chunk_id == g.sentences[0].chunk_id]
        sentences = same_chunk[: _per_doc(decision)]  # a line quotes one passage, the one it cites
        if len(sentences) > 1 and fit(terms, g.title, sentences[1].text) == 0 and decision.shape != "compare":
            sentences = sentences[:1]  # a second sentence only when it bears on the question too
        hit = g.hits[sentences[0].chunk_id]
        texts = [s.text for s in sentences]
        first = sentences[0]
        if (
            decision.shape != "compare"
            and first.context
            and fit(terms, g.title, first.text) == 0
            and fit(terms, g.title, first.text, first.context) > 0
            and first.context not in texts
        ):
            texts.insert(0, first.context)  # "He died there in 1934" needs the sentence that says where
        quote = " ".join(texts)
        n = numbers.setdefault(hit.chunk_id, len(numbers) + 1)
        if all(c[0] != n for c in draft.cited):
            draft.cited.append((n, hit, quote))
        body = " ".join(trim(t, terms, g.title) for t in texts)
        text = f"{g.title}: {body}" if _needs_title(g.title, body) else body
        line = Line(text, [n], "extract")
        if (
            shorten is not None
            and len(body.split()) > SHORTEN_WORDS
            and draft.rewrites["offered"] < MAX_SHORTEN
            and not over_budget()
        ):
            draft.rewrites["offered"] += 1
            short = _checked_shortening(shorten(question, body), body, g, hit, terms, ranker)
            if short:
                line = Line(
                    f"{g.title}: {short}" if _needs_title(g.title, short) else short, [n], "shortened"
                )
                draft.rewrites["kept"] += 1
        line.support = _check(line.text, [hit], ranker)
        if line.support.ok:
            draft.lines.append(line)
        else:
            draft.dropped.append({"text": line.text, "citations": line.citations, **line.support.as_dict()})
    if draft.lines:
        draft.overview = _overview(question, decision, draft, ranker, overview, over_budget)
    return draft


def _part_supported(sentence: str, line: Line, lines: list[Line], hit_of: dict) -> bool:
    """Whether one line's passage supports the sentence once the other lines' items are taken out,
    within one or two consecutive sentences of the passage (a claim is stated in one place)."""
    from agent.reading.evidence import passage_sentences  # heavy: imports spaCy (seconds)

    hit = hit_of[line.citations[0]]
    text = sentence
    for other in lines:
        if other is not line:
            text = re.sub(re.escape(hit_of[other.citations[0]].title), " ", text, flags=re.IGNORECASE)
    sents = [s.text for s in passage_sentences(hit)]
    # a sentence with the one before it only when it names nothing of its own ("He died there in 1934")
    windows = sents + [
        f"{a} {b}" for a, b in pairwise(sents) if not names(b) - set(hit.title.lower().split())
    ]
    return any(check_support(text, w, title=hit.title).ok for w in windows)


def _names_item(sentence: str, title: str) -> bool:
    """Whether the sentence names the line's item (its title, without a parenthesised qualifier)."""
    name = re.sub(r"\s*\(.*?\)", "", title).strip()
    name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    return bool(name) and name.lower() in sentence.lower()


def _shares_content(sentence: str, line: str) -> bool:
    """Whether an overview sentence draws on a line: they share a name or two content words."""
    line_words = content_words(line)
    return bool(names(sentence) & names(line)) or len(content_words(sentence) & line_words) >= 2


def _cite_end(sentence: str, citations: list[int]) -> str:
    """ "A sentence [1] [2]." : the markers before the closing punctuation."""
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    return body.rstrip(".!?") + "".join(f" [{c}]" for c in citations) + end


def _per_doc(decision: ShapeDecision) -> int:
    return SENTENCES_PER_DOC.get(decision.shape, 1)


def _needs_title(title: str, text: str) -> bool:
    """Prefix the title unless the line already starts by naming it."""
    return bool(title) and not text.lower().startswith((title.lower(), f"the {title.lower()}"))


_CLAUSE = re.compile(r"(?<=[^\d]),\s+|;\s+|\s+[–—]\s+")
_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|did|does|\w{3,}ed|became|built|made|won|wrote|led|ran|"
    r"stood|grew|gave|held|kept|took|left|sank|rose|began|died|lies|runs|stands)\b",
    re.IGNORECASE,
)
_LOOSE = re.compile(
    r"(?:and|but|which|who|whose|where|when|while|although|though|after|before|until|since|so|"
    r"the|a|an|its|his|her|their|\w+ing)\b",
    re.IGNORECASE,
)
"""A clause that can go: it starts like an addition, not like the rest of the main clause."""


def trim(sentence: str, terms: Terms, title: str = "", min_words: int = 8) -> str:
    """The shortest leading run of the sentence's clauses that holds as many of the question's key
    words as the whole sentence ("She was built in 1902 by Anhalt & Sons in Verrin, replacing the
    sailing packets ..." -> "She was built in 1902 by Anhalt & Sons in Verrin."): extractive, so it
    cannot change the claim, only end it sooner."""
    parts = _CLAUSE.split(sentence)
    if len(parts) < 2:
        return sentence
    full = coverage(terms.all, f"{title}. {sentence}")
    seps = _CLAUSE.findall(sentence)
    text = parts[0]
    for i in range(1, len(parts) + 1):
        text = parts[0] + "".join(seps[j] + parts[j + 1] for j in range(i - 1))
        rest = parts[i] if i < len(parts) else ""
        if (
            len(text.split()) >= min_words
            and coverage(terms.all, f"{title}. {text}") >= full
            and _VERB.search(text)
            and (not rest or _LOOSE.match(rest))
        ):
            break
    if text == sentence or text.count("(") != text.count(")") or text.count('"') % 2:
        return sentence
    return text.rstrip(" ,;:–—") + "."


def _checked_shortening(short: str, quote: str, group: DocGroup, hit, terms: Terms, ranker) -> str:
    """`short` when it is shorter, only drops words (every content word of it is in the line or the
    title: nothing added, so with the embedded model a rewrite cannot change the claim), keeps the
    line's key words and passes the support check; else ""."""
    short = plain(short).strip().strip('"')
    if not short or len(short.split()) > 0.8 * len(quote.split()) or len(short.split()) < 4:
        return ""
    if content_words(short) - content_words(f"{group.title}. {quote}"):
        return ""  # it added words the line does not have
    if coverage(terms.all, f"{group.title}. {short}") < coverage(terms.all, f"{group.title}. {quote}"):
        return ""  # it lost part of the claim the question is about
    return short if _check(short, [hit], ranker).ok else ""


def _check(text: str, hits: list, ranker) -> Support:
    """The support check of `text` against the passages `hits`, with the cosine to their closest sentence."""
    from agent.reading.evidence import passage_sentences  # heavy: imports spaCy (seconds)

    sentences = [f"{h.title}. {s.text}" for h in hits for s in passage_sentences(h)]
    similarity = None
    if sentences and ranker is not None:
        vecs = ranker.vectors([plain(text)] + sentences)
        similarity = float((vecs[1:] @ vecs[0]).max())
    passage = " ".join(h.text for h in hits)
    title = ". ".join(dict.fromkeys(h.title for h in hits))
    return check_support(text, passage, similarity=similarity, title=title)


def _overview(
    question: str, decision: ShapeDecision, draft: Draft, ranker, write, over_budget
) -> Line | None:
    """The LM's overview when every sentence of it cites kept lines that support it; else a
    template naming the documents (titles) with their citations."""
    hit_of = {n: hit for n, hit, _ in draft.cited}
    if write is not None and not over_budget():
        numbered = "\n".join(f"[{i}] {ln.text}" for i, ln in enumerate(draft.lines, 1))
        text = write(question, numbered)
        kept = []
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])|(?<=\])\s+(?=[A-Z])", text or "")[:MAX_OVERVIEW]:
            body = plain(sentence)
            if len(body.split()) < 4 or not re.search(r"[.!?]$", body):
                continue  # a fragment, or a sentence cut off by the reply cap
            marks = [int(m) for m in re.findall(r"\[(\d+)\]", sentence)]
            lines = [draft.lines[m - 1] for m in marks if 1 <= m <= len(draft.lines)] or [
                ln for ln in draft.lines if _shares_content(body, ln.text)
            ]  # cite the lines it draws on
            cites = sorted({c for ln in lines for c in ln.citations})
            if not cites:
                draft.dropped.append(
                    {
                        "text": body,
                        "citations": [],
                        "overview": True,
                        "ok": False,
                        "code": "support.no_citation",
                        "reason": "it draws on none of the lines",
                    }
                )
                continue
            support = _check(body, [hit_of[c] for c in cites], ranker)
            if support.ok:
                # Claim level: together the passages may hold every word of "A, B and C were born in X"
                # while C was born elsewhere. Each cited line must support its own part in one place.
                parts = {ln.citations[0]: _part_supported(body, ln, lines, hit_of) for ln in lines}
                named_wrong = [c for c, ok in parts.items() if not ok and _names_item(body, hit_of[c].title)]
                if (decision.shape == "list" and named_wrong) or not any(parts.values()):
                    support = Support(
                        False,
                        "support.part_unsupported",
                        "a cited line does not support its part of the sentence",
                        support.overlap,
                        support.similarity,
                    )
                else:
                    cites = sorted(c for c, ok in parts.items() if ok)
            if support.ok:
                kept.append(Line(body, cites, "lm", support))
            else:
                draft.dropped.append(
                    {"text": body, "citations": cites, "overview": True, **support.as_dict()}
                )
        if kept:
            return Line(
                " ".join(_cite_end(k.text, k.citations) for k in kept),
                sorted({c for k in kept for c in k.citations}),
                "lm",
                kept[0].support,
            )
    titles = []
    for ln in draft.lines:
        title = hit_of[ln.citations[0]].title
        titles.append(f"{title} [{ln.citations[0]}]")
    names = ", ".join(titles[:-1]) + (" and " if len(titles) > 1 else "") + titles[-1]
    text = f"Sources: {names}."  # the fallback names the documents only, so it claims nothing they do not say
    return Line(text, sorted({c for ln in draft.lines for c in ln.citations}), "template")
