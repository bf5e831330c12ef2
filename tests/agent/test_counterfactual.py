"""Unanswerable variants of training questions (`benchmarks/counterfactual.py`), on a corpus made here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

# loaded from its file: an installed package elsewhere is also named `benchmarks`
_SPEC = importlib.util.spec_from_file_location(
    "hopper_counterfactual", Path(__file__).resolve().parents[2] / "benchmarks" / "counterfactual.py")
_MODULE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MODULE)
changed, counterfactual, main = _MODULE.changed, _MODULE.counterfactual, _MODULE.main

TEXT = "the harwick cup of 1998 went to tessa vane. in 2001 the cup was held in 15 towns.".lower()


def test_a_number_the_documents_hold_is_changed_to_a_nearby_one_they_do_not():
    assert changed("1998", TEXT) == "1995"  # 1998 + 3 = 2001 is held; 1998 - 3 is the first that is not
    new = counterfactual("Who won the Harwick Cup of 1998?", TEXT)
    assert new is not None and "1998" not in new and new.startswith("Who won the Harwick Cup of ")
    number = new.removeprefix("Who won the Harwick Cup of ").rstrip("?")
    assert number.isdigit() and number not in TEXT and abs(int(number) - 1998) <= 41


def test_a_question_without_a_held_number_has_no_variant():
    assert counterfactual("Who won the Harwick Cup?", TEXT) is None
    assert counterfactual("Who won the Harwick Cup of 1874?", TEXT) is None  # already absent


def test_the_written_folder_reuses_the_corpus_and_keeps_only_training_questions(tmp_path):
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    (data / "docs" / "cup.md").write_text("# Harwick Cup\n\nThe Harwick Cup of 1998 went to Tessa Vane.\n")
    rows = [{"id": "a", "question": "Who won the Harwick Cup of 1998?", "answers": ["Tessa Vane"],
             "split": "train"},
            {"id": "b", "question": "Who won the Harwick Cup of 1998 again?", "answers": ["Tessa Vane"],
             "split": "test"}]
    (data / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "cf"
    main([str(data), "--split", "train", "--out", str(out)])
    written = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    assert [q["id"] for q in written] == ["cf-a"] and written[0]["answers"] == []
    assert (out / "docs").resolve() == (data / "docs").resolve()
