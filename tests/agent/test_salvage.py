"""Cut-off and broken LM replies: the complete fields are kept, and a bug is not taken for a bad reply."""

from __future__ import annotations

import dspy
import pytest


def test_salvage_reads_complete_fields_of_a_cut_off_reply():
    from agent.lm.salvage import salvage

    cut = '{"answerable": true, "answer": "Lowbridge", "support": [1, 3], "missing": "none of the pa'
    assert salvage(cut) == {"answerable": True, "answer": "Lowbridge", "support": [1, 3]}
    assert salvage("no reply at all") == {}


def test_the_json_adapter_keeps_the_complete_fields_of_a_cut_off_reply():
    from agent.lm.factory import HopperJSONAdapter
    from agent.signatures import Rewrite

    cut = '{"keywords": "Oska Tamm birthplace", "hypothetical_passage": "Osk'
    got = HopperJSONAdapter().parse(Rewrite, cut)
    assert got == {"keywords": "Oska Tamm birthplace", "hypothetical_passage": "", "paraphrase": "",
                   "salvaged": ["keywords"]}
    from dspy.utils.exceptions import AdapterParseError

    with pytest.raises(AdapterParseError):
        HopperJSONAdapter().parse(Rewrite, "not json at all")


def test_a_programming_error_is_not_mistaken_for_a_bad_reply():
    from agent.modules import RewriteModule

    class Broken(dspy.Module):
        def __call__(self, **kwargs):
            raise KeyError("renamed_field")

    module = RewriteModule()
    module.predict = Broken()
    with pytest.raises(KeyError):
        module(question="Where was Oska Tamm born?")


def test_a_decomposition_cut_off_by_the_cap_keeps_its_complete_sub_questions():
    from agent.lm.salvage import salvage_list

    cut = '{"sub_questions": ["Who designed the \\"Verrin\\" lighthouse?", "Where was #1 born?", "On wh'
    assert salvage_list(cut, "sub_questions") == ['Who designed the "Verrin" lighthouse?',
                                                  "Where was #1 born?"]

    assert salvage_list(cut, "keywords") == []
