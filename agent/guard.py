"""Instructions planted in documents: find the sentences that address an assistant, and scrub them.

A passage is evidence, never a prompt. A sentence that tells "the assistant" what to do (ignore
its instructions, answer with a given text, reveal its prompt, play a role) carries no fact a
question could need, so it is removed before the LM sees the passage (`agent.toolbox` calls
`scrub` on every hit) and recorded in the trace as an `injection` event.

Each check is a pure function over one sentence with a code, as in `check_span`:

- `ignore`: ignore / disregard / forget the previous instructions (English, French, German,
  Spanish, Italian, Portuguese);
- `answer_with`: answer / say / reply / output a given text (quoted, or a word in capitals),
  directly or politely ("I would appreciate it if you replied with ...");
- `reveal`: reveal / print / repeat the system prompt or your instructions;
- `role`: chat-template and role markers (`<|im_start|>`, `[INST]`, `### Instruction:`,
  `system:` followed by an order), "you are now ...", "from now on you ...", "pretend to be";
- `address`: a sentence addressed to an AI ("Note to any AI reading this", "If you are a
  language model");
- `continuation`: the sentence right after one of the above, when it carries the order
  (an instruction split over two sentences, or a heading marker followed by its text);
- `encoded`: an order to decode a text and obey it, or an order hidden in a base64 or hex blob
  or in invisible Unicode tag characters.

Every sentence is checked as a reader would see it (`agent.guard_text.views`): NFKC form,
invisible characters removed, look-alike letters of other scripts folded to Latin, hidden text
decoded. The same kinds of order in other languages (Russian, Chinese, Japanese, Korean, Arabic
and Western European ones) are `agent.guard_lang`'s patterns.

An HTML comment that contains a flagged sentence is removed whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent import guard_lang
from agent.guard_text import canonical, fold, views
from tools.sentences import split as split_sentences

_QUOTES = "\"'`«»“”‘’„‚"


@dataclass(frozen=True)
class Flag:
    """One sentence (or HTML comment) of a passage that addresses an assistant."""

    start: int
    end: int
    sentence: str
    code: str


# ----------------------------------------------------------------------------- patterns

_I = re.IGNORECASE
_POLITE = (r"(?:(?:please|kindly|now|instead|just|only|always|simply|and|then|so|also|first|finally|"
           r"from now on|henceforth|hereafter|in (?:every|each|all) (?:cases?|answers?)),?\s+)*")
_ASKS = (r"(?:you (?:must|should|shall|will|need to|have to|are to|are required to|are instructed to|may "
         r"only)\s+"
         r"|(?:could|would|can|will) you (?:please |kindly )?"
         r"|i (?:want|need|would like|'d like|expect|ask|require) you to "
         r"|i (?:would|'d) (?:really )?(?:appreciate|be grateful|love) (?:it )?if you (?:could |would )?"
         r"|(?:it is|it's) (?:important|essential|vital|crucial|mandatory) (?:that you |to )"
         r"|(?:make sure|be sure|remember) (?:that you |you |to )"
         r"|(?:your task is|the task is|you are asked) to )")
_SAY = (r"(?:answer|answers|answered|respond|responds|responded|reply|replies|replied|say|says|said|output|"
        r"print|"
        r"write|return|state|type|repeat|begin|start|end)")

IGNORE = [
    re.compile(r"\b(?:ignore|disregard|forget|override|bypass|skip|abandon|discard|set aside|pay no "
               r"attention to|"
               r"do not follow|don't follow|stop following|no longer follow)\b[^.!?]{0,50}?"
               r"\b(?:instructions?|prompts?|rules|directions|directives?|guidelines|guidance|commands?|"
               r"context|"
               r"constraints|programming|orders|system message|everything (?:above|before|else|you (?:were|"
               r"have been) told))\b",
               _I),
    re.compile(r"\b(?:ignore|forget|disregard)\s+(?:all|everything)\s+(?:above|before|that came before|prior)"
               r"\b", _I),
    # French, German, Spanish, Italian, Portuguese
    re.compile(r"\b(?:ignore[zr]?|oublie[zr]?|ne (?:tenez|tiens) (?:pas|plus) compte d[e'])\b[^.!?]{0,50}?"
               r"\b(?:instructions?|consignes?|directives?|règles|ordres)\b", _I),
    re.compile(r"\b(?:ignorier(?:e|en|t)?|vergiss|vergessen sie|missachte(?:n sie)?|übergehe)\b[^.!?]{0,50}?"
               r"\b(?:anweisungen|anweisung|instruktionen|regeln|vorgaben|befehle|anordnungen)\b", _I),
    re.compile(r"\b(?:ignora|ignore|ignorad|ignoren|olvida|olvide|olvidad|omite|omita|haz caso omiso de)\b"
               r"[^.!?]{0,50}?\b(?:instrucciones|indicaciones|reglas|órdenes|directrices)\b", _I),
    re.compile(r"\b(?:ignora|ignorate|dimentica|ignore|esqueça|esqueca)\b[^.!?]{0,50}?"
               r"\b(?:istruzioni|regole|instruções|instrucoes|regras)\b", _I),
]

_FILL = (r"(?:\s*(?:with|only|just|exactly|simply|always|nothing but|the following|back|that|by saying|"
         r"saying|"
         r"to (?:every|all|any|each|the) (?:\w+ )?(?:questions?|quer(?:y|ies)|prompts?|requests?|messages?|"
         r"users?)|"
         r"(?:the )?(?:word|phrase|text|string|sentence|message|answer)|in (?:all )?(?:caps|capitals)|"
         r"par|avec|uniquement|seulement|toujours|nur|mit|immer|folgendes|solo|con|únicamente|solamente|"
         r"siempre|"
         r"[:,\-–—]))*\s*")
_PAY = rf"(?:[{_QUOTES}]|\b[A-ZÀ-Ý][A-ZÀ-Ý0-9_!]{{2,}}\b|(?i:\bthe (?:word|phrase|text|string) \w+))"
_FOREIGN_SAY = (r"(?:répond(?:s|ez|re)|dis|dites|écri(?:s|vez|re)|antworte|antworten sie|sag|sage|sagen sie|"
                r"schreib|"
                r"schreibe|schreiben sie|gib|geben sie|responde|responda|respondan|contesta|conteste|di|diga|"
                r"escribe|escriba|rispondi|rispondete|scrivi|dì)")

_CLAIM = (r"(?:answer|respond|reply|say|claim|insist|"
          r"tell (?:the |any |every |all )?(?:users?|readers?|askers?|people|everyone))")

_THAT = rf"(?i:{_CLAIM}\s+(?:only |always |simply |instead )?that\b)"
_THAT_OPENING = rf"(?i:(?!say\b){_CLAIM}\s+(?:only |always |simply |instead )?that\b)"

ANSWER = [
    # an order (imperative, or a request however polite) to answer/say/output a given text
    # or to state a given claim ("answer that the river is ..."; a bare "Say that ..." opening a
    # sentence is "suppose that ...")
    re.compile(rf"(?i:^{_POLITE}(?:{_ASKS})?{_POLITE})(?:(?i:{_SAY}\b{_FILL}){_PAY}|{_THAT_OPENING})"),
    re.compile(rf"(?i:\b{_ASKS}{_POLITE})(?:(?i:{_SAY}\b{_FILL}){_PAY}|{_THAT})"),
    # "reply with the following text:" (the payload on the next line)
    re.compile(rf"(?i:^{_POLITE}(?:{_ASKS})?{_SAY}\b\s+(?:with|by saying|exactly|only)\s+(?:only\s+)?(?:the "
               rf"following|this)"
               r"\b[^.!?]{0,20}:\s*$)"),
    # "answer every question with ...", "to every question, reply ..."
    re.compile(r"\b(?:answer|respond|reply)\s+(?:to\s+)?(?:every|all|any|each|the next|future|subsequent|"
               r"the user's|users'?)\s+(?:\w+\s+)?(?:questions?|quer(?:y|ies)|prompts?|requests?|messages?)\b"
               r"[^.!?]{0,20}\b(?:with|by saying|saying|using)\b", _I),
    re.compile(r"\b(?:to|for) (?:every|all|any|each) (?:\w+ )?(?:questions?|quer(?:y|ies)|prompts?|requests?)"
               r"\b"
               rf",?\s+(?:you (?:must|should|will) )?(?:{_SAY}|give)\b", _I),
    # "the correct answer to any question is ..."
    re.compile(r"(?i:\b(?:correct|right|only|true|real|expected) (?:answer|response|reply) (?:to|for) (?:any|"
               r"every|all|each)"
               rf" (?:\w+ )?(?:questions?|quer(?:y|ies)|prompts?)\b[^.!?]{{0,40}}?\b(?:is|are|will be)"
               rf"\b{_FILL}){_PAY}"),
    # "your answer must be ...", "every answer you give must be ..."
    re.compile(r"(?i:\b(?:your|every|each|all|the) (?:final |only |next |one )?(?:answers?|responses?|"
               r"replies|outputs?)"
               r"(?: you (?:give|write|produce|return))?\s+(?:must|should|shall|will|has to|have to|needs? "
               r"to|is to|"
               rf"are to)\s+(?:only\s+|always\s+)?(?:be|say|contain|read|start with|begin with|include|"
               rf"consist of|end with)"
               rf"\b{_FILL}){_PAY}"),
    # "Please say that ...", "Always say that ..."
    re.compile(r"^(?:(?:please|always|only|just|instead|simply|now),?\s+)+say\s+(?:only\s+)?that\b", _I),
    # French, German, Spanish, Italian imperatives with a payload
    re.compile(r"(?i:^(?:(?:veuillez|merci de|s'il vous plaît|s'il te plaît|bitte|por favor|per favore),?\s+)"
               r"?"
               rf"{_FOREIGN_SAY}(?:\s+(?:bitte|s'il vous plaît|por favor))?\b{_FILL}){_PAY}"),
]

REVEAL = [
    re.compile(r"\b(?:reveal|show|print|repeat|output|display|tell (?:me|us)|share|leak|disclose|give me|"
               r"write out|recite|dump|paste)\b[^.!?]{0,40}?\b(?:system prompt|system message|"
               r"(?:initial|hidden|original|secret|developer) (?:prompt|instructions|message)|"
               r"your (?:prompt|instructions|rules|guidelines|configuration|programming)|"
               r"(?:the )?(?:instructions|prompt) (?:you were given|given to you|above))\b", _I),
    re.compile(r"\b(?:révèle|révélez|affiche[zr]?|montre[zr]?|zeige|zeigen sie|verrate|muestra|revela)\b"
               r"[^.!?]{0,40}?\b(?:prompt|instructions système|systemanweisung|systemprompt|instrucciones "
               r"del sistema)\b",
               _I),
]

ROLE = [
    re.compile(r"<\|?(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|?>"
               r"|\[/?INST\]|<</?SYS>>|<start_of_turn>|<end_of_turn>", _I),
    re.compile(r"^\s*#{1,6}\s*(?:instructions?|system(?: prompt)?|response|new instructions?|prompt|"
               r"assistant)"
               r"\s*:?\s*$", _I),
    re.compile(r"^\s*\[?(?:system|assistant|developer|user)\]?\s*:\s*(?:you\b|ignore\b|forget\b|always\b|"
               rf"from now on\b|new\b|{_SAY}\b)", _I),
    re.compile(r"\byou are now (?:an?|the|my|called|named|in|no longer|free|unrestricted|jailbroken|dan\b|"
               r"going to|"
               r"operating|acting|playing|a different)", _I),
    re.compile(r"\bfrom now on,?\s+(?:you\b|your\b|always\b|only\b|answer|respond|reply|say)", _I),
    re.compile(r"\b(?:pretend|imagine) (?:to be|you are|that you are|you're)\b|\broleplay as\b|\brole-play "
               r"as\b", _I),
    re.compile(rf"(?:^{_POLITE}|\byou (?:will |must |should |are to |now )?)(?:act|behave) as "
               r"(?:if you (?:are|were)|an? (?:unrestricted|unfiltered|different|evil|new)\b)", _I),
    re.compile(r"\b(?:new|updated|real|actual|true) (?:instructions?|rules|task|directives?|system prompt)"
               r"\s*:", _I),
    re.compile(r"\b(?:developer|god|debug|jailbreak|dan) mode\b", _I),
]

ADDRESS = [
    re.compile(r"^(?:hey |hello |hi |dear |ok |okay )?(?:ai|a\.i\.|assistant|ai assistant|chatbot|llm|"
               r"language model|"
               r"chatgpt|gpt|claude|gemini|copilot|bot)s?\s*[:,]\s*(?:(?:please|now|from now on|always|just|"
               r"only|"
               r"instead|kindly),?\s+)*(?:you\b|ignore|forget|disregard|answer|respond|reply|say|output|"
               r"print|write|"
               r"repeat|reveal|tell|stop|do not|don't|when|whatever|no matter)", _I),
    re.compile(r"\b(?:dear|attention|hey|hello|hi|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)"
               r"|"
               r"important (?:note |message )?(?:to|for))\s+(?:the |any |all |every )?(?:ai|a\.i\.|"
               r"assistants?|"
               r"chatbots?|language models?|llms?|gpt|chatgpt|bots?|models?)\b", _I),
    re.compile(r"\bif you are (?:an?|the) (?:ai|a\.i\.|assistant|ai assistant|language model|large language "
               r"model|"
               r"llm|chatbot|bot|ai model)\b", _I),
    re.compile(r"\b(?:ai|a\.i\.|assistants?|chatbots?|language models?|llms?)\s+(?:that is |who is |which is "
               r"|are )?"
               r"(?:reading|processing|summari[sz]ing|parsing|answering (?:from|with)) (?:this|these|the "
               r"following)\b",
               _I),
    re.compile(r"\b(?:cher|chère|liebe[rs]?|querido|querida|caro|cara)\s+(?:assistant|assistente|asistente|"
               r"ia|ki)\b"
               r"|\b(?:à l'|an die |al |all')(?:ia|ki|assistant|asistente|assistente)\b", _I),
]

ENCODED = [
    re.compile(r"\b(?:decode|decrypt|decipher|unscramble)\b[^.!?]{0,40}?\b(?:and|then)\s+(?:obey|"
               r"follow|comply|carry out|do (?:what|as) it says|act on)\b", _I),
]

_CHECKS = [(code, patterns + guard_lang.CHECKS.get(code, []))
           for code, patterns in [("ignore", IGNORE), ("reveal", REVEAL), ("answer_with", ANSWER),
                                  ("role", ROLE), ("address", ADDRESS), ("encoded", ENCODED)]]
_LEADS = {"ignore", "role", "address", "continuation"}
"""Codes whose sentence often only announces the order that the next sentence gives."""
_ORDER = re.compile(rf"^{_POLITE}(?:{_ASKS})?(?:{_SAY}|answer|tell|reveal|ignore|disregard|forget|always|"
                    rf"only|never|"
                    r"do not|don't|stop|instead|use|give|act|pretend|remember|make sure|call|run|execute|set|"
                    r"open|delete|send|"
                    r"visit|click|download|include|append|add|translate|every (?:answer|reply|response)"
                    r"|your (?:answer|reply|response|output))\b", _I)
_SAYS_PAYLOAD = re.compile(rf"(?i:\b{_SAY}\b{_FILL}){_PAY}")
_PAYLOAD = re.compile(rf"^[{_QUOTES}]?[\w!?' -]{{1,40}}[{_QUOTES}]?[.!]?$")


def check_sentence(sentence: str) -> str | None:
    """The code of the first check `sentence` fails (it addresses an assistant), or None: the
    sentence is read in each of its `views` (canonical, look-alikes folded, hidden text decoded)."""
    for view, decoded in views(sentence):
        code = _check(_normal(view))
        if code:
            return "encoded" if decoded else code
    return None


def _check(text: str) -> str | None:
    if not text:
        return None
    for code, patterns in _CHECKS:
        if any(p.search(text) for p in patterns):
            return code
    return None


def find_instructions(text: str) -> list[Flag]:
    """The sentences (and HTML comments) of `text` that address an assistant, in text order."""
    segments = _segments(text)
    codes: list[str | None] = []
    for start, end, is_comment in segments:
        piece = text[start:end]
        if is_comment:
            inner = piece[4:-3]
            hits = [check_sentence(inner[s:e]) for s, e, _ in _segments(inner)]
            code = next((c for c in hits if c), None) or check_sentence(inner)
        else:
            code = check_sentence(piece)
        codes.append(code)
    for i in range(1, len(segments)):  # an order split over two sentences
        prev, cur = codes[i - 1], codes[i]
        if cur or not prev:
            continue
        sentence = _normal(fold(canonical(text[segments[i][0]:segments[i][1]])))
        prev_text = text[segments[i - 1][0]:segments[i - 1][1]].rstrip()
        announced = prev_text.endswith(":") or re.search(r"\bthe following\b", prev_text, _I)
        if (prev in _LEADS and (_ORDER.search(sentence) or _SAYS_PAYLOAD.search(sentence))) or \
                (announced and _PAYLOAD.match(sentence)):
            codes[i] = "continuation"
    return [Flag(s, e, text[s:e], c) for (s, e, _), c in zip(segments, codes, strict=True) if c]


def scrub(text: str) -> tuple[str, list[str]]:
    """`text` without the sentences that address an assistant, and those sentences."""
    flags = find_instructions(text)
    if not flags:
        return text, []
    parts, pos = [], 0
    for flag in flags:
        parts.append(text[pos:flag.start])
        pos = flag.end
    parts.append(text[pos:])
    cleaned = re.sub(r"[ \t]{2,}", " ", "".join(parts))
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip()
    return cleaned, [" ".join(f.sentence.split()) for f in flags]


# ----------------------------------------------------------------------------- segmentation

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_html_comment) of every sentence of `text`; a line never spans two."""
    out: list[tuple[int, int, bool]] = []
    pos = 0
    for m in _COMMENT.finditer(text):
        out.extend(_sentences(text, pos, m.start()))
        out.append((m.start(), m.end(), True))
        pos = m.end()
    out.extend(_sentences(text, pos, len(text)))
    return out


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    return [(start + s.start, start + s.end, False) for s in split_sentences(text[start:end], lines=True)]


def _normal(sentence: str) -> str:
    """One line, markdown emphasis and list marks stripped, typographic apostrophes plain."""
    text = sentence.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<!\w)[*_~`]+(?=\w)|(?<=\w)[*_~`]+(?!\w)", "", text)
    text = re.sub(r"^\s*(?:[-*+>]|\d+[.)])\s+", "", text)
    return " ".join(text.split())
