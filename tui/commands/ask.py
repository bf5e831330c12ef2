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
                   help="agent (default): decompose, search, judge, loop; rag: one hybrid search; "
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


def run(args: argparse.Namespace) -> int:
    import contextlib
    import json
    import signal
    import threading

    from agent.budget import check_prompt_budget
    from agent.session import Session
    from agent.trace import Trace
    from tools.errors import ConfigError, HopperError
    from tui.common import require_text
    from tui.live import LiveLine

    question = require_text(args.question, "question", 'hopper ask "Who designed the Verrin lighthouse?"')
    cfg = config_from_args(args, **({"agent.shape": args.shape} if getattr(args, "shape", None) else {}))
    check_prompt_budget(question, cfg)  # before the index and the LM are opened
    if cfg.agent.mode != "closed" and not cfg.index_dir:
        raise ConfigError("no index given: pass --index DIR (or set index_dir in hopper.toml), or use "
                          "--mode closed")
    if getattr(args, "shape", None) not in (None, "auto", "factoid") and cfg.agent.mode != "agent":
        raise ConfigError(f"--shape {args.shape} needs --mode agent (rag and closed answer with one "
                          f"short answer)")
    if cfg.agent.mode == "closed":
        cfg.index_dir = ""
    session = Session(cfg)
    cancel = threading.Event()
    trace = Trace()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        with LiveLine(enabled=None if not args.json else False) as live:
            result = session.ask(question, subscribers=[live], cancel=cancel, trace=trace)
    except BaseException:
        if args.trace and trace.events:  # the trace of what ran, even when the run failed
            with contextlib.suppress(HopperError):
                _save_trace(trace, args.trace)
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.trace:
        _save_trace(trace, args.trace)
    if getattr(args, "out", None):
        from agent.report import write_report

        write_report([result], args.out, index_dir=cfg.index_dir or None)
    if args.json:
        out = result.to_dict(with_trace=True)
        print(json.dumps({"shape": out["shape"], "answer": out["answer"], "short_answer": out["short_answer"],
                          "items": out["items"], "citations": out["citations"],
                          "evidence": out["evidence"][:20],
                          "sufficient": out["sufficient"], "confidence": out["confidence"],
                          "abstained": out["abstained"], "not_found": out["not_found"],
                          "checks": out["checks"], "status": out["status"],
                          "trace": out["trace"]},
                         indent=2, ensure_ascii=False, default=str))
        return 0 if result.status != "cancelled" else 130
    print_answer(result)
    return 0 if result.status != "cancelled" else 130


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
