"""`hopper ask "QUESTION" --index DIR`: the research agent's cited answer."""

from __future__ import annotations

import argparse

from tui.common import add_index_arg, add_lm_args, config_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help="the question to research")
    add_index_arg(p)
    add_lm_args(p)
    p.add_argument("--mode", choices=["agent", "rag", "closed"], default=None,
                   help="agent (default): decompose, search, judge, loop; rag: one hybrid search; "
                        "closed: no retrieval")
    p.add_argument("--max-rounds", type=int, default=None, help="search rounds per sub-question (default 3)")
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
    import json
    import signal
    import threading

    from agent.session import Session
    from tools.errors import ConfigError
    from tui.live import LiveLine

    cfg = config_from_args(args, **({"agent.shape": args.shape} if getattr(args, "shape", None) else {}))
    if cfg.agent.mode != "closed" and not cfg.index_dir:
        raise ConfigError("no index given: pass --index DIR (or set index_dir in hopper.toml), or use --mode closed")
    if getattr(args, "shape", None) not in (None, "auto", "factoid") and cfg.agent.mode != "agent":
        raise ConfigError(f"--shape {args.shape} needs --mode agent (rag and closed answer with one short answer)")
    if cfg.agent.mode == "closed":
        cfg.index_dir = ""
    session = Session(cfg)
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        with LiveLine(enabled=None if not args.json else False) as live:
            result = session.ask(args.question, subscribers=[live], cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.trace:
        result.trace.save(args.trace)
    if getattr(args, "out", None):
        from agent.report import write_report

        write_report([result], args.out, index_dir=cfg.index_dir or None)
    if args.json:
        out = result.to_dict(with_trace=True)
        print(json.dumps({"shape": out["shape"], "answer": out["answer"], "short_answer": out["short_answer"],
                          "items": out["items"], "citations": out["citations"], "evidence": out["evidence"][:20],
                          "sufficient": out["sufficient"], "status": out["status"], "trace": out["trace"]},
                         indent=2, ensure_ascii=False, default=str))
        return 0 if result.status != "cancelled" else 130
    print_answer(result)
    return 0 if result.status != "cancelled" else 130


def print_answer(result) -> None:
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.panel import Panel

    console = Console()
    if result.items:  # a synthesis: the lines as Markdown, then the numbered references with their quotes
        from rich.markup import escape

        from agent.report import citation_quote

        console.print(Panel(Markdown(result.answer), title=f"answer ({result.shape})", title_align="left"))
        console.print("[bold]References[/]")
        for c in result.citations:
            console.print(f"[bold][{c.n}][/] {escape(c.title)} [dim]({escape(c.source or c.doc_id)})[/]")
            console.print(f'    [italic]"{escape(citation_quote(c, result.answer))}"[/]')
        _print_footer(console, result)
        return
    title = f"answer: {result.short_answer}" if result.short_answer else "answer"
    console.print(Panel(Markdown(result.answer), title=title, title_align="left"))
    for c in result.citations:
        snippet = " ".join(c.text.split())
        console.print(f"[bold][{c.n}][/] {c.title} [dim]({c.chunk_id} · {c.source})[/]")
        console.print(f"    [dim]{snippet[:240]}{'…' if len(snippet) > 240 else ''}[/]")
    _print_footer(console, result)


def _print_footer(console, result) -> None:
    end = result.trace.first("run_end")
    if end:
        d = end.data
        console.print(f"[dim]{result.status} · {d['seconds']:.1f}s · {d['lm_calls']} LM calls · "
                      f"{d['tool_calls']} tool calls · {d['tokens']:,} tokens[/]")
