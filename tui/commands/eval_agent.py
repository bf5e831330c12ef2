"""`hopper eval DATA --mode agent|rag|closed --out RUN_DIR` and `hopper eval rescore RUN_DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.common import add_max_rounds_arg, add_min_confidence_arg


def add_agent_arguments(p: argparse.ArgumentParser) -> None:
    """Flags only the answer-level evaluation uses (called from `tui.commands.eval`)."""
    p.add_argument("--workers", type=int, default=1,
                   help="questions run concurrently (helps remote LMs; the embedded model runs one call "
                        "at a time)")
    p.add_argument("--program", default=None, help="compiled program file from `hopper optimize`")
    p.add_argument("--no-program", action="store_true",
                   help="run the uncompiled agent (ignore the shipped program)")
    add_max_rounds_arg(p)
    add_min_confidence_arg(p)
    p.add_argument("--retry-errors", action="store_true",
                   help="on resume, run again the questions that failed")
    p.add_argument("--no-plots", action="store_true", help="write report.md without PNG plots")


def run_settings(args, cfg, index_dir: str | None, program: Path | None) -> dict:
    """The settings that make two runs comparable; a resumed run must match them exactly."""
    from dataclasses import asdict

    from agent.eval.runner import file_hash

    agent = {k: v for k, v in asdict(cfg.agent).items() if k not in ("mode", "program")}
    return {
        "dataset": str(Path(args.data).resolve()), "split": args.split, "mode": args.mode,
        "lm": cfg.lm.model, "fast_lm": cfg.lm.fast_model or None, "temperature": cfg.lm.temperature,
        "adapter": cfg.lm.adapter, "program": str(program) if program else None,
        "program_hash": file_hash(program), "index": str(index_dir) if index_dir else None,
        "index_settings": cfg.index.fingerprint() if index_dir else None,
        "agent": agent,
    }


def run_agent_eval(args: argparse.Namespace) -> int:
    from agent.eval.datasets import load_dataset
    from agent.eval.report import score_run, write_report
    from agent.session import Session, default_program
    from tools.errors import ConfigError
    from tui.common import config_from_args

    if not args.out:
        raise ConfigError("--out RUN_DIR is required with --mode agent|rag|closed "
                          "(traces and metrics go there)")
    if getattr(args, "workers", 1) < 1:
        raise ConfigError("--workers must be at least 1")
    cfg = config_from_args(args)
    dataset = load_dataset(args.data, args.split)
    if not dataset.questions:
        raise ConfigError(f"{args.data}: no questions" + (f" in split {args.split!r}" if args.split else ""))
    index_dir = None
    if args.mode != "closed":
        from tui.common import prepare_index

        index_dir, _ = prepare_index(args, cfg, dataset, needs_graph=True)
    cfg.index_dir = str(index_dir) if index_dir else ""
    load_program = not getattr(args, "no_program", False)
    program = default_program(cfg) if load_program else None
    settings = run_settings(args, cfg, index_dir, program)
    session = Session(cfg, load_program=load_program)
    result = _run_with_progress(session, dataset, args, settings)
    scores, metrics = score_run(args.out)
    write_report(args.out, scores, metrics, plots=not getattr(args, "no_plots", False))
    _print_summary(metrics, Path(args.out))
    if result.errors:
        print(f"{len(result.errors)} question(s) failed, e.g. {result.errors[0]}", file=sys.stderr)
    if result.interrupted:
        print(f"interrupted: {len(scores)}/{result.total} questions finished and saved; "
              "run the same command again to continue", file=sys.stderr)
        return 130
    return 0


def _run_with_progress(session, dataset, args, settings):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from agent.eval.runner import run_questions

    console = Console(stderr=True)
    bar = Progress(SpinnerColumn(), TextColumn(f"[bold]{args.mode:<6}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("EM {task.fields[em]:.3f} F1 {task.fields[f1]:.3f}"), TimeElapsedColumn(),
                   TextColumn("eta"), TimeRemainingColumn(), console=console, disable=not console.is_terminal)
    task = None

    def on_start(progress):
        nonlocal task
        if progress.done:
            console.print(f"resuming: {progress.done}/{progress.total} questions already done")
        task = bar.add_task("eval", total=progress.total, completed=progress.done, em=progress.em,
                            f1=progress.f1)
        bar.reset(task, total=progress.total, completed=progress.done)  # ETA from this session's pace only

    def on_done(q, trace, progress):
        bar.update(task, completed=progress.done, em=progress.em, f1=progress.f1)
        if not console.is_terminal:
            print(f"[{progress.done}/{progress.total}] {q.qid} EM={progress.em:.3f} F1={progress.f1:.3f}",
                  file=sys.stderr, flush=True)

    with bar:
        return run_questions(session, dataset, args.out, mode=args.mode, settings=settings, limit=args.limit,
                             workers=getattr(args, "workers", 1),
                             retry_errors=getattr(args, "retry_errors", False),
                             on_start=on_start, on_done=on_done)


def _print_summary(metrics: dict, run_dir: Path) -> None:
    keys = ["em", "f1", "recall@2", "recall@5", "latency_p50_s", "lm_calls_mean", "tool_calls_mean",
            "tokens_mean", "coverage", "selective_accuracy"]
    keys += [k for k in ("em_answerable", "unanswerable_refused", "answerable_refused", "em_by_kind",
                         "item_recall", "item_precision", "support_rate", "dropped_mean") if k in metrics]
    keys = [k for k in keys if k in metrics]
    print(f"{metrics['settings'].get('mode', '?'):<7} questions={metrics['questions']} " +
          " ".join(f"{k}={metrics[k]}" for k in keys))
    print(f"wrote {run_dir}/metrics.json, results.csv, traces.jsonl, report.md")


def rescore(args: argparse.Namespace) -> int:
    """Recompute metrics.json, results.csv and report.md from the saved traces (no LM calls)."""
    from agent.eval.report import score_run, write_report
    from tools.errors import ConfigError

    run_dir = args.run_dir or args.out
    if not run_dir:
        raise ConfigError("usage: hopper eval rescore RUN_DIR")
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").exists():
        raise ConfigError(f"{run_dir}: not an agent evaluation run folder (no run.json)")
    scores, metrics = score_run(run_dir)
    write_report(run_dir, scores, metrics, plots=not getattr(args, "no_plots", False))
    _print_summary(metrics, run_dir)
    return 0
