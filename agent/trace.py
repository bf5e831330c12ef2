"""Agent traces: typed events, sent to subscribers as they happen and saved as JSONL.

Schema (version 1). Each line of a trace file is one event::

    {"v": 1, "run": RUN_ID, "seq": N, "t": SECONDS_SINCE_START, "type": TYPE, "data": {...}}

Event types and their `data`:

- `run_start`: question, mode, lm, fast_lm, index_dir, index_generation, settings, started (unix time)
- `decompose`: nodes [{id, text, depends_on}], fallback (an `agent.outcome.Code`, or null)
- `queries`: node, queries [{tool, query}] (a sub-question's first searches, built by code:
  `agent.rounds.node_queries`)
- `rewrite`: node, queries [{tool, query}], fallback (a code, or null) (a later round's searches, from
  the LM's rewrite step; traces made before the first round's searches were built by code (da834d5)
  hold a `rewrite` event for those too, and read as they were)
- `tool_call`: node, tool, args, hits [{chunk_id, doc_id, title, score}], new (unseen chunk ids), seconds,
  error
- `lm_call`: step, model, prompt_tokens, completion_tokens, seconds, cached
- `round`: node, round, answered, answer, support [chunk ids], confidence, method (one reading round of a
  sub-question; a v1 trace's `judge` event is read as one)
- `node_answer`: node, text, answer, chunk_ids, status ("answered" | "unanswered")
- `fallback`: step, node, code (`agent.outcome.Code`: what programs read), reason (for people)
- `budget`: reason (an `agent.outcome.Stop`: rounds | tool_calls | tokens | seconds), node
- `answer`: answer, short_answer, citations [{n, chunk_id, doc_id, title, source, quote}],
  evidence [chunk ids], sufficient, confidence (0-1 or null), abstained (bool: below the confidence
  threshold, a best guess), checks [{code, ok, reason}], shape, items [{text, citations}],
  conflicts [{value, citations, quote}] (empty unless passages disagree)
- `step`: kind ("lm" | "tool"), step, node, text (what is happening now, emitted before the work starts)
- `read`: node, question, answer_type, sentences [{chunk_id, text, score}], candidates [{text, score}]
- `check`: node, target (an answer), code, ok, reason (one verdict of `agent.reading.checks`)
- `injection`: chunk_id, title, sentences (sentences addressed to an assistant, hidden from the LM)
- `conflict`: answer, conflicts [{value, citations, quote}] (the answer first, then each value another
  passage gives), confidence (lowered), was (before)
- `shape`: shape ("factoid" | "list" | "compare" | "explain"), source ("rules" | "lm" | "forced")
- `synthesis`: items [{text, citations}], dropped (unsupported sentences removed), overview
- `followup`: question (as asked), standalone (as researched), by ("code" | "lm"), refs (what was
  replaced: "he → Edda Marsh")
- `compound`: parts (a question asking two things, each researched on its own; `agent.compound`)
- `run_end`: status (an `agent.outcome.Status`: ok | budget | cancelled | error | insufficient: ...),
  seconds, lm_calls, tool_calls, tokens, error

Secrets never enter a trace: settings are written through `agent.config.describe`-style masking,
and credentials inside URLs (`http://user:PASS@host`, `?api_key=`) are masked in every event.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import DataFormatError
from tools.jsonfile import iter_jsonl, to_json
from tools.redact import mask_value

SCHEMA_VERSION = 1
EVENT_TYPES = ("run_start", "decompose", "queries", "rewrite", "tool_call", "lm_call", "round", "node_answer",
               "fallback", "budget", "answer", "run_end", "step", "read", "check", "injection", "shape",
               "synthesis", "select", "followup", "conflict", "compound")

Subscriber = Callable[["TraceEvent"], None]


def upgrade_event(row: dict[str, Any]) -> dict[str, Any]:
    """An event of an older trace in today's terms: a `judge` event (the removed judge step's name
    for a reading round, with fields that were always empty) becomes a `round` event."""
    if row.get("type") != "judge":
        return row
    empty = ("missing", "next_tool", "next_query")
    data = {k: v for k, v in (row.get("data") or {}).items() if k not in empty}
    data["answered"] = bool(data.pop("answerable", False))
    return {**row, "type": "round", "data": data}


@dataclass
class TraceEvent:
    run: str
    seq: int
    t: float
    type: str
    data: dict[str, Any]
    v: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return to_json(asdict(self), default=str)  # a file name that is not UTF-8 stays an escape

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> TraceEvent:
        row = upgrade_event(row)
        if row.get("type") not in EVENT_TYPES:
            raise ValueError(f"unknown event type {row.get('type')!r}")
        if int(row.get("v", 1)) > SCHEMA_VERSION:
            raise ValueError(f"trace schema v{row['v']} is newer than this Hopper (v{SCHEMA_VERSION})")
        return cls(run=row["run"], seq=int(row["seq"]), t=float(row["t"]), type=row["type"],
                   data=dict(row.get("data") or {}), v=int(row.get("v", 1)))


@dataclass
class Trace:
    """The events of one agent run; subscribers see each event the moment it is recorded."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    events: list[TraceEvent] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._t0 = time.perf_counter()
        self._lock = threading.Lock()

    def emit(self, type: str, **data: Any) -> TraceEvent:
        """Record an event; credentials inside URLs anywhere in `data` are masked first."""
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown trace event type {type!r}")
        data = mask_value(data)
        with self._lock:
            seconds = round(time.perf_counter() - self._t0, 4)
            event = TraceEvent(self.run_id, len(self.events), seconds, type, data)
            self.events.append(event)
        for subscriber in list(self.subscribers):
            subscriber(event)
        return event

    def of_type(self, type: str) -> list[TraceEvent]:
        return [e for e in self.events if e.type == type]

    def first(self, type: str) -> TraceEvent | None:
        return next((e for e in self.events if e.type == type), None)

    @property
    def question(self) -> str:
        start = self.first("run_start")
        return start.data.get("question", "") if start else ""

    @property
    def final(self) -> dict[str, Any]:
        answer = self.first("answer")
        return answer.data if answer else {}

    @property
    def status(self) -> str:
        end = self.first("run_end")
        return end.data.get("status", "unfinished") if end else "unfinished"

    def to_jsonl(self) -> str:
        return "".join(e.to_json() + "\n" for e in self.events)

    def save(self, path: str | Path, append: bool = False) -> None:
        with Path(path).open("a" if append else "w", encoding="utf-8") as fh:
            fh.write(self.to_jsonl())


def read_traces(path: str | Path, on_bad: Callable[[int, Exception], None] | None = None) -> list[Trace]:
    """Every trace in a JSONL file (one or many runs, grouped by run id, in file order).

    A bad line raises `DataFormatError`, or is passed to `on_bad` and skipped when given
    (a file whose writer was killed ends in half a line).
    """
    traces: dict[str, Trace] = {}
    for _, event in iter_jsonl(Path(path), TraceEvent.from_dict, error=DataFormatError, on_bad=on_bad,
                               bad="not a Hopper trace event"):
        traces.setdefault(event.run, Trace(run_id=event.run)).events.append(event)
    return list(traces.values())


def iter_traces(path: str | Path) -> Iterator[Trace]:
    """Every trace in a JSONL file (one or many runs, grouped by run id, in file order)."""
    yield from read_traces(path)


def load_trace(path: str | Path) -> Trace:
    """The single (or first) trace in a file."""
    for trace in iter_traces(path):
        return trace
    raise DataFormatError(f"{path}: no trace events")
