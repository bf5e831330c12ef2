"""Command palette commands: settings (LM, retriever, mode, rounds), sessions, corpus, help, copy, export."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import HopperApp

MODES = ("agent", "rag", "closed")
ROUNDS = (1, 2, 3, 4, 5)


class HopperCommands(Provider):
    """Hopper's own commands in the palette (ctrl+p)."""

    app: HopperApp

    def _commands(self) -> list[tuple[str, str, Callable[[], object], bool]]:
        """(title, help, callback, shown without a query)."""
        from tui.screens.settings import retriever_choices

        app = self.app
        cfg = app.config.agent
        out: list[tuple[str, str, Callable[[], object], bool]] = [
            ("Sessions", "List, reopen and delete saved sessions", app.action_sessions, True),
            ("New session", "Start a new session (earlier turns are no longer context)",
             partial(app.open_session, None), True),
            ("Corpus", "Add a folder to the index; documents, chunks and graph size", app.action_corpus,
             True),
            ("Settings", "LM, fast LM, retriever, mode and rounds budget", app.action_settings, True),
            ("Settings: change LM", f"Now: {app.config.lm.model}", partial(app.action_settings, "lm"), True),
            ("Help: every key", "All keys of every screen (F1)", app.main.action_help, True),
            ("Copy answer", "The current answer with its references, to the clipboard (ctrl+y)",
             app.main.action_copy_answer, True),
            ("Export session", "The session as a Markdown report with references (ctrl+s)",
             app.main.action_export, True),
        ]
        for name in retriever_choices():
            out.append((f"Retriever: {name}", f"Default retriever for rag mode (now {cfg.retriever})",
                        partial(app.set_setting, "agent.retriever", name), False))
        for mode in MODES:
            out.append((f"Mode: {mode}", f"How questions are answered (now {cfg.mode})",
                        partial(app.set_setting, "agent.mode", mode), False))
        for n in ROUNDS:
            out.append((f"Rounds budget: {n}", f"Search rounds per sub-question (now {cfg.max_rounds})",
                        partial(app.set_setting, "agent.max_rounds", n), False))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback, shown in self._commands():
            if shown:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, _ in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
