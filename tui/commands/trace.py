"""`hopper trace show FILE [--question ID]` and `hopper trace diff RUN_A RUN_B`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="trace_command", metavar="ACTION", required=True)
    show = sub.add_parser("show",
                          help="render a trace as a tree (a trace file, or a run folder's traces.jsonl)")
    show.add_argument("file", metavar="FILE",
                      help="trace JSONL file (hopper ask --trace) or an eval run folder")
    show.add_argument("--question", "-q", metavar="ID", default=None,
                      help="question id (eval runs) or run id; default: the first trace")
    show.add_argument("--list", action="store_true", help="list the traces in the file instead")
    diff = sub.add_parser("diff", help="metric deltas between two eval runs, and the questions each wins")
    diff.add_argument("run_a", metavar="RUN_A", help="eval run folder (the baseline)")
    diff.add_argument("run_b", metavar="RUN_B", help="eval run folder to compare")
    diff.add_argument("--by", choices=["f1", "em", "recall@2", "recall@5"], default="f1",
                      help="per-question score that decides a win (default f1)")


def run(args: argparse.Namespace) -> int:
    if args.trace_command == "show":
        return show(args)
    return diff(args)


# -- show -------------------------------------------------------------------------------------------
def _trace_file(path: Path) -> Path:
    from tools.errors import ConfigError

    if path.is_dir():
        path = path / "traces.jsonl"
    if not path.exists():
        raise ConfigError(f"{path}: no such trace file")
    return path


def show(args: argparse.Namespace) -> int:
    from rich.console import Console

    from agent.trace import iter_traces
    from tools.errors import ConfigError

    path = _trace_file(Path(args.file))
    console = Console()
    traces = list(iter_traces(path))
    if not traces:
        raise ConfigError(f"{path}: no traces")
    if args.list:
        for t in traces:
            console.print(f"[bold]{t.run_id}[/] {t.status:<9} {t.final.get('short_answer', '')!r:<30.30} "
                          f"[dim]{t.question[:80]}[/]", highlight=False)
        return 0
    if args.question:
        match = [t for t in traces if t.run_id == args.question]
        if not match:
            raise ConfigError(f"{path}: no trace for question {args.question!r}; "
                              f"`hopper trace show {args.file} --list` lists them")
        trace = match[0]
    else:
        trace = traces[0]
    console.print(render_tree(trace))
    return 0


def render_tree(trace):
    """A Rich Tree of one run: question, decomposition, each sub-question's searches and verdicts, answer."""
    from rich.tree import Tree

    start = trace.first("run_start")
    sd = start.data if start else {}
    root = Tree(f"[bold]{_esc(trace.question or trace.run_id)}[/]  [dim]{trace.run_id} · "
                f"{sd.get('mode', '?')} · {_esc(str(sd.get('lm', '')))}[/]")
    tree = _TraceTree(root)
    for e in trace.events:
        tree.add(e)
    return root


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class _TraceTree:
    """Grows the tree one event at a time: a branch per sub-question, its searches and verdicts under it."""

    def __init__(self, root):
        self.root = root
        self.nodes: dict = {}
        self.current = None  # the sub-question being researched: lm_call events carry no node

    def branch(self, n):
        if n is None:
            return self.root
        if n not in self.nodes:
            self.nodes[n] = self.root.add(f"[bold cyan]#{n}[/]")
        return self.nodes[n]

    def add(self, e) -> None:
        d = e.data
        if d.get("node") is not None:
            self.current = d["node"]
        handler = getattr(self, f"_on_{e.type}", None)
        if handler is not None:
            handler(d, f"[dim]{e.t:6.2f}s[/] ")

    def _on_decompose(self, d, t) -> None:
        fb = f" [yellow](fallback: {_esc(str(d['fallback']))})[/]" if d.get("fallback") else ""
        br = self.root.add(f"{t}[magenta]decompose[/] → {len(d.get('nodes') or [])} sub-question(s){fb}")
        for n in d.get("nodes") or []:
            uses = ", ".join("#" + str(x) for x in n.get("depends_on") or [])
            dep = f" [dim](uses {uses})[/]" if n.get("depends_on") else ""
            br.add(f"#{n['id']} {_esc(n['text'])}{dep}")
            self.nodes[n["id"]] = self.root.add(f"[bold cyan]#{n['id']}[/] {_esc(n['text'])}")

    def _on_queries(self, d, t, name: str = "queries") -> None:
        queries = "; ".join(f"{q['tool']}: {q['query'][:60]}" for q in d.get("queries") or [])
        self.branch(d.get("node")).add(f"{t}[magenta]{name}[/] {_esc(queries)}")

    def _on_rewrite(self, d, t) -> None:
        self._on_queries(d, t, "rewrite")

    def _on_tool_call(self, d, t) -> None:
        args = d.get("args") or {}
        arg = args.get("query") or args.get("entity") or \
            " → ".join(str(args.get(k, "")) for k in ("source", "target") if args.get(k))
        err = f" [red]error: {_esc(str(d['error']))}[/]" if d.get("error") else ""
        br = self.branch(d.get("node")).add(
            f"{t}[green]{d.get('tool')}[/] {_esc(repr(str(arg)[:70]))} → {len(d.get('hits') or [])} hits, "
            f"{len(d.get('new') or [])} new [dim]{d.get('seconds', 0):.2f}s[/]{err}")
        for h in (d.get("hits") or [])[:3]:
            br.add(f"[dim]{_esc(str(h.get('chunk_id')))} {_esc(str(h.get('title', ''))[:50])} "
                   f"{float(h.get('score') or 0):.3f}[/]")

    def _on_lm_call(self, d, t) -> None:
        top = d.get("step") in ("decompose", "answer") or self.current is None
        target = self.root if top else self.branch(self.current)
        target.add(f"{t}[blue]LM {d.get('step')}[/] [dim]{_esc(str(d.get('model')))} "
                   f"{d.get('prompt_tokens', 0)}+{d.get('completion_tokens', 0)} tok "
                   f"{d.get('seconds', 0):.1f}s{' cached' if d.get('cached') else ''}[/]")

    def _on_round(self, d, t) -> None:
        if d.get("answered"):
            verdict = f"[green]answer {_esc(repr(d.get('answer')))}[/] support {d.get('support')}"
        else:
            verdict = "[yellow]not yet[/]"
        self.branch(d.get("node")).add(f"{t}[magenta]read[/] round {d.get('round')}: {verdict}")

    def _on_node_answer(self, d, t) -> None:
        colour = "green" if d.get("status") == "answered" else "red"
        self.branch(d.get("node")).add(f"{t}[{colour}]{d.get('status')}[/] → {_esc(repr(d.get('answer')))} "
                                       f"[dim]{', '.join(d.get('chunk_ids') or [])}[/]")
        self.current = d.get("node", 0) + 1 if d.get("node", 0) + 1 in self.nodes else None

    def _on_fallback(self, d, t) -> None:
        reason = _esc(str(d.get("reason")))
        self.branch(d.get("node")).add(f"{t}[yellow]fallback[/] {d.get('step')}: {reason}")

    def _on_budget(self, d, t) -> None:
        self.branch(d.get("node")).add(f"{t}[red]budget[/] {d.get('reason')}")

    def _on_answer(self, d, t) -> None:
        br = self.root.add(f"{t}[bold green]answer[/] {_esc(repr(d.get('short_answer')))} "
                           f"[dim](sufficient={d.get('sufficient')})[/]")
        if d.get("answer"):
            br.add(_esc(str(d["answer"])[:400]))
        for c in d.get("citations") or []:
            br.add(f"[{c.get('n')}] {_esc(str(c.get('title')))} [dim]{_esc(str(c.get('chunk_id')))}[/]")
        if d.get("evidence"):
            br.add(f"[dim]evidence: {_esc(', '.join(d['evidence'][:8]))}"
                   f"{' …' if len(d['evidence']) > 8 else ''}[/]")

    def _on_run_end(self, d, t) -> None:
        err = f" [red]{_esc(str(d.get('error')))}[/]" if d.get("error") else ""
        self.root.add(f"{t}[bold]{d.get('status')}[/] · {d.get('seconds', 0):.1f}s · {d.get('lm_calls')} LM "
                      f"calls · {d.get('tool_calls')} tool calls · {int(d.get('tokens') or 0):,} tokens{err}")


