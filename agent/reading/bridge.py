"""Bridge questions: a wh-word inside a modifier of a noun phrase of the main clause.

"Ada Brook starred in a series that originally broadcast on what station?" asks first which
series (the noun phrase's referent), then the modifier of it: `bridge` returns the two questions,
`agent.reading.tree.decompose` chains them (`#1`).
"""

from __future__ import annotations

from agent.reading.lexicon import LOW_ATTACH_PREPOSITIONS, WH_WORDS

MODIFIER_DEPS = {"relcl", "acl"}
"""spaCy dependencies of a clause that modifies a noun ("the town *where* X was born")."""


def relative(tok) -> bool:
    """A relative pronoun ("the chancellor *who* presented ..."), not a question word."""
    return any(a.dep_ in MODIFIER_DEPS and a.left_edge.i == tok.i for a in tok.ancestors)


def bridge(doc) -> tuple[str, str] | None:
    """("... which <noun>?", "#1 <rest>?") when the wh-word sits inside a modifier of a noun phrase
    of the main clause: the noun phrase's referent is found first, then the modifier is asked of it.

    "Ada Brook starred in a series that originally broadcast on what station?" ->
    ("Ada Brook starred in which series?", "#1 originally broadcast on what station?")
    """
    wh = next((t for t in doc if t.lower_ in WH_WORDS and t.i > 0 and not relative(t)), None)
    if wh is None or any(t.lower_ in WH_WORDS and not relative(t) for t in doc[: wh.i]):
        return None
    tok = wh
    while tok.head.i != tok.i:
        mod, tok = tok, tok.head
        split = None
        if mod.dep_ in ("relcl", "acl") and _bridgeable(tok, wh):
            split = _bridge_split(doc, tok, mod, wh)
        elif mod.dep_ == "prep" and mod.lower_ in LOW_ATTACH_PREPOSITIONS and tok.pos_ in ("NOUN", "PROPN"):
            # A small parser often hangs "from what state" too high: take the nearest noun before it.
            noun = next((t for t in reversed(doc[: mod.i]) if t.pos_ in ("NOUN", "PROPN")), tok)
            if noun.i == mod.i - 1 and _bridgeable(noun, wh):
                split = _bridge_split(doc, noun, mod, wh)
        if split:
            return split
    return None


def _bridgeable(noun, wh) -> bool:
    """A common noun introduced by an article ("a series", "the Adelaide team"), not the wh's own."""
    return (
        noun.pos_ == "NOUN"
        and noun.dep_ != "attr"  # "X is a consultant who ...": the noun is X itself
        and noun.i != wh.head.i
        and any(c.dep_ == "det" and c.lower_ in ("a", "an", "the") for c in noun.children)
        and not any(c.dep_ == "poss" for c in noun.children)
    )


def _bridge_split(doc, noun, mod, wh) -> tuple[str, str] | None:
    det = next(c for c in noun.children if c.dep_ == "det")
    lo, hi = mod.left_edge.i, mod.right_edge.i
    after = doc[wh.i + 1] if wh.i + 1 < len(doc) else wh
    if after.pos_ in ("NOUN", "PROPN", "ADJ") and not lo <= after.i <= hi:
        return None  # the parse split the wh-phrase ("on which | river"): not this modifier
    outer = doc[: det.i].text_with_ws + "which " + doc[det.i + 1 : lo].text_with_ws.rstrip(" ,")
    outer += " " + doc[hi + 1 :].text_with_ws if doc[hi + 1 :].text.strip(" ?.") else ""
    outer = outer.strip().rstrip(" ,.?") + "?"
    words = doc[lo : hi + 1]
    if mod.dep_ == "prep":
        inner = f"#1 is {doc[det.i : noun.i + 1].text} {words.text}"
    elif words[0].lower_ in ("that", "who", "which"):
        inner = "#1 " + doc[lo + 1 : hi + 1].text
    elif words[0].lower_ == "whose":
        inner = "#1's " + doc[lo + 1 : hi + 1].text
    else:
        inner = "#1 " + words.text
    inner = inner.rstrip(" ,.?") + "?"
    searchable = any(t.pos_ == "PROPN" or t.ent_type_ for t in doc[: lo])
    return (outer, inner) if searchable and len(inner.split()) > 2 else None
