"""`hopper ask "QUESTION" --index DIR`: the research agent's cited answer."""

from __future__ import annotations

import argparse

from tui.common import (
    add_index_arg,
    add_lm_args,
    add_max_rounds_arg,
    add_min_confidence_arg,
    config_from_args,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help="the question to research")
    add_index_arg(p)
    add_lm_args(p)
    p.add_argument("--mode", choices=["agent", "rag", "closed"], default=None,
                   help="agent (default): plan, search, read, check, loop; rag: one hybrid search; "
                        "closed: no retrieval")
    add_max_rounds_arg(p)
    add_min_confidence_arg(p)
    p.add_argument("--program", default=None, help="compiled program file from `hopper optimize`")
    p.add_argument("--trace", metavar="FILE", default=None, help="write the run's trace as JSONL")
    p.add_argument("--json", action="store_true",
                   help="print {shape, answer, items, citations, evidence, trace} as JSON")
    p.add_argument("--shape", choices=["auto", "factoid", "list", "compare", "explain"], default=None,
                   help="answer shape (default auto: classified per question); list/compare/explain give a "
                        "cited synthesis")
    p.add_argument("--out", metavar="REPORT.md", default=None,
                   help="also save the answer and its references as a Markdown report")
    p.add_argument("--session", default=None, metavar="ID|new",
                   help="ask within a saved session (the TUI's, ctrl+r): its earlier turns make a follow-up "
                        "such as 'When did he die?' stand alone, and the turn is saved there; 'new' starts "
                        "one. The session's index is used")
    p.add_argument("--sessions-db", default=None, metavar="FILE",
                   help="sessions database (default: sessions.sqlite3 in the user data directory)")


def run(args: argparse.Namespace) -> int:
    import contextlib
    import signal
    import threading

    from agent.session import Session
    from agent.trace import Trace
    from tools.errors import HopperError
    from tui.common import require_text
    from tui.live import LiveLine

    question = require_text(args.question, "question", 'hopper ask "Who designed the Verrin lighthouse?"')
    cfg, saved = _config(args, question)
    session = Session(cfg)
    if saved:
        saved.start(question)
    cancel = threading.Event()
    trace = Trace()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        with LiveLine(enabled=None if not args.json else False) as live:
            subscribers = [live] + ([saved.append] if saved else [])
            result = session.ask(question, subscribers=subscribers, cancel=cancel, trace=trace,
                                 history=saved.history if saved else ())
    except BaseException as exc:
        if args.trace and trace.events:  # the trace of what ran, even when the run failed
            with contextlib.suppress(HopperError):
                _save_trace(trace, args.trace)
        if saved:
            saved.fail(exc)
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if saved:
        saved.finish(result)
    if args.trace:
        _save_trace(trace, args.trace)
    if getattr(args, "out", None):
        from agent.report import write_report

        write_report([result], args.out, index_dir=cfg.index_dir or None)
    if args.json:
        _print_json(result, saved.session_id if saved else None)
        return 0 if result.status != "cancelled" else 130
    print_answer(result)
    if saved:
        print(f"session {saved.session_id}: ask a follow-up with --session {saved.session_id}")
    return 0 if result.status != "cancelled" else 130


class SavedTurn:
    """The turn of `hopper ask --session`: the session's history in, the question, trace and answer out."""

    def __init__(self, store, session_id: int, history: list[tuple[str, str]]):
        self.store, self.session_id, self.history = store, session_id, history
        self.turn_id = 0

    @classmethod
    def open(cls, args, cfg) -> SavedTurn:
        """Open `--session ID|new`: the session's index (and LM, unless --lm is given) go into `cfg`."""
        from tools.errors import ConfigError
        from tools.redact import MASK
        from tui.sessions import SessionStore, session_index

        store = SessionStore(getattr(args, "sessions_db", None))
        if str(args.session).lower() == "new":
            session_id, history = store.new_session("", cfg.index_dir, cfg.lm.model), []
        else:
            try:
                session_id = int(args.session)
            except ValueError:
                raise ConfigError(f"--session takes a number or 'new', not {args.session!r}") from None
            info = store.get_session(session_id)
            if info is None:
                raise ConfigError(f"no saved session {session_id}: `hopper tui` lists them (ctrl+r), or "
                                  f"pass --session new")
            cfg.index_dir = session_index(info, args.index)
            # its LM, unless --lm says otherwise (a masked URL: the configured LM, which has the key)
            if info.model and MASK not in info.model and getattr(args, "lm", None) is None:
                cfg.lm.model = info.model
            history = store.history(session_id)
        return cls(store, session_id, history)

    def start(self, question: str) -> None:
        self.turn_id = self.store.start_turn(self.session_id, question)

    def append(self, event) -> None:
        self.store.append_event(self.turn_id, event)

    def finish(self, result) -> None:
        self.store.finish_turn(self.turn_id, result.status, result.to_dict(with_trace=False))

    def fail(self, exc: BaseException) -> None:
        if not self.turn_id:
            return
        status = "cancelled" if isinstance(exc, KeyboardInterrupt) else "error"
        self.store.finish_turn(self.turn_id, status, {"answer": str(exc), "citations": [], "status": status},
                               error=str(exc))


