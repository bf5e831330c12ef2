"""`hopper ask` with the real embedded LM over a tiny corpus where two documents give different
rivers for the same town: the answer says the documents disagree, cites both, and is not sure."""

from __future__ import annotations

import json

import pytest

from tui.cli import main

pytestmark = pytest.mark.slow

DOCS = {
    "lowbridge.md": "# Lowbridge\nLowbridge is a market town that lies on the Sarn river. Its market has "
                    "been held on Thursdays since 1790.",
    "gazetteer.md": "# Gazetteer of the north\nLowbridge lies on the Pwnriver. The gazetteer was printed in "
                    "1911 and lists forty towns.",
    "bridge.md": "# Kestrel Bridge\nThe Kestrel bridge at Lowbridge was built in 1858. It has five stone "
                 "arches.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish. They live along quiet rivers.",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("conflict")
    (root / "docs").mkdir()
    for name, text in DOCS.items():
        (root / "docs" / name).write_text(text + "\n", encoding="utf-8")
    assert main(["index", str(root / "docs"), "--index", str(root / "idx"), "--no-graph"]) == 0
    return root / "idx"


@pytest.mark.parametrize("mode", ["rag", "agent"])
def test_documents_that_disagree_are_shown_and_lower_the_confidence(index, tmp_path, monkeypatch, capsys,
                                                                     mode):
    monkeypatch.setenv("HOPPER_LM_CACHE_DIR", str(tmp_path / "lm-cache"))
    capsys.readouterr()
    assert main(["ask", "On which river lies Lowbridge?", "--index", str(index), "--mode", mode,
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    values = " ".join(c["value"] for c in out["conflicts"]).lower()
    assert "sarn" in values and "pwnriver" in values, out["answer"]
    assert "documents disagree" in out["answer"]
    cited = {c["n"]: c["doc_id"] for c in out["citations"]}
    assert {cited[n] for c in out["conflicts"] for n in c["citations"]} == {"lowbridge.md", "gazetteer.md"}
    assert out["confidence"] <= 0.5 and out["abstained"]  # below the default threshold: a best guess
    assert any(e["type"] == "conflict" for e in out["trace"])
    # The terminal answer shows it too.
    assert main(["ask", "On which river lies Lowbridge?", "--index", str(index), "--mode", mode]) == 0
    shown = capsys.readouterr().out
    assert "documents disagree" in shown and "Pwnriver" in shown and "Sarn" in shown
    print(f"\n{mode}: {out['answer']} ({out['confidence']})")
