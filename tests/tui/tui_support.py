"""Helpers for the TUI tests: a session replaying a recorded agent trace; waiting without sleeping."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

from textual import events
from textual.keys import _character_to_key

from agent.result import AgentResult, Citation
from agent.trace import Trace, load_trace

DATA = Path(__file__).parent / "data"
TRACE = DATA / "demo_trace.jsonl"
RESULT = DATA / "demo_result.json"


class ReplaySession:
    """Stands in for `agent.session.Session`: replays `demo_trace.jsonl` through the subscribers.

    `pause_after=N` stops after N events until the run is cancelled (`paused` is set then),
    so a test can cancel mid-run without sleeping. `error` makes `ask` raise it after run_start.
    """

    def __init__(self, pause_after: int | None = None, error: BaseException | None = None):
        self.recorded = load_trace(TRACE)
        self.result = json.loads(RESULT.read_text())
        self.pause_after = pause_after
        self.error = error
        self.paused = threading.Event()
        self.calls: list[dict] = []
        self.agent = SimpleNamespace(runtime=SimpleNamespace(lm_name="Qwen2.5-Coder-0.5B (recorded trace)"))
        self.index = SimpleNamespace(store=passage_store(self.result["citations"]))

    def ask(self, question, *, mode=None, subscribers=(), cancel=None, history=(), trace=None) -> AgentResult:
        self.calls.append({"question": question, "mode": mode, "history": list(history)})
        trace = trace or Trace(run_id="replay")
        trace.subscribers.extend(subscribers)
        end = self.recorded.first("run_end").data
        for i, event in enumerate(self.recorded.events):
            if self.pause_after is not None and i == self.pause_after:
                self.paused.set()
                cancel.wait(timeout=30)
            if cancel is not None and cancel.is_set():
                trace.emit("answer", answer="Cancelled.", short_answer="", sufficient=False, citations=[],
                           evidence=[])
                trace.emit("run_end", status="cancelled", seconds=1.5, lm_calls=1, tool_calls=1, tokens=100,
                           error=None)
                return AgentResult(question, "Cancelled.", "", [], [], [], False, "cancelled", trace)
            data = dict(event.data)
            if event.type == "run_start":
                data["question"] = question
            if self.error is not None and event.type != "run_start":
                trace.emit("run_end", status="error", seconds=0.1, lm_calls=0, tool_calls=0, tokens=0,
                           error=str(self.error))
                raise self.error
            trace.emit(event.type, **data)
        r = self.result
        cites = [Citation(**c) for c in r["citations"]]
        assert end["status"] in ("ok", "budget")
        return AgentResult(question, r["answer"], r["short_answer"], cites, r["evidence"], [],
                           r["sufficient"], r["status"], trace)


def passage_store(citations: list[dict]):
    """A real `ChunkStore` holding the cited passages (what the TUI reads a hit's text from)."""
    from tools.store import ChunkStore
    from tools.types import Chunk

    chunks = {c["chunk_id"]: Chunk(c["chunk_id"], c["doc_id"], c["title"], c["text"], c["source"], 0,
                                   len(c["text"]), "h") for c in citations}
    docs = {c.doc_id: {"title": c.title, "source": c.source, "chunks": [c.chunk_id]} for c in chunks.values()}
    return ChunkStore(list(chunks.values()), docs)


class ScriptedSession:
    """A session whose run emits `events` [(type, data)] and returns an AgentResult built from `result`.

    `pause_at=i` stops before event i until `resume` is set (`paused` is set then), so a test can
    look at the screen in the middle of a run.
    """

    def __init__(self, events: list[tuple[str, dict]], result: dict, pause_at: int | None = None):
        self.events, self.result, self.pause_at = events, result, pause_at
        self.paused, self.resume = threading.Event(), threading.Event()
        self.calls: list[str] = []
        self.agent = SimpleNamespace(runtime=SimpleNamespace(lm_name="scripted"))
        self.index = SimpleNamespace(store=passage_store(result.get("citations", [])))

    def ask(self, question, *, mode=None, subscribers=(), cancel=None, history=(), trace=None) -> AgentResult:
        self.calls.append(question)
        trace = trace or Trace(run_id=f"scripted{len(self.calls)}")
        trace.subscribers.extend(subscribers)
        trace.emit("run_start", question=question, mode="agent")
        for i, (kind, data) in enumerate(self.events):
            if i == self.pause_at:
                self.paused.set()
                self.resume.wait(timeout=30)
            trace.emit(kind, **data)
        trace.emit("run_end", status=self.result.get("status", "ok"), seconds=1.0, lm_calls=1, tool_calls=1,
                   tokens=10, error=None)
        r = dict(self.result)
        cites = [Citation(**c) for c in r.pop("citations", [])]
        return AgentResult(question, r.pop("answer"), r.pop("short_answer", ""), cites, [], [], True,
                           r.pop("status", "ok"), trace, **r)


def cite(n: int, title: str, text: str, quote: str = "", doc_id: str = "", source: str = "") -> dict:
    """A citation dict as `AgentResult.citations` holds it."""
    doc_id = doc_id or f"{title.lower().replace(' ', '_')}.md"
    return {"n": n, "chunk_id": f"{doc_id}#0", "doc_id": doc_id, "title": title,
            "source": source or f"/home/me/notes/docs/{doc_id}", "text": text, "quote": quote}


async def type_text(pilot, text: str) -> None:
    """Type `text` into the focused widget: the key events `pilot.press(*text)` sends (same names,
    same characters, through the app to the focused widget, in order), posted together and waited
    for once. `pilot.press` waits for the app to go idle twice after every key (at least 40 ms a
    character), which made typing a question most of a TUI test's time."""
    for char in text:
        name = char if char.isalnum() else _character_to_key(char)
        pilot.app.post_message(events.Key(name, char))
    await pilot.pause()


async def ask(pilot, question: str) -> None:
    """Ask `question` as a user does (ctrl+l, type it, enter) and wait for the answer."""
    await pilot.press("ctrl+l")
    await type_text(pilot, question)
    await pilot.press("enter")
    await settle(pilot.app, pilot)


async def settle(app, pilot) -> None:
    """Wait for every worker, then for the messages they posted to be handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(event: threading.Event, timeout: float = 30) -> bool:
    """Wait on a thread event without blocking the app's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, event.wait, timeout)


def result_dict(result: AgentResult) -> dict:
    return {"answer": result.answer, "short_answer": result.short_answer,
            "citations": [asdict(c) for c in result.citations], "evidence": result.evidence,
            "sufficient": result.sufficient, "status": result.status}


def screen_text(app) -> str:
    """The screen as plain text (to find where something is drawn, e.g. a citation marker)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A small valid PDF with one text line per string on each page (Helvetica), for page-number tests."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        ops = "BT /F1 11 Tf 14 TL 50 750 Td " + " ".join(f"({line}) Tj T*" for line in escaped)
        stream = ops + " ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)
    return path
