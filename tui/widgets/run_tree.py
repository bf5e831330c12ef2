"""A live tree of agent runs: question → sub-questions → queries per tool → hits → verdicts → answers.

Built incrementally from trace events (see `agent.trace` for the schema); one top-level node
per turn of the session, so a reopened session shows every run it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

QUERY_CHARS = 300  # the tree scrolls sideways; Enter on a query shows it whole
STATUS_STYLE = {"ok": "green", "budget": "yellow", "cancelled": "yellow", "error": "red", "running": "cyan"}


def _short(text: Any, n: int = 60) -> str:
    """One line of at most `n` characters; control characters of documents shown as escapes."""
    from tui.common import printable

    text = printable(" ".join(str(text or "").split()))
    return text if len(text) <= n else text[: n - 1] + "…"


def event_parts(event: Any) -> tuple[str, dict[str, Any]]:
    """(type, data) of a `TraceEvent` or of its JSON dict (saved sessions)."""
    if isinstance(event, dict):
        return event.get("type", ""), event.get("data") or {}
    return event.type, event.data


@dataclass
class _TurnNodes:
    root: TreeNode
    question: str
    subs: dict[int, TreeNode] = field(default_factory=dict)
    queries: dict[tuple, TreeNode] = field(default_factory=dict)
    active: TreeNode | None = None


class RunTree(Tree[dict]):
    """The research tree of the session's runs, updated as events arrive."""

    DEFAULT_CSS = """
    RunTree { background: $surface; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__("session", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self._turns: dict[int, _TurnNodes] = {}
        self.doing = ""
        """What the latest `step` event said is happening now (empty once the run ended)."""

    # -- public -------------------------------------------------------------------------------------
    def reset(self) -> None:
        self.clear()
        self._turns.clear()

    def start_turn(self, turn_id: int, question: str) -> TreeNode:
        for other in self._turns.values():
            other.root.collapse()
        label = self._turn_label(question, "running")
        node = self.root.add(label, data={"kind": "turn", "turn": turn_id, "label": label}, expand=True)
        self._turns[turn_id] = _TurnNodes(node, question)
        self.root.expand()
        return node

    def add_event(self, turn_id: int, event: Any) -> None:
        """Add one trace event (a `TraceEvent` or its dict) to the turn's subtree."""
        kind, d = event_parts(event)
        turn = self._turns.get(turn_id)
        if turn is None:
            question = d.get("question", "?")
            node = self.root.add(self._turn_label(question, "running"),
                                 data={"kind": "turn", "turn": turn_id}, expand=True)
            turn = self._turns[turn_id] = _TurnNodes(node, question)
        handler = getattr(self, f"_ev_{kind}", None)
        if handler is not None:
            handler(turn, d)

    def active_node(self, turn_id: int) -> TreeNode | None:
        """The node the turn's run is working on now (marked ●), None when idle."""
        turn = self._turns.get(turn_id)
        return turn.active if turn else None

    def turn_node(self, turn_id: int) -> TreeNode | None:
        turn = self._turns.get(turn_id)
        return turn.root if turn else None

    @property
    def node_count(self) -> int:
        def count(node: TreeNode) -> int:
            return 1 + sum(count(c) for c in node.children)

        return count(self.root) - 1

    # -- labels -------------------------------------------------------------------------------------
    @staticmethod
    def _turn_label(question: str, status: str, extra: str = "") -> Text:
        text = Text("? ", style="bold")
        text.append(_short(question, 70), style="bold")
        text.append(f"  {status}", style=STATUS_STYLE.get(status, "dim"))
        if extra:
            text.append(f" {extra}", style="dim")
        return text

    def _relabel(self, turn: _TurnNodes, node: TreeNode, label: Text) -> None:
        """Set a label, keeping the ● marker on the node the run is working on."""
        if node.data is not None:
            node.data["label"] = label
        node.set_label(Text("● ", style="bold cyan") + label if node is turn.active else label)

    def _set_active(self, turn: _TurnNodes, node: TreeNode | None) -> None:
        previous, turn.active = turn.active, node
        for n in (previous, node):
            if n is not None and n.data is not None and "label" in n.data:
                self._relabel(turn, n, n.data["label"])

    def _sub(self, turn: _TurnNodes, node: int | None) -> TreeNode:
        if node is None:
            return turn.root
        if node not in turn.subs:
            turn.subs[node] = turn.root.add(Text(f"#{node}"), data={"kind": "sub", "node": node,
                                                                    "label": Text(f"#{node}")}, expand=True)
        return turn.subs[node]

    # -- event handlers -----------------------------------------------------------------------------
    def _ev_run_start(self, turn: _TurnNodes, d: dict) -> None:
        turn.question = d.get("question", turn.question)
        self._relabel(turn, turn.root, self._turn_label(turn.question, "running", d.get("mode", "")))

    def _ev_followup(self, turn: _TurnNodes, d: dict) -> None:
        """A follow-up made to stand alone: what is researched in place of the question asked."""
        label = Text("follow-up, read as: ", style="magenta")
        label.append(_short(d.get("standalone"), 70), style="bold")
        label.append(f"  ({d.get('by', '')}: {', '.join(d.get('refs') or [])})", style="dim")
        turn.root.add_leaf(label, data={"kind": "followup", **d})

    def _ev_step(self, turn: _TurnNodes, d: dict) -> None:
        self.doing = str(d.get("text") or d.get("step") or "")
        self._set_active(turn, self._sub(turn, d.get("node")))

    def _ev_decompose(self, turn: _TurnNodes, d: dict) -> None:
        for n in d.get("nodes", []):
            label = Text(f"#{n['id']} ", style="bold magenta")
            label.append(_short(n.get("text", ""), 70))
            if n.get("depends_on"):
                label.append(f"  (uses #{', #'.join(map(str, n['depends_on']))})", style="dim")
            sub = self._sub(turn, n["id"])
            sub.data = {"kind": "sub", "node": n["id"], "text": n.get("text", "")}
            self._relabel(turn, sub, label)

    def _ev_queries(self, turn: _TurnNodes, d: dict) -> None:
        sub = self._sub(turn, d.get("node"))
        for q in d.get("queries", []):
            key = (d.get("node"), q["tool"], q["query"])
            if key not in turn.queries:
                turn.queries[key] = sub.add(self._query_label(q["tool"], q["query"]),
                                            data={"kind": "query", **q})

    _ev_rewrite = _ev_queries  # a later round's searches (and in older traces, the first round's)

    @staticmethod
    def _query_label(tool: str, query: str, hits: int | None = None, error: str = "") -> Text:
        label = Text(f"{tool} ", style="cyan")
        label.append(_short(query, QUERY_CHARS))
        if error:
            label.append(f"  ✗ {_short(error, 40)}", style="red")
        elif hits is not None:
            label.append(f"  → {hits} hits", style="dim")
        return label

    def _ev_tool_call(self, turn: _TurnNodes, d: dict) -> None:
        args = d.get("args") or {}
        query = args.get("query") or args.get("entity") or " → ".join(
            str(args[k]) for k in ("source", "target") if args.get(k)) or ""
        key = (d.get("node"), d.get("tool"), query)
        node = turn.queries.get(key)
        label = self._query_label(d.get("tool", "?"), query, len(d.get("hits", [])), d.get("error") or "")
        data = {"kind": "query", "tool": d.get("tool", "?"), "query": query, "args": args,
                "hits": len(d.get("hits", [])), "error": d.get("error") or ""}
        if node is None or node.children:
            node = self._sub(turn, d.get("node")).add(label, data=data)
            turn.queries[key] = node
        else:
            node.data = data
            node.set_label(label)
        new = set(d.get("new") or [])
        for hit in d.get("hits", []):
            text = Text(_short(hit.get("title") or hit.get("chunk_id"), 48))
            text.append(f"  {float(hit.get('score', 0.0)):.3f}", style="dim")
            if hit.get("chunk_id") in new:
                text.append(" new", style="green")
            node.add_leaf(text, data={"kind": "hit", "turn": self._turn_id(turn), **hit})

    def _turn_id(self, turn: _TurnNodes) -> int | None:
        return next((tid for tid, t in self._turns.items() if t is turn), None)

    def _ev_round(self, turn: _TurnNodes, d: dict) -> None:
        if d.get("answered"):
            label = Text(f"read r{d.get('round', '?')}: ✓ ", style="green")
            label.append(_short(d.get("answer"), 50), style="bold")
        else:
            label = Text(f"read r{d.get('round', '?')}: ✗ ", style="yellow")
            label.append("no answer in these passages yet", style="dim")
        self._sub(turn, d.get("node")).add_leaf(label, data={"kind": "round", **d})

    def _ev_check(self, turn: _TurnNodes, d: dict) -> None:
        ok = bool(d.get("ok"))
        label = Text(f"check {'✓' if ok else '✗'} {d.get('code', '?')}", style="green" if ok else "red")
        if not ok and d.get("reason"):
            label.append(f": {_short(d.get('reason'), 60)}", style="dim")
        self._sub(turn, d.get("node")).add_leaf(label, data={"kind": "check", **d})

    def _ev_injection(self, turn: _TurnNodes, d: dict) -> None:
        n = len(d.get("sentences") or [])
        where = _short(d.get("title") or d.get("chunk_id"), 40)
        label = Text(f"⚠ instructions in {where}: ", style="bold red")
        label.append(f"{n} sentence(s) ignored", style="dim")
        turn.root.add_leaf(label, data={"kind": "injection", "turn": self._turn_id(turn), **d})

    def _ev_conflict(self, turn: _TurnNodes, d: dict) -> None:
        from agent.reading.conflict import conflict_values

        label = Text("⚠ documents disagree: ", style="bold yellow")
        label.append(_short(conflict_values(d.get("conflicts") or []), 60), style="dim")
        turn.root.add_leaf(label, data={"kind": "conflict", "turn": self._turn_id(turn), **d})

    def _ev_shape(self, turn: _TurnNodes, d: dict) -> None:
        label = Text(f"shape: {d.get('shape', '?')}", style="magenta")
        label.append(f" ({d.get('source', '')})", style="dim")
        turn.root.add_leaf(label, data={"kind": "shape", **d})

    def _ev_synthesis(self, turn: _TurnNodes, d: dict) -> None:
        items, dropped = d.get("items") or [], d.get("dropped") or []
        label = Text(f"synthesis: {len(items)} line(s)", style="bold")
        if dropped:
            label.append(f", {len(dropped)} unsupported dropped", style="yellow")
        turn.root.add_leaf(label, data={"kind": "synthesis", **d})

    def _ev_read(self, turn: _TurnNodes, d: dict) -> None:
        cands = d.get("candidates") or []
        label = Text("read: ", style="cyan")
        if d.get("answer"):
            label.append(_short(d["answer"], 40), style="bold")
            if isinstance(d.get("confidence"), (int, float)):
                label.append(f"  {float(d['confidence']):.0%}", style="dim")
        else:
            shown = ", ".join(_short(c.get("text"), 30) for c in cands[:3])
            label.append(shown or "no answer in the sentences", style="dim")
        self._sub(turn, d.get("node")).add_leaf(label, data={"kind": "read", **d})

    def _ev_node_answer(self, turn: _TurnNodes, d: dict) -> None:
        sub = self._sub(turn, d.get("node"))
        label = Text(f"#{d.get('node')} ", style="bold magenta")
        label.append(_short(d.get("text", ""), 50))
        if d.get("status") == "answered":
            label.append(f"  → {_short(d.get('answer'), 30)}", style="bold green")
        else:
            label.append("  → unanswered", style="yellow")
        self._relabel(turn, sub, label)

    def _ev_fallback(self, turn: _TurnNodes, d: dict) -> None:
        label = Text(f"fallback ({d.get('step', '')}): ", style="yellow")
        label.append(_short(d.get("reason"), 60), style="dim")
        self._sub(turn, d.get("node")).add_leaf(label, data={"kind": "fallback", **d})

    def _ev_budget(self, turn: _TurnNodes, d: dict) -> None:
        label = Text(f"budget reached: {d.get('reason', '')}", style="yellow")
        self._sub(turn, d.get("node")).add_leaf(label, data={"kind": "budget", **d})

    def _ev_answer(self, turn: _TurnNodes, d: dict) -> None:
        label = Text("answer: ", style="bold")
        label.append(_short(d.get("short_answer") or d.get("answer"), 50), style="bold green")
        cites = d.get("citations") or []
        if cites:
            label.append(f"  [{len(cites)} cited]", style="dim")
        if isinstance(d.get("confidence"), (int, float)):
            label.append(f"  {float(d['confidence']):.0%}", style="yellow" if d.get("abstained") else "dim")
        node = turn.root.add(label, data={"kind": "answer", **d})
        for c in cites:
            node.add_leaf(Text(f"[{c.get('n')}] {_short(c.get('title'), 50)}"),
                          data={"kind": "citation", "turn": self._turn_id(turn), **c})

    def _ev_run_end(self, turn: _TurnNodes, d: dict) -> None:
        status = d.get("status", "ok")
        extra = f"{d.get('seconds', 0):.1f}s" if d.get("seconds") is not None else ""
        self._set_active(turn, None)
        self.doing = ""
        self._relabel(turn, turn.root, self._turn_label(turn.question, status, extra))
