"""Answer shapes code makes from a checked span: the whole enumeration a list question asks for.

A small reader asked "which encodings can it handle?" copies one item of "gzip, deflate, brotli,
and zstd"; code widens that item to the enumeration of its own sentence: the run of short items
joined by commas and a final "and"/"or", within the clause (between colons, semicolons and
brackets) that holds the answer. The first and last item are cut to the length of the others, so
"looks for the files GNUmakefile, makefile, and Makefile" gives "GNUmakefile, makefile, and
Makefile".
"""

from __future__ import annotations

import re

MAX_ITEM_WORDS = 4
"""An inner item of an enumeration is at most this many words ("lymphocytic choriomeningitis virus")."""
_CLAUSE = re.compile(r"[;:()\[\]]|\.\s|\.$")
_SEPARATOR = re.compile(r",\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+")


def enumeration(answer: str, text: str) -> str:
    """The enumeration of `text` that `answer` is an item of ("256, 384 or 521 bits" for "384"),
    or `answer` itself when it is in none (or already is one)."""
    at = text.lower().find(answer.lower()) if answer else -1
    if at < 0:
        return answer
    start = max((m.end() for m in _CLAUSE.finditer(text, 0, at)), default=0)
    end = next((m.start() for m in _CLAUSE.finditer(text, at + len(answer))), len(text))
    clause = text[start:end]
    items, seps, pos = [], [], 0
    for m in _SEPARATOR.finditer(clause):
        items.append((pos, m.start()))
        seps.append(m.group(0))
        pos = m.end()
    items.append((pos, len(clause)))
    mine = next((i for i, (s, e) in enumerate(items) if s <= at - start <= e), None)
    if mine is None or len(items) < 2:
        return answer
    words = [len(clause[s:e].split()) for s, e in items]
    joined = [bool(re.search(r"\b(?:and|or)\b", sep)) for sep in seps]  # seps[i] follows items[i]
    lo = mine
    while lo > 0 and (not joined[lo - 1] or lo == mine) and words[lo] <= MAX_ITEM_WORDS:
        lo -= 1  # back over commas to the first item (over an "and" only from the last one)
    hi = mine
    while (hi < len(items) - 1 and (hi == lo or words[hi] <= MAX_ITEM_WORDS)
           and not (hi > mine and joined[hi - 1])):
        hi += 1  # on to the item after the "and"/"or"
        if joined[hi - 1]:
            break
    count = hi - lo + 1
    if count < 2 or not (any(joined[lo:hi]) or count >= 3):
        return answer  # one item, or two joined by a comma alone: no enumeration
    inner = [words[i] for i in range(lo + 1, hi)] or [len(answer.split())]
    keep = max(inner)
    first_s, first_e = items[lo]
    last_s, last_e = items[hi]
    article = re.match(r"(?:the|a|an)\s+", clause[last_s:last_e], re.IGNORECASE)
    last_s += article.end() if article else 0
    first, last = clause[first_s:first_e].split(), clause[last_s:last_e].split()
    if len(first) > keep:
        first_s = first_e - len(" ".join(first[-keep:]))
    if len(last) > keep:
        numbered = all(re.fullmatch(r"[\d.,%-]+", clause[s:e].split()[0]) for s, e in items[lo:hi + 1])
        take = keep + 1 if numbered and len(last) > keep and last[keep].isalpha() else keep  # "521 bits"
        last_e = last_s + len(" ".join(last[:take]))
    found = clause[first_s:last_e].strip().rstrip(".,")
    return found if len(found) > len(answer) and answer.lower() in found.lower() else answer