# -- diff -------------------------------------------------------------------------------------------
DIFF_KEYS = ("questions", "em", "f1", "recall@2", "recall@5", "latency_p50_s", "lm_calls_mean",
             "tool_calls_mean", "tokens_mean")


def compare_runs(run_a: Path, run_b: Path, by: str = "f1") -> dict:
    """Metric deltas over the questions both runs finished, and per-question wins and losses."""
    from agent.eval.report import aggregate, score_run

    scores_a, _ = score_run(run_a)
    scores_b, _ = score_run(run_b)
    a = {s.qid: s for s in scores_a}
    b = {s.qid: s for s in scores_b}
    common = [q for q in a if q in b]
    ma = aggregate([a[q] for q in common])
    mb = aggregate([b[q] for q in common])

    def value(s):
        return s.recall.get(by, 0.0) if by.startswith("recall") else getattr(s, by)

    wins = [q for q in common if value(b[q]) > value(a[q])]
    losses = [q for q in common if value(b[q]) < value(a[q])]
    return {"common": common, "only_a": [q for q in a if q not in b], "only_b": [q for q in b if q not in a],
            "a": ma, "b": mb, "delta": {k: round(mb[k] - ma[k], 4) for k in DIFF_KEYS},
            "wins": [(q, a[q], b[q]) for q in wins], "losses": [(q, a[q], b[q]) for q in losses], "by": by}


