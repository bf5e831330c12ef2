"""Optional LLM extractor: a DSPy signature that reads a passage and returns its entities and
(subject, relation, object) triples. For users with a strong LM (`graph.extractor = "llm"`);
the caller passes the `dspy.LM`, this module never builds one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import dspy
from pydantic import BaseModel

from graphs.extraction import NOUN, Extraction, Mention, Triple
from graphs.normalize import normalize
from graphs.settings import GraphSettings
from tools.errors import ConfigError
from tools.types import Chunk

log = logging.getLogger(__name__)


class Fact(BaseModel):
    subject: str
    relation: str
    object: str


class ExtractEntitiesAndTriples(dspy.Signature):
    """Read the passage and list the named entities it mentions (people, places, organisations,
    works, events, dates, specific things) and the facts that link them, as (subject, relation,
    object) triples. Use entity names exactly as written; relations are short verb phrases such
    as "directed", "born in", "member of". Only facts stated in the passage."""

    passage: str = dspy.InputField()
    entities: list[str] = dspy.OutputField(desc="distinct entity names, as written in the passage")
    triples: list[Fact] = dspy.OutputField(desc="facts whose subject and object are among the entities")


class EntityTripleExtraction(dspy.Module):
    """One LM call per passage; the result is a `dspy.Prediction(entities, triples)`."""

    def __init__(self):
        super().__init__()
        self.extract = dspy.Predict(ExtractEntitiesAndTriples)

    def forward(self, passage: str) -> dspy.Prediction:
        pred = self.extract(passage=passage)
        return dspy.Prediction(entities=list(pred.entities or []), triples=list(pred.triples or []))


def prediction_to_extraction(chunk_id: str, pred: dspy.Prediction) -> Extraction:
    """Normalise an LM prediction into an `Extraction` (dropping empty names and self-loops)."""
    out = Extraction(chunk_id)
    seen = set()
    for name in pred.entities:
        key = normalize(str(name))
        if key and key not in seen:
            seen.add(key)
            out.mentions.append(Mention(key, str(name).strip(), "ENTITY", 0))
    for fact in pred.triples:
        s, o = normalize(fact.subject), normalize(fact.object)
        rel = " ".join(fact.relation.lower().split())
        if s and o and rel and s != o:
            for key, text in ((s, fact.subject), (o, fact.object)):
                if key not in seen:
                    seen.add(key)
                    out.mentions.append(Mention(key, text.strip(), "ENTITY", 0))
            out.triples.append(Triple(s, rel, o))
    return out


class LLMExtractor:
    """`graphs.extraction.Extractor` backed by a DSPy LM; a failed call yields an empty extraction
    (logged), never a failed build."""

    def __init__(self, lm, settings: GraphSettings | None = None):
        if lm is None:
            raise ConfigError("graph.extractor = 'llm' needs an LM: pass one to "
                              "GraphComponent(settings, lm=...) or set graph.extractor = 'spacy'")
        self.lm = lm
        self.settings = settings or GraphSettings()
        self.program = EntityTripleExtraction()

    def _one(self, chunk_id: str, text: str) -> Extraction:
        try:
            with dspy.context(lm=self.lm):
                return prediction_to_extraction(chunk_id, self.program(passage=text))
        except Exception as exc:  # noqa: BLE001 -- an LM or parse failure skips the chunk, it does not stop indexing
            log.warning("LLM extraction failed for %s: %s", chunk_id, str(exc)[:200])
            return Extraction(chunk_id)

    def extract(self, chunks: Sequence[Chunk], progress: Callable[[int], None] | None = None
                ) -> list[Extraction]:
        out = []
        for chunk in chunks:
            out.append(self._one(chunk.chunk_id, chunk.text))
            if progress:
                progress(1)
        return out

    def mentions(self, text: str, nouns: bool = True) -> list[Mention]:
        return [m for m in self._one("", text).mentions if nouns or m.label != NOUN]
