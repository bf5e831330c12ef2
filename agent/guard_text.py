"""What a sentence says once its disguises are undone: the texts `agent.guard` checks.

Planted text hides an order from a pattern that a reader would still see (OWASP's guidance on
untrusted input: canonicalise first, then validate). `views(sentence)` gives, in order:

1. the sentence in Unicode NFKC form (full-width "ＩＧＮＯＲＥ" and mathematical "𝐈𝐠𝐧𝐨𝐫𝐞" become
   "IGNORE" and "Ignore"), with invisible format characters removed (zero-width spaces and joiners,
   soft hyphens, bidirectional controls) and text written backwards inside a right-to-left
   override put back in reading order;
2. the same with look-alike letters of other scripts folded to the Latin letter they imitate
   (a Cyrillic "о" in "Ignоre"), from Unicode's confusables table (TR39) as shipped by
   `confusable-homoglyphs`, and words spelt out letter by letter ("I g n o r e") or with digits
   for letters ("1gn0r3") written plainly; only when something changed;
3. text smuggled inside the sentence: Unicode tag characters (invisible ASCII), and base64,
   hex or percent-encoded blobs that decode to readable text.

HTML character references ("&#73;gnore") are decoded first.

Each view is checked by the same patterns; views 1-2 keep the sentence's own code, a flagged
view 3 is reported as `encoded`.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from functools import cache

_RLO, _PDF = "\u202e", "\u202c"
_OVERRIDE = re.compile(f"{_RLO}([^{_PDF}\n]*)(?:{_PDF}|$)")
"""A right-to-left override: what it holds is shown reversed (to its pop or the line's end)."""
_TAG_BASE = 0xE0000
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
"""Unicode tag characters: invisible, and each one a copy of an ASCII character."""
_B64 = re.compile(r"(?<![\w+/=])(?:[A-Za-z0-9+/]{4}){4,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?(?![\w+/=])")
_B64_URL = re.compile(r"(?<![\w\-=])(?:[A-Za-z0-9_\-]{4}){4,}(?:[A-Za-z0-9_\-]{2}==|[A-Za-z0-9_\-]{3}=)?"
                      r"(?![\w\-=])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){8,}(?![0-9A-Fa-f])")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){8,}")
_SPACED = re.compile(r"(?<![\w.\-])(?:[A-Za-z][ .\-]){3,}[A-Za-z](?![\w\-])")
"""A word spelt out letter by letter: "I g n o r e", "i.g.n.o.r.e"."""
_LEET_WORD = re.compile(r"\b(?=[\w@$]*[A-Za-z])(?=[\w@$]*[0-9@$])[\w@$]{3,}")
_LEET = str.maketrans("013457@$", "oieastas")
MIN_WORDS = 3
"""A decoded blob is read only when it is text: printable, and at least this many words."""
MAX_BLOBS = 4


def views(sentence: str) -> list[tuple[str, bool]]:
    """(text, decoded) for each form of `sentence` to check: its canonical form, its form with
    look-alike letters folded to Latin, and any text decoded from inside it (`decoded` True)."""
    text = canonical(sentence)
    out = [(text, False)]
    folded = respell(fold(text))
    if folded != text:
        out.append((folded, False))
    out += [(hidden, True) for hidden in smuggled(sentence, text)]
    return out


def canonical(text: str) -> str:
    """NFKC, right-to-left overrides read in display order, invisible format characters removed
    (tag characters too: `smuggled` reads them)."""
    if "&" in text and ";" in text:
        text = html.unescape(text)
    if text.isascii():  # nothing more to undo (the common case)
        return text
    text = _OVERRIDE.sub(lambda m: m.group(1)[::-1], text)
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def fold(text: str) -> str:
    """`text` with every letter that imitates a Latin letter (Cyrillic, Greek, Armenian, Latin
    variants...) replaced by that letter."""
    if text.isascii():
        return text
    table = _fold_table()
    return text.translate(table) if any(ord(c) in table for c in text) else text


@cache
def _fold_table() -> dict[int, str]:
    from confusable_homoglyphs.confusables import confusables_data  # heavy: a large table, read once

    table: dict[int, str] = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        latin = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalpha()]
        if not latin:
            continue
        # TR39 folds "I" to "l"; a capital that imitates it stands for "I".
        target = "I" if latin[0] == "l" and char.isupper() else latin[0]
        table[ord(char)] = target
    return table


def respell(text: str) -> str:
    """`text` with words spelt letter by letter joined, and digits standing for letters inside a
    word read as those letters ("1gn0r3" -> "ignore"; a word without a letter is left alone)."""
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-]", "", m.group(0)), text)
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)


def smuggled(text: str, plain: str | None = None) -> list[str]:
    """Readable text hidden in `text` (`plain`: its `canonical` form, when known): tag characters
    as ASCII, base64 and hex blobs decoded."""
    out = [] if text.isascii() else ["".join(chr(ord(c) - _TAG_BASE) for c in m.group(0))
                                     for m in _TAGS.finditer(text)]
    plain = canonical(text) if plain is None else plain
    blobs = [m.group(0) for pattern in (_B64, _B64_URL) for m in pattern.finditer(plain)]
    for blob in dict.fromkeys(blobs):
        out.append(_readable(_b64(blob)))
    for m in _HEX.finditer(plain):
        out.append(_readable(_unhex(m.group(0))))
    for m in _PERCENT.finditer(plain):
        out.append(_readable(bytes.fromhex(m.group(0).replace("%", ""))))
    return [t for t in dict.fromkeys(out) if t][:MAX_BLOBS]


def _b64(blob: str) -> bytes:
    try:
        return base64.b64decode(blob.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _unhex(blob: str) -> bytes:
    try:
        return bytes.fromhex(re.sub(r"[ :]", "", blob))
    except ValueError:
        return b""


def _readable(raw: bytes) -> str:
    """`raw` as text when it is printable UTF-8 prose of a few words; "" for binary (a digest, a key)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if not text or any(not c.isprintable() and c not in "\n\t\r" for c in text):
        return ""
    return text if len(re.findall(r"\w{2,}", text)) >= MIN_WORDS else ""
