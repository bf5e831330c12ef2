"""Run a dataset's questions through a `Session`, keeping every trace, resumably.

A run directory holds (see docs/evaluation.md)::

    run.json       settings and their fingerprint (a resumed run must match it)
    gold.jsonl     the questions with their gold answers and supporting documents
    traces.jsonl   one full agent trace per finished question (event per line, run id = question id)

Each finished question's trace is appended to `traces.jsonl` and flushed and fsynced at once,
so a killed run loses only the questions in flight. Re-running the same command skips the
question ids already there; a trace that was cut off mid-write is dropped and its question
run again.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.eval.datasets import Dataset, Question
from agent.eval.metrics import exact_match, f1_score
from agent.trace import Trace, read_traces
from tools.errors import ConfigError, DataFormatError
from tools.jsonfile import iter_jsonl, json_object

log = logging.getLogger(__name__)

RUN_FORMAT = 1
FINISHED = ("ok", "budget", "error", "insufficient: unusable LM replies")


class ResumeMismatchError(ConfigError):
    """The run directory was made with different settings."""


@dataclass
class RunProgress:
    """What a progress display needs after each question."""

    done: int
    total: int
    em_sum: float = 0.0
    f1_sum: float = 0.0
    scored: int = 0

    @property
    def em(self) -> float:
        return self.em_sum / self.scored if self.scored else 0.0

    @property
    def f1(self) -> float:
        return self.f1_sum / self.scored if self.scored else 0.0

    def add(self, em: float, f1: float) -> None:
        self.done += 1
        self.scored += 1
        self.em_sum += em
        self.f1_sum += f1


@dataclass
class EvalRun:
    run_dir: Path
    total: int
    skipped: int
    ran: int
    interrupted: bool
    errors: list[str] = field(default_factory=list)


def fingerprint(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_hash(path: str | Path | None) -> str | None:
    if not path:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def prepare_run_dir(run_dir: Path, settings: dict[str, Any], questions: list[Question]) -> None:
    """Create the run dir, or check that an existing one was made with the same settings."""
    run_dir.mkdir(parents=True, exist_ok=True)
    meta_path = run_dir / "run.json"
    fp = fingerprint(settings)
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError as exc:
            raise ResumeMismatchError(f"{meta_path}: unreadable ({exc}); use a new --out folder") from exc
        if meta.get("fingerprint") != fp:
            old = meta.get("settings", {})
            changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            raise ResumeMismatchError(
                f"{run_dir} holds a run made with different settings (changed: {', '.join(changed) or '?'}); "
                "resume it with the same flags, or pass a new --out folder")
    else:
        meta = {"format": RUN_FORMAT, "fingerprint": fp, "settings": settings, "created": time.time()}
        _atomic_write(meta_path, json.dumps(meta, indent=2, default=str))
    gold = "".join(json.dumps({"id": q.qid, "question": q.question, "answers": q.answers,
                               "supporting_ids": q.supporting_ids, "hops": _hops(q),
                               **{k: q.meta[k] for k in ("gold_items", "shape", "kind", "answer_type")
                                  if k in q.meta}},
                              ensure_ascii=False) + "\n"
                   for q in questions)
    _atomic_write(run_dir / "gold.jsonl", gold)


def _hops(q: Question) -> int | None:
    """The question's `hops` field, else its number of supporting documents."""
    hops = q.meta.get("hops")
    if isinstance(hops, (int, float)):
        return int(hops)
    return len(q.supporting_ids) or None


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_gold(run_dir: Path) -> dict[str, dict]:
    path = run_dir / "gold.jsonl"
    if not path.exists():
        raise ConfigError(f"{run_dir}: no gold.jsonl; is this a `hopper eval --mode agent` run folder?")
    return {row["id"]: row for _, row in iter_jsonl(path, json_object, error=DataFormatError)}


def load_finished(run_dir: Path, retry_errors: bool = False) -> list[Trace]:
    """Finished traces in `traces.jsonl`; repairs the file when a run was cut off mid-write.

    A trace without a `run_end` event, with status `cancelled`, or (with `retry_errors`)
    `error`, is dropped so that its question runs again; a duplicated question keeps its
    first finished trace.
    """
    path = run_dir / "traces.jsonl"
    if not path.exists():
        return []
    bad_lines: list[int] = []  # lines cut off by a kill
    traces = read_traces(path, on_bad=lambda n, _exc: bad_lines.append(n))
    keep_status = ("ok", "budget") if retry_errors else FINISHED
    finished = [t for t in traces if t.status in keep_status]
    if bad_lines or len(finished) != len(traces):
        log.info("dropping %d unfinished trace(s) and %d broken line(s) from %s",
                 len(traces) - len(finished), len(bad_lines), path)
        _atomic_write(path, "".join(t.to_jsonl() for t in finished))
    return finished


