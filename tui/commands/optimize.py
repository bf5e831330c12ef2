"""`hopper optimize --train DATA --out program.json [--optimizer bootstrap|mipro]`."""

from __future__ import annotations

import argparse

from tui.common import add_index_arg, add_lm_args, add_max_rounds_arg


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", metavar="DATA", required=True,
                   help="dataset folder (QA, HotpotQA or BEIR) to train on")
    p.add_argument("--out", metavar="FILE", required=True, help="where to write the compiled program (JSON)")
    p.add_argument("--optimizer", choices=["bootstrap", "mipro"], default="bootstrap",
                   help="bootstrap: BootstrapFewShot demos (cheap); "
                        "mipro: MIPROv2 auto=light (instructions too)")
    p.add_argument("--split", default="train", help="dataset split to train on (default: train)")
    p.add_argument("--limit", type=int, default=None, help="only the first N training questions")
    p.add_argument("--max-demos", type=int, default=2,
                   help="bootstrapped demonstrations per predictor (default 2)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="metric a run must reach for its calls to become demos (default 0.5)")
    p.add_argument("--answer-weight", type=float, default=0.7,
                   help="metric = w * answer F1 + (1 - w) * evidence recall@5 (default 0.7)")
    p.add_argument("--max-demo-chars", type=int, default=1200,
                   help="cut long demo inputs (passages) to N characters")
    p.add_argument("--skip-demos", default="",
                   help="comma-separated predictors that keep no demos, e.g. respond")
    p.add_argument("--mode", choices=["agent", "rag"], default="agent",
                   help="agent mode the program is compiled in")
    p.add_argument("--no-graph", action="store_true", help="do not build the knowledge graph for the corpus")
    add_max_rounds_arg(p)
    add_index_arg(p)
    add_lm_args(p)


def run(args: argparse.Namespace) -> int:
    import sys
    import time
    from pathlib import Path

    from agent.eval.datasets import load_dataset
    from agent.lm import lm_context
    from agent.optimize import OptimizeSettings, compile_agent, save_program, tidy_demos, to_examples
    from agent.session import Session, load_program_file
    from tools.errors import ConfigError
    from tui.common import config_from_args, prepare_index

    cfg = config_from_args(args)
    cfg.agent.program = ""
    dataset = load_dataset(args.train, args.split)
    trainset = to_examples(dataset, args.limit)
    if not trainset:
        raise ConfigError(f"{args.train}: no questions with answers in split {args.split!r} to train on")
    index_dir, _ = prepare_index(args, cfg, dataset, needs_graph=True)
    cfg.index_dir = str(index_dir)
    session = Session(cfg, load_program=False)
    session.agent.settings.mode = args.mode
    settings = OptimizeSettings(optimizer=args.optimizer, max_bootstrapped_demos=args.max_demos,
                                threshold=args.threshold, answer_weight=args.answer_weight,
                                max_demo_chars=args.max_demo_chars,
                                skip_demos=tuple(s.strip() for s in args.skip_demos.split(",") if s.strip()))
    print(f"compiling with {args.optimizer} on {len(trainset)} question(s) from {args.train} ({args.split}) "
          f"for LM {cfg.lm.model!r}", file=sys.stderr)
    t0 = time.perf_counter()
    with lm_context(cfg, lm=session.lm):
        compiled = compile_agent(session.agent, trainset, settings)
    seconds = time.perf_counter() - t0
    counts = tidy_demos(compiled, settings)
    train = f"{Path(args.train).as_posix()} split={args.split} n={len(trainset)}"
    out = save_program(compiled, args.out, lm=cfg.lm.model, optimizer=args.optimizer, train=train,
                       mode=args.mode, settings={k: v for k, v in settings.__dict__.items() if k != "extra"},
                       compile_seconds=round(seconds, 1), demos=counts)
    check = Session(cfg, session.index, lm=session.lm, load_program=False)
    load_program_file(check.agent, out, cfg)  # the file must load back into a fresh agent
    print(f"wrote {out} in {seconds:.0f}s; demos per predictor: " +
          ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0
