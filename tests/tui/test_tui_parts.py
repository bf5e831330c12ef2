"""The TUI's pure parts: citation renumbering, trust lines, short paths, TOML updates, passage lines."""

from __future__ import annotations

import tomllib

import pytest
from tui_support import cite

from tui.opener import open_command, passage_line
from tui.tomlwrite import update_toml
from tui.widgets.evidence import find_span
from tui.widgets.turns import TurnView, answer_text, shown_source, trust_lines, turn_markdown


def test_renumber_follows_the_answer_and_drops_unknown_markers():
    answer = {"answer": "A [6] and B [2]; C [9].", "citations": [cite(2, "Two", "x"), cite(6, "Six", "y"),
                                                                 cite(4, "Four", "z")]}
    turn = TurnView.from_saved(1, "q?", answer, "ok")
    assert turn.answer == "A [1] and B [2]; C [?]."
    assert [(c["n"], c["title"], c["orig_n"]) for c in turn.citations] == [(1, "Six", 6), (2, "Two", 2),
                                                                            (3, "Four", 4)]


def test_renumber_items_of_a_synthesis():
    answer = {"answer": "", "shape": "compare", "citations": [cite(3, "C", "c"), cite(8, "H", "h")],
              "items": [{"text": "H is older [8]", "citations": [8]},
                        {"text": "C is taller", "citations": [3, 5]}]}
    turn = TurnView.from_saved(7, "q?", answer, "ok")
    assert turn.items == [{"text": "H is older [1]", "citations": [1]},
                          {"text": "C is taller", "citations": [2]}]
    md = turn_markdown(turn)
    assert md.endswith("- H is older [\\[1\\]](cite:7:1)\n- C is taller [\\[2\\]](cite:7:2)")
    assert answer_text(turn).startswith("- H is older [1]\n- C is taller [2]\n\n[1] H (")


def test_trust_lines():
    bare = TurnView(1, "q", "a", "ok")
    assert trust_lines(bare) == []
    events = [{"type": "fallback",
               "data": {"step": "read", "code": "read.part", "node": 1,
                        "reason": "reply 'Oska Tamm, the' cut to 'Oska Tamm'"}},
              {"type": "fallback",
               "data": {"step": "answer", "reason": "answer had no citation", "node": None}}]
    checks = [{"code": "x.ok", "ok": True}, {"code": "y.bad", "ok": False, "reason": "why"}]
    answer = {"answer": "a", "confidence": 0.6, "abstained": False, "checks": checks}
    turn = TurnView.from_saved(1, "q", answer, "ok", events)
    assert trust_lines(turn) == [
        "⚠ **Answered after 2 fallback(s)**: read: reply 'Oska Tamm, the' cut to 'Oska Tamm'; "
        "answer: answer had no citation",
        "confidence **60%** (medium) · checks 1/2 passed · ✗ `y.bad` why"]
    assert TurnView.from_saved(1, "q", {"answer": "a", "confidence": "n/a"}, "ok").confidence is None
    # a fallback in planning the search is not a warning about the answer
    plan = [{"type": "fallback", "data": {"step": "decompose", "reason": "only echoed the question"}},
            {"type": "fallback", "data": {"step": "rewrite", "reason": "no queries", "node": 1}}]
    assert trust_lines(TurnView.from_saved(1, "q", {"answer": "a"}, "ok", plan)) == [
        "_search plan: 2 fallback(s) (decompose, rewrite); see the run tree_"]


def test_short_source_path():
    assert shown_source({"source": "/home/me/notes/docs/a/b.md", "doc_id": "a/b.md"}) == "docs/a/b.md"
    assert shown_source({"source": "corpus.jsonl#L12", "doc_id": "12"}) == "corpus.jsonl#L12"
    assert shown_source({"source": "", "doc_id": "x.md"}) == "x.md"


def test_find_span_ignores_case_and_line_breaks():
    text = "First one.\nIt was designed by\n  Oska Tamm. Last."
    start, end = find_span(text, "it was designed by Oska Tamm.")
    assert text[start:end] == "It was designed by\n  Oska Tamm."
    assert find_span(text, "not there") is None and find_span(text, "") is None


