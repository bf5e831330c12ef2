"""Word classes the reading code looks words up in, in one place.

Stop words come from spaCy's English list (`spacy.lang.en.stop_words`, no model needed). The
classes below are small closed lists of general English words (never a name or a phrase from a
question set): what a noun says about the kind of answer it asks for.
"""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS as _SPACY_STOP_WORDS

STOP_WORDS = frozenset(_SPACY_STOP_WORDS)
"""spaCy's English stop words."""

VALUE_NOUNS = frozenset(
    # values a document states as a number, a version or an identifier
    "version release edition model score rating rank grade level price cost fee rate ratio percentage "
    "temperature size speed season episode chapter volume issue number code constant value length width "
    "height depth limit maximum minimum default timeout interval duration port count amount total "
    "threshold capacity weight frequency dose setting option flag argument parameter mode format "
    "precision digits bits bytes integer float quantity figure share factor multiple "
    "coefficient exponent index identifier id hash checksum".split()
)
"""A "which/what <noun>" question with one of these head nouns asks for a value: a bare number,
a version, a flag (`-J`) or an identifier (`ZIP_STORED`) fits it."""

# -- what a question asks for (agent.reading.question) ------------------------------------------
PLACE_NOUNS = tuple(
    "city town village country state island river county region province district mountain range lake "
    "sea continent place location borough suburb capital area valley nation territory port harbour "
    "harbor street"
    .split()
)
"""Head nouns that make a "which/what <noun>" question ask for a place."""

PERSON_NOUNS = tuple(
    "person man woman actor actress singer player author writer director designer founder inventor "
    "composer architect engineer mayor president king queen politician artist painter poet musician "
    "scientist botanist captain chancellor recipient winner donor keeper coach manager leader member "
    "producer creator owner father mother son daughter wife husband brother sister child friend star "
    "comedian novelist rapper drummer guitarist footballer athlete journalist host presenter "
    "character philosopher emperor general officer senator minister governor premier chef cook "
    "biographer photographer dancer model monk bishop pope saint explorer pilot astronaut godfather "
    "master chief head commander receiver holder champion nominee laureate candidate heir widow "
    "killer murderer assassin criminal victim spy detective soldier sailor warrior knight hero "
    "villain protagonist narrator lawyer judge doctor physician surgeon nurse teacher professor "
    "student scholar historian economist physicist chemist mathematician theologian entrepreneur "
    "businessman businesswoman investor executive chairman chairwoman diplomat ambassador prince "
    "princess duke duchess earl countess baron lord lady monarch ruler dictator sultan tsar "
    "pharaoh priest rabbi imam cardinal missionary prophet nun abbot wrestler boxer swimmer cyclist "
    "skier golfer jockey pitcher quarterback goalkeeper striker midfielder cricketer batsman "
    "vocalist bassist pianist violinist cellist conductor lyricist songwriter screenwriter playwright "
    "illustrator cartoonist sculptor filmmaker showrunner broadcaster anchor reporter columnist "
    "critic activist statesman stateswoman colonel lieutenant sergeant admiral marshal"
    .split()
)
"""Role nouns that name a person: a question asking for one asks for a person."""

TIME_NOUNS = frozenset("date day month time period era year decade century season".split())
"""Head nouns that keep a "when/what date" question asking for a time."""

FUNCTION_WORDS = frozenset("for in on at by with to from as into than that who which when where if".split())
"""Prepositions, conjunctions and relative words that end the noun phrase after "which/what"."""

MODAL_VERBS = frozenset("can could will would shall should may might must".split())
"""Modal verbs: they end the noun phrase after "which/what"."""

NON_NOUNS_AFTER_WH = frozenset("is was are were did does do has had of the a an".split())
"""Words that can follow "what"/"which" without naming what is asked for."""

RELATION_NOUNS = tuple(
    "birthplace hometown home capital headquarters seat successor predecessor parent subsidiary "
    "sequel prequel spouse namesake alma employer label owner operator manufacturer publisher builder "
    "maker developer distributor"
    .split()
)
"""Nouns that name something by its relation to something else ("the birthplace of X")."""

WH_WORDS = ("who", "whom", "whose", "what", "which", "when", "where", "how")
"""The question words that open a wh-question or a wh-phrase inside one."""

# -- checks on a short answer (agent.reading.checks) --------------------------------------------
MONTH_NAMES = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
"""Month names and their abbreviations: a word of a date."""

SPELLED_NUMBERS = dict(enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split()))
"""Small numbers as words: "Formula 1 Arcade" is a span of "Formula One Arcade is ..."."""

DIGITS_OF_WORDS = {word: str(n) for n, word in SPELLED_NUMBERS.items()}
"""The digits of each small number spelled as a word ("one" -> "1"): SPELLED_NUMBERS reversed."""

NUMBER_WORDS = frozenset(SPELLED_NUMBERS.values()) | frozenset(
    "thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion dozen once twice thrice single double triple half".split()
)
"""Words that state a quantity: an answer made of them is a number."""

ORDINAL_WORDS = frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth twenty-first".split()
)
"""Ordinals as words: with numbers and months, the words of a bare quantity or date."""

PRONOUNS = frozenset("he she it they him her them his hers its their this that i you".split())
"""Pronouns and demonstratives: never an answer on their own."""

PLACE_NAME_HEADS = frozenset(
    "district county city town village state province region river lake island mountain valley "
    "street road avenue square park country borough parish municipality".split()
)
"""A phrase whose last word is one of these names a place: never the answer to "who"."""

# -- sentence evidence and predicates (agent.reading.evidence, agent.reading.predicate) ----------
OVERLAP_STOP_WORDS = frozenset(
    "a an the of in on at to for from by with and or is are was were be been being who whom whose what "
    "which when where why how did does do that this these those it its as into than then there their his "
    "her he she they them also not no yes both either neither same after before during about over under "
    "between through while had has have having will would can could should may might one first second "
    "other another".split()
)
"""Words that never count as a content word a question and a sentence share."""

FRAME_WORDS = frozenset(
    "both also either neither one ones too each which who whom what is are was were do does did has have "
    "had be been being same different".split()
)
"""Words that frame a yes/no or choice question rather than state its predicate."""

# -- answer candidates (agent.reading.candidates) -----------------------------------------------
REPLY_EDGE_WORDS = frozenset(
    "a an the of in on at by for to from with and or is was are were who which that".split()
)
"""Function words: a part of a reply may not start or end with one, and they are no content word."""

# -- bridge questions (agent.reading.bridge) ----------------------------------------------------
LOW_ATTACH_PREPOSITIONS = frozenset("from of in at with for on".split())
"""Prepositions whose phrase ("from what state") a small parser often hangs on too high a head."""

PREPOSITIONS = frozenset(
    "about above across after along among around at before behind below beside between beyond by during "
    "for from in inside into near of off on onto outside over past since through to toward towards under "
    "until upon via with within".split()
)
"""English prepositions: the words that say which slot a value fills ("in 1998", "by Tessa")."""
