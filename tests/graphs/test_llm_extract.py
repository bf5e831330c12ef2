import json

import pytest
from dspy.utils import DummyLM

from graphs.llm_extract import LLMExtractor
from graphs.settings import GraphSettings
from tools.errors import ConfigError
from tools.types import Chunk


def test_llm_extractor_with_scripted_lm():
    lm = DummyLM([{"entities": json.dumps(["Ada Lovelace", "Charles Babbage"]),
                   "triples": json.dumps([{"subject": "Ada Lovelace", "relation": "Worked with",
                                           "object": "Charles Babbage"},
                                          {"subject": "Ada", "relation": "x", "object": "Ada"}])}])
    ex = LLMExtractor(lm, GraphSettings(extractor="llm")).extract(
        [Chunk("c#0", "c", "", "Ada Lovelace worked with Charles Babbage.", "", 0, 0, "")])[0]
    assert [m.key for m in ex.mentions] == ["ada lovelace", "charles babbage"]
    assert [(t.subject, t.relation, t.object) for t in ex.triples] == [
        ("ada lovelace", "worked with", "charles babbage")]


def test_llm_extractor_needs_an_lm():
    with pytest.raises(ConfigError, match="needs an LM"):
        LLMExtractor(None)