def _config(args: argparse.Namespace, question: str):
    """The run's configuration (the saved session's index and LM with --session) and the session."""
    from agent.budget import check_prompt_budget
    from tools.errors import ConfigError

    cfg = config_from_args(args, **({"agent.shape": args.shape} if getattr(args, "shape", None) else {}))
    check_prompt_budget(question, cfg)  # before the index and the LM are opened
    saved = SavedTurn.open(args, cfg) if getattr(args, "session", None) else None
    if cfg.agent.mode != "closed" and not cfg.index_dir:
        raise ConfigError("no index given: pass --index DIR (or set index_dir in hopper.toml), or use "
                          "--mode closed")
    if getattr(args, "shape", None) not in (None, "auto", "factoid") and cfg.agent.mode != "agent":
        raise ConfigError(f"--shape {args.shape} needs --mode agent (rag and closed answer with one "
                          f"short answer)")
    if cfg.agent.mode == "closed":
        cfg.index_dir = ""
    return cfg, saved


def _print_json(result, session_id: int | None) -> None:
    from tools.jsonfile import to_json

    out = result.to_dict(with_trace=True)
    keys = ("shape", "answer", "short_answer", "items", "citations", "evidence", "sufficient", "confidence",
            "abstained", "not_found", "checks", "conflicts", "status", "standalone")
    shown = {k: out[k][:20] if k == "evidence" else out[k] for k in keys}
    print(to_json({**shown, "session": session_id, "trace": out["trace"]}, indent=2, default=str))


def _save_trace(trace, path: str) -> None:
    from tools.errors import path_error

    try:
        trace.save(path)
    except OSError as exc:
        raise path_error(exc, path, "write the trace to") from None


def print_answer(result) -> None:
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.markup import escape
    from rich.panel import Panel

    from tui.common import printable

    def safe(text: str) -> str:  # document text: no terminal escapes, no Rich markup
        return escape(printable(text))

    console = Console()
    if result.items:  # a synthesis: the lines as Markdown, then the numbered references with their quotes
        from agent.report import citation_quote

        console.print(Panel(Markdown(printable(result.answer)), title=f"answer ({result.shape})",
                            title_align="left"))
        console.print("[bold]References[/]")
        for c in result.citations:
            console.print(f"[bold][{c.n}][/] {safe(c.title)} [dim]({safe(c.source or c.doc_id)})[/]")
            console.print(f'    [italic]"{safe(citation_quote(c, result.answer))}"[/]')
        _print_footer(console, result)
        return
    title = (f"answer: {safe(result.short_answer)}" if result.short_answer
             else "not in your documents" if result.not_found else "answer")
    console.print(Panel(Markdown(printable(result.answer)), title=title, title_align="left"))
    if result.confidence is not None and result.short_answer:
        failed = [c for c in result.checks if not c.get("ok")]
        sure = "not sure: a best guess" if result.abstained else "confident"
        console.print(f"[dim]confidence {result.confidence:.2f} ({sure}) · checks "
                      f"{len(result.checks) - len(failed)}/{len(result.checks)} passed[/]")
    if result.conflicts:  # passages that give another answer
        from agent.reading.conflict import conflict_values

        console.print(f"[yellow]⚠ documents disagree: {safe(conflict_values(result.conflicts))}[/]")
    for c in result.citations:
        snippet = " ".join((c.quote or c.text).split())
        console.print(f"[bold][{c.n}][/] {safe(c.title)} [dim]({safe(c.chunk_id)} · {safe(c.source)})[/]")
        console.print(f"    [dim]{safe(snippet[:240])}{'…' if len(snippet) > 240 else ''}[/]")
    _print_footer(console, result)


def _print_footer(console, result) -> None:
    end = result.trace.first("run_end")
    if end:
        d = end.data
        console.print(f"[dim]{result.status} · {d['seconds']:.1f}s · {d['lm_calls']} LM calls · "
                      f"{d['tool_calls']} tool calls · {d['tokens']:,} tokens[/]")