def diff(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tools.errors import ConfigError

    for run_dir in (args.run_a, args.run_b):
        if not (Path(run_dir) / "run.json").exists():
            raise ConfigError(f"{run_dir}: not an eval run folder (no run.json); "
                              f"make one with `hopper eval --out`")
    result = compare_runs(Path(args.run_a), Path(args.run_b), args.by)
    console = Console()
    console.print(f"A = {args.run_a}\nB = {args.run_b}\n{len(result['common'])} question(s) in both runs",
                  highlight=False)
    table = Table()
    table.add_column("metric")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("Δ (B − A)", justify="right")
    lower_better = {"latency_p50_s", "lm_calls_mean", "tool_calls_mean", "tokens_mean"}
    for k in DIFF_KEYS:
        d = result["delta"][k]
        good = (d < 0) if k in lower_better else (d > 0)
        colour = "" if d == 0 or k == "questions" else ("green" if good else "red")
        shown = f"[{colour}]{d:+}[/]" if colour else f"{d:+}"
        table.add_row(k, f"{result['a'][k]}", f"{result['b'][k]}", shown)
    console.print(table)
    for title, rows, colour in (("B wins", result["wins"], "green"), ("B loses", result["losses"], "red")):
        console.print(f"[bold {colour}]{title}[/] ({len(rows)} question(s), by {result['by']})")
        for qid, sa, sb in rows[:25]:
            gold = " | ".join(sb.gold)
            console.print(f"  {qid}: {sa.prediction!r} → {sb.prediction!r}  [dim]gold {gold!r}[/]",
                          highlight=False)
        if len(rows) > 25:
            console.print(f"  … and {len(rows) - 25} more")
    for label, only in (("only in A", result["only_a"]), ("only in B", result["only_b"])):
        if only:
            console.print(f"[dim]{len(only)} question(s) {label}: {', '.join(only[:10])}[/]")
    return 0