class TraceWriter:
    """Appends whole traces to a JSONL file, one at a time, durably."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._fh = path.open("a", encoding="utf-8")

    def write(self, trace: Trace) -> None:
        with self._lock:
            self._fh.write(trace.to_jsonl())
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def run_questions(session, dataset: Dataset, run_dir: str | Path, *, mode: str, settings: dict[str, Any],
                  limit: int | None = None, workers: int = 1, retry_errors: bool = False,
                  subscribers: Iterable[Callable] = (), on_start: Callable[[RunProgress], None] | None = None,
                  on_done: Callable[[Question, Trace, RunProgress], None] | None = None,
                  cancel: threading.Event | None = None) -> EvalRun:
    """Run the dataset's questions (the first `limit`) through `session.ask`, resumably.

    `session.ask(question, mode=, subscribers=, cancel=, trace=)` is called from `workers`
    threads. Ctrl-C (KeyboardInterrupt in the calling thread or raised by a subscriber) sets
    `cancel`, waits for the questions in flight to stop, and keeps every finished trace.
    """
    run_dir = Path(run_dir)
    questions = dataset.questions[:limit] if limit else list(dataset.questions)
    ids = [q.qid for q in questions]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"question id {dup!r} appears twice in {dataset.name}: ids must be unique")
    prepare_run_dir(run_dir, settings, dataset.questions)
    finished = {t.run_id: t for t in load_finished(run_dir, retry_errors)}
    progress = RunProgress(done=0, total=len(questions))
    for q in questions:
        if q.qid in finished:
            _score(progress, q, finished[q.qid])
    todo = [q for q in questions if q.qid not in finished]
    if on_start:
        on_start(progress)
    cancel = cancel or threading.Event()
    writer = TraceWriter(run_dir / "traces.jsonl")
    result = EvalRun(run_dir, len(questions), len(questions) - len(todo), 0, False)
    subs = list(subscribers)
    pool = cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="hopper-eval")
    pending: set[cf.Future] = set()
    try:
        pending = {pool.submit(_ask, session, q, mode, subs, cancel, writer) for q in todo}
        while pending:
            done, pending = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                q, trace = fut.result()
                if trace is not None:
                    _record(result, progress, q, trace, on_done)
            if cancel.is_set():
                for fut in pending:
                    fut.cancel()
    except KeyboardInterrupt:
        cancel.set()
        for fut in pending:
            fut.cancel()
        log.warning("interrupted: stopping the questions in flight (an LM call in progress finishes first); "
                    "finished questions are saved")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        writer.close()
    result.interrupted = cancel.is_set()
    return result


def _ask(session, q: Question, mode: str, subs: list[Callable], cancel: threading.Event,
         writer: TraceWriter) -> tuple[Question, Trace | None]:
    """Run one question in a worker thread; its trace when it finished (saved at once), else None."""
    if cancel.is_set():
        return q, None
    trace = Trace(run_id=q.qid)
    try:
        session.ask(q.question, mode=mode, subscribers=subs, cancel=cancel, trace=trace)
    except KeyboardInterrupt:
        cancel.set()
        return q, None
    except Exception as exc:  # noqa: BLE001 - recorded in the trace's run_end (status error); scored as wrong
        log.warning("question %s failed: %s", q.qid, exc)
        if trace.first("run_end") is None:
            trace.emit("run_end", status="error", seconds=0.0, lm_calls=0, tool_calls=0, tokens=0,
                       error=str(exc))
    if trace.status not in FINISHED:  # cancelled mid-run: it runs again next time
        return q, None
    writer.write(trace)
    return q, trace


def _score(progress: RunProgress, q: Question, trace: Trace) -> None:
    pred = trace.final.get("short_answer") or ""
    progress.add(exact_match(pred, q.answers) if q.answers else 0.0, f1_score(pred, q.answers))


def _record(result: EvalRun, progress: RunProgress, q: Question, trace: Trace,
            on_done: Callable[[Question, Trace, RunProgress], None] | None) -> None:
    """Count a question finished in this run (on the calling thread)."""
    result.ran += 1
    if trace.status == "error":
        end = trace.first("run_end")
        result.errors.append(f"{q.qid}: {end.data.get('error') if end else '?'}")
    _score(progress, q, trace)
    if on_done:
        on_done(q, trace, progress)