def test_toml_update_keeps_comments_unknown_keys_and_layout(tmp_path):
    path = tmp_path / "hopper.toml"
    path.write_text("# my settings\nindex_dir = \"idx\"\n\n[lm]\nmodel = \"local\"  # the embedded one\n"
                    "future_option = 7  # a key this Hopper does not know\n\n[plugins.extra]\nx = [1, 2]\n")
    update_toml(path, {"lm.model": "openai/gpt-4o-mini", "lm.fast_model": "x", "agent.max_rounds": 3,
                       "index_dir": "i2", "lm.cache": False, "lm.temperature": 0.5})
    assert path.read_text() == (
        "# my settings\nindex_dir = \"i2\"\n\n[lm]\nmodel = \"openai/gpt-4o-mini\"  # the embedded one\n"
        "future_option = 7  # a key this Hopper does not know\nfast_model = \"x\"\ncache = false\n"
        "temperature = 0.5\n\n[plugins.extra]\nx = [1, 2]\n\n[agent]\nmax_rounds = 3\n")
    # an unchanged value is left as written; inline tables and dotted keys are updated in place
    path.write_text("lm = { model = \"local\" }  # inline\nagent.k = 4\nagent.max_rounds = 0x2\n")
    update_toml(path, {"lm.model": 'say "hi"', "agent.k": 5, "agent.max_rounds": 2})
    assert path.read_text() == ("lm = { model = \"say \\\"hi\\\"\" }  # inline\nagent.k = 5\n"
                                "agent.max_rounds = 0x2\n")
    assert tomllib.loads(path.read_text()) == {"lm": {"model": 'say "hi"'},
                                               "agent": {"k": 5, "max_rounds": 2}}
    # bad input: a clear error, the file untouched
    for text, values, error in [("[lm\n", {"lm.model": "x"}, "not valid TOML"),
                                ("lm = 3\n", {"lm.model": "x"}, "lm is a value, not a table"),
                                ("", {"lm.model": ["a"]}, "only text, numbers and booleans")]:
        path.write_text(text)
        with pytest.raises(ValueError, match=error):
            update_toml(path, values)
        assert path.read_text() == text


def test_passage_line_and_open_command(tmp_path):
    doc = tmp_path / "a.md"
    doc.write_text("# Title\n\nFirst paragraph here.\n\n"
                   "The Verrin lighthouse was designed by Oska Tamm\nin 1866.\n")
    assert passage_line(doc, "The Verrin lighthouse was designed by Oska Tamm in 1866.") == 5
    assert passage_line(doc, "First paragraph here. The Verrin lighthouse") == 3  # across a blank line
    assert passage_line(doc, "# Title\n\nFirst paragraph here.") == 1
    assert passage_line(doc, "Nothing like it anywhere at all.") == 1
    assert open_command(doc, "The Verrin lighthouse was designed", env={"PAGER": "less -R"}) == \
        ["less", "-R", "+5", str(doc)]
    assert open_command(doc, edit=True, env={"EDITOR": "nvim"}) == ["nvim", "+1", str(doc)]
    assert open_command(doc, edit=True, env={})[0] == "vi"
    with pytest.raises(FileNotFoundError, match="re-sync"):
        open_command(tmp_path / "gone.md")


def test_tree_labels_of_the_reading_events():
    from tui.widgets.run_tree import RunTree

    tree = RunTree()
    tree.start_turn(1, "q?")
    tree.add_event(1, {"type": "read", "data": {"node": 1, "answer": "the Sarn", "confidence": 0.87,
                                                "candidates": [{"text": "the Sarn", "score": 2.0}]}})
    tree.add_event(1, {"type": "read", "data": {"node": 2, "answer": "", "candidates": []}})
    tree.add_event(1, {"type": "check", "data": {"node": 1, "code": "answer.echo", "ok": False,
                                                 "reason": "repeats the question"}})
    labels = [str(leaf.label) for sub in tree.turn_node(1).children for leaf in sub.children]
    assert labels == ["read: the Sarn  87%", "check ✗ answer.echo: repeats the question",
                      "read: no answer in the sentences"]


def test_what_is_happening_now_in_words():
    from agent.trace import Trace
    from tui.live import LiveLine, describe_event

    read_step = {"kind": "lm", "step": "read", "node": 2, "text": "read #2 with the LM"}
    assert describe_event("step", read_step) == "reading the passages #2 with the LM…"
    assert describe_event("step", {"kind": "tool", "step": "bm25_search", "text": "bm25_search Verrin"}) == \
        "bm25_search Verrin…"
    assert describe_event("fallback", {"step": "read", "reason": "no evidence sentences to read"}) == \
        "fallback (read): no evidence sentences to read"
    assert describe_event("round", {"node": 1, "round": 2, "answered": True, "answer": "Sarn"}) == \
        "read #1 round 2: answer 'Sarn'"
    assert describe_event("lm_call", {"step": "read"}) == "LM read done"
    assert describe_event("read", {}) is None
    live = LiveLine(enabled=False)  # `hopper ask`'s status line uses the same words
    trace = Trace(subscribers=[live])
    trace.emit("step", kind="lm", step="decompose", node=None, text="decompose with the LM")
    assert live.doing == "splitting the question with the LM…"
    trace.emit("tool_call", node=1, tool="bm25_search", args={"query": "[b] Verrin"}, hits=[], new=[],
               seconds=0.1, error=None)
    assert live.tools == 1 and "\\[b] Verrin" in live._text()  # markup in a query is shown, not parsed
