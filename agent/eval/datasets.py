"""Evaluation datasets: BEIR folders, generic QA folders and HotpotQA files.

Every loader returns a `Dataset`: a corpus to index (paths + format), questions, and
relevance judgements (qrels) at document level. A malformed line raises `DataFormatError`
naming the file and line.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tools.errors import DataFormatError
from tools.jsonfile import iter_jsonl, json_object

Kind = Literal["beir", "qa", "hotpotqa"]


@dataclass
class Question:
    qid: str
    question: str
    answers: list[str] = field(default_factory=list)
    supporting_ids: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


@dataclass
class Dataset:
    name: str
    kind: Kind
    corpus_paths: list[Path]
    corpus_format: Literal["jsonl", "hotpotqa", "files"]
    questions: list[Question]
    qrels: dict[str, dict[str, int]]


def _read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSON-lines file, each with its line number under `__line__`."""
    return [row | {"__line__": n} for n, row in iter_jsonl(path, json_object, error=DataFormatError)]


def load_beir(folder: Path, split: str = "test") -> Dataset:
    qrels_path = folder / "qrels" / f"{split}.tsv"
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
            if n == 1 and row and row[0] == "query-id":
                continue
            if len(row) < 3:
                raise DataFormatError(f"{qrels_path}:{n}: expected query-id, corpus-id, score")
            try:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
            except ValueError as exc:
                raise DataFormatError(f"{qrels_path}:{n}: score {row[2]!r} is not an integer") from exc
    questions = []
    for row in _read_jsonl(folder / "queries.jsonl"):
        qid = str(row.get("_id", row.get("id", "")))
        if not qid or "text" not in row:
            raise DataFormatError(f"{folder / 'queries.jsonl'}:{row['__line__']}: needs _id and text")
        if qid in qrels:
            questions.append(Question(qid, row["text"], supporting_ids=sorted(qrels[qid])))
    return Dataset(folder.name, "beir", [folder / "corpus.jsonl"], "jsonl", questions, qrels)


def load_qa(folder: Path, split: str | None = None, questions_file: str = "questions.jsonl") -> Dataset:
    """`corpus.jsonl` (or a `docs/` folder of files) + `questions.jsonl` (id, question, answers,
    supporting_ids; optional `gold_items`: the names or document ids a list/compare/explain answer
    should give, each a string or a list of alternative strings)."""
    qpath = folder / questions_file
    questions = []
    for row in _read_jsonl(qpath):
        try:
            q = Question(str(row["id"]), str(row["question"]), [str(a) for a in row.get("answers", [])],
                         [str(s) for s in row.get("supporting_ids", [])],
                         {k: v for k, v in row.items()
                          if k not in ("id", "question", "answers", "supporting_ids", "__line__")})
        except KeyError as exc:
            raise DataFormatError(f"{qpath}:{row['__line__']}: missing field {exc}") from exc
        if split and q.meta.get("split", split) != split:
            continue
        questions.append(q)
    if (folder / "corpus.jsonl").exists():
        paths, fmt = [folder / "corpus.jsonl"], "jsonl"
    elif (folder / "docs").is_dir():
        paths, fmt = [folder / "docs"], "files"
    else:
        raise DataFormatError(f"{folder}: a QA dataset needs corpus.jsonl or a docs/ folder")
    qrels = {q.qid: {d: 1 for d in q.supporting_ids} for q in questions}
    stem = Path(questions_file).stem
    name = folder.name if questions_file == "questions.jsonl" else f"{folder.name}/{stem}"
    return Dataset(name, "qa", paths, fmt, questions, qrels)


def question_range(split: str | None, n: int) -> range:
    """Questions `A-B` (1-based, inclusive) of `n`, e.g. `1-50` (tuning) and `51-100` (held out)."""
    if not split:
        return range(n)
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", split)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise DataFormatError(f"split {split!r}: a HotpotQA split is a question range such as 1-50 or 51-100")
    return range(int(m.group(1)) - 1, min(int(m.group(2)), n))


def load_hotpotqa(folder: Path, split: str | None = None) -> Dataset:
    qpath = folder / "questions.json"
    try:
        rows = json.loads(qpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{qpath}: unreadable HotpotQA questions ({exc})") from exc
    questions = []
    keep = set(question_range(split, len(rows)))
    for n, row in enumerate(rows):
        if n not in keep:
            continue
        try:
            titles = list(dict.fromkeys(t for t, _ in row["supporting_facts"]))
            meta = {"type": row.get("type"), "level": row.get("level"), "hops": len(titles)}
            answers = [row["answer"]] if row.get("answer") else []  # "" : no document answers it
            questions.append(Question(str(row["_id"]), row["question"], answers, titles, meta))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(f"{qpath}: question #{n + 1} is malformed ({exc})") from exc
    qrels = {q.qid: {t: 1 for t in q.supporting_ids} for q in questions}
    return Dataset(folder.name, "hotpotqa", [folder / "corpus.json"], "hotpotqa", questions, qrels)


def detect(path: Path) -> Kind:
    if (path / "qrels").is_dir() and (path / "queries.jsonl").exists():
        return "beir"
    if (path / "questions.json").exists() and (path / "corpus.json").exists():
        return "hotpotqa"
    if (path / "questions.jsonl").exists():
        return "qa"
    raise DataFormatError(f"{path}: not a dataset folder (expected BEIR corpus.jsonl+queries.jsonl+qrels/, "
                          "QA corpus.jsonl|docs/+questions.jsonl, or HotpotQA questions.json+corpus.json)")


def load_dataset(path: str | Path, split: str | None = None) -> Dataset:
    """A dataset folder, or a QA questions file (`.jsonl`) whose folder holds the corpus
    (e.g. `examples/demo/open_questions.jsonl`)."""
    path = Path(path)
    if path.is_file() and path.suffix == ".jsonl":
        return load_qa(path.parent, split, path.name)
    if not path.is_dir():
        raise DataFormatError(f"{path}: no such dataset folder")
    kind = detect(path)
    if kind == "beir":
        return load_beir(path, split or "test")
    if kind == "hotpotqa":
        return load_hotpotqa(path, split)
    return load_qa(path, split)
