"""The main screen: ask, watch the run tree, read the answer and the evidence behind it."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree
from textual.worker import get_current_worker

from tui.messages import CitationSelected, RunFinished, TraceArrived
from tui.screens.answer_actions import AnswerActions
from tui.screens.keys import MAIN_BINDINGS
from tui.widgets import AnswerView, EvidencePane, RunTree, StatusBar
from tui.widgets.question import EmptyState, QuestionInput
from tui.widgets.run_tree import event_parts
from tui.widgets.turns import TurnView

if TYPE_CHECKING:
    from tui.app import HopperApp

log = logging.getLogger(__name__)

NARROW = 100
"""Under this many columns the research tree is hidden until ctrl+g shows it."""


class MainScreen(AnswerActions, Screen):
    """Question input, answer with citations, evidence, live run tree and status bar."""

    app: HopperApp

    BINDINGS = MAIN_BINDINGS

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.cancel_event: threading.Event | None = None
        self.running_turn: int | None = None
        self.running_question = ""
        self.tree_shown: bool | None = None
        """ctrl+g's choice; None: shown when the screen is at least `NARROW` columns wide."""

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield EmptyState(id="empty")
                yield AnswerView(id="answer")
                yield EvidencePane(id="evidence")
            with Vertical(id="tree-pane"):
                yield Static("Research tree · Enter opens a node", classes="pane-title")
                yield RunTree(id="tree")
        question = QuestionInput(placeholder="Ask a question about your documents…", id="question")
        question.cursor_blink = self.app.live_clock  # a still cursor for snapshot tests
        yield question
        yield StatusBar(id="status", live_clock=self.app.live_clock)
        yield Footer(show_command_palette=False, compact=True)

    @property
    def answer_view(self) -> AnswerView:
        return self.query_one(AnswerView)

    @property
    def evidence(self) -> EvidencePane:
        return self.query_one(EvidencePane)

    @property
    def tree(self) -> RunTree:
        return self.query_one(RunTree)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def question_input(self) -> QuestionInput:
        return self.query_one("#question", QuestionInput)

    @property
    def empty_state(self) -> EmptyState:
        return self.query_one(EmptyState)

    @property
    def running(self) -> bool:
        return self.running_turn is not None

    def on_mount(self) -> None:
        self.empty_state.display = False
        try:
            self.question_input.history = self.app.store.recent_questions()
        except Exception:
            log.exception("cannot read earlier questions")
        self.refresh_status()
        self._layout_tree()
        self.question_input.focus()

    def refresh_status(self) -> None:
        """LM, index and readiness from the app (after a session was built or settings changed)."""
        app = self.app
        self.status.lm = app.lm_label
        self.status.index = app.index_label
        self.status.max_rounds = app.config.agent.max_rounds
        if not self.running:
            self.status.state = app.readiness
            self.question_input.disabled = app.readiness == "loading"
            if not self.question_input.disabled and self.app.screen is self and not self.empty_state.display:
                self.question_input.focus()

    def show_empty_state(self, problem: tuple[str, str, str, str] | None) -> None:
        """(title, text, button, action) in place of the answers; None shows the answers again."""
        empty = self.empty_state
        empty.display = problem is not None
        self.answer_view.display = self.evidence.display = problem is None
        if problem is not None:
            empty.show(*problem)
            empty.query_one("#empty-fix").focus()
        elif self.app.screen is self and not self.question_input.disabled:
            self.question_input.focus()

    def focus_input_soon(self) -> None:
        """Focus the question input once this screen is back on top (after a panel closed)."""
        def focus() -> None:
            if self.app.screen is self and not self.question_input.disabled and not self.empty_state.display:
                self.question_input.focus()

        self.call_after_refresh(focus)

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self._focus_usable)

    def _focus_usable(self) -> None:
        """Back from another screen: focus what is usable (the input, or the empty state's fix)."""
        if self.app.screen is not self:
            return
        if self.empty_state.display:
            self.empty_state.query_one("#empty-fix").focus()
        elif not self.question_input.disabled and (self.focused is None or not self.focused.visible
                                                   or self.empty_state in self.focused.ancestors):
            self.question_input.focus()

    @on(EmptyState.Fix)
    async def _fix(self, message: EmptyState.Fix) -> None:
        await self.run_action(message.action)

    # -- asking -------------------------------------------------------------------------------------
    @on(QuestionInput.Submitted, "#question")
    def _submitted(self, event: QuestionInput.Submitted) -> None:
        question = event.value.strip()
        if question:
            self.ask(question)

    @on(QuestionInput.CiteRequested)
    def _cite_requested(self, message: QuestionInput.CiteRequested) -> None:
        self.action_cite(message.n)

    @on(QuestionInput.HelpRequested)
    def _help_requested(self) -> None:
        self.action_help()

    def ask(self, question: str) -> None:
        app = self.app
        if self.running:
            app.notify("A run is in progress; press Escape to cancel it.", severity="warning")
            return
        if app.session is None:
            app.notify(app.session_error or "The agent is still loading; try again in a moment.",
                       title="Not ready", severity="error" if app.session_error else "warning")
            return
        try:
            session_id = app.ensure_saved_session()
            history = app.store.history(session_id)
            turn_id = app.store.start_turn(session_id, question)
        except Exception as exc:  # a broken sessions database must not lose the question
            log.exception("cannot save the turn")
            app.notify(f"Could not save the session: {exc}", title="Sessions", severity="error")
            return
        self.question_input.remember(question)
        self.question_input.value = ""
        self.running_turn, self.running_question = turn_id, question
        self.cancel_event = threading.Event()
        self.answer_view.add_turn(TurnView(turn_id, question))
        self.tree.start_turn(turn_id, question)
        self.evidence.show(None)
        self.status.start_run(app.config.agent.max_rounds)
        self.add_class("-running")
        self.refresh_bindings()
        self.question_input.placeholder = "Researching… press Escape to cancel"
        self.question_input.disabled = True
        self.run_agent(question, turn_id, history, self.cancel_event)

    @work(thread=True, exclusive=True, group="agent")
    def run_agent(self, question: str, turn_id: int, history: list[tuple[str, str]],
                  cancel: threading.Event) -> None:
        """Runs in a worker thread: the agent's events reach the UI as messages."""
        from tools.errors import HopperError

        app = self.app
        store = app.store
        worker = get_current_worker()

        def on_event(event) -> None:
            try:
                store.append_event(turn_id, event)
            except Exception:  # keep the run going; the answer is still shown
                log.exception("cannot save a trace event")
            if not worker.is_cancelled:
                self.post_message(TraceArrived(turn_id, event))

        try:
            result = app.session.ask(question, mode=app.config.agent.mode, subscribers=[on_event],
                                     cancel=cancel, history=history)
        except HopperError as exc:
            message, title = str(exc), type(exc).__name__
        except OSError as exc:  # a path the user named: one line, the path and the fix
            from tools.errors import describe_os_error

            message, title = describe_os_error(exc), "PathError"
        except Exception as exc:  # never a traceback on screen
            log.exception("agent run failed")
            message, title = f"{type(exc).__name__}: {exc}", "Agent error"
        else:
            try:
                store.finish_turn(turn_id, result.status, result.to_dict(with_trace=False))
            except Exception:
                log.exception("cannot save the answer")
            self.post_message(RunFinished(turn_id, result=result))
            return
        try:
            store.finish_turn(turn_id, "error", {"answer": message, "citations": [], "status": "error"},
                              error=message)
        except Exception:
            log.exception("cannot save the error")
        self.post_message(RunFinished(turn_id, error=message, title=title))

    @on(TraceArrived)
    def _trace_arrived(self, message: TraceArrived) -> None:
        try:
            self.tree.add_event(message.turn_id, message.event)
            if message.turn_id == self.running_turn:
                self.status.add_event(message.event)
                kind, data = event_parts(message.event)
                if kind == "followup":  # the running turn says how its question is read
                    self.answer_view.update_turn(TurnView(message.turn_id, self.running_question,
                                                          standalone=str(data.get("standalone") or "")))
                if event_parts(message.event)[0] == "step" and self.status.doing:
                    self.question_input.placeholder = f"{self.status.doing} (Escape cancels)"
        except Exception:  # an event this version cannot draw must not end the app
            log.exception("cannot show trace event %r", getattr(message.event, "type", message.event))

    @on(RunFinished)
    def _run_finished(self, message: RunFinished) -> None:
        self.running_turn = None
        self.cancel_event = None
        self.remove_class("-running")
        self.refresh_bindings()
        self.question_input.placeholder = "Ask a follow-up question…"
        self.question_input.disabled = False
        if self.app.screen is self:
            self.question_input.focus()
        try:
            self._show_result(message)
        finally:
            self.app.run_finished()

    def _show_result(self, message: RunFinished) -> None:
        if message.error:
            failed = TurnView(message.turn_id, self.running_question, message.error, "error")
            self.answer_view.update_turn(failed)
            self.status.stop_run("error")
            self.app.notify(message.error, title=message.title or "Error", severity="error", timeout=10)
            return
        result = message.result
        turn = TurnView.from_saved(message.turn_id, result.question or self.running_question,
                                   result.to_dict(with_trace=False), result.status, result.trace.events)
        self.answer_view.update_turn(turn)
        self.status.stop_run(result.status if result.status != "ok" else "ready")
        if result.status == "cancelled":
            self.app.notify("The run was cancelled.", title="Cancelled", severity="warning")
        elif result.status == "budget":
            self.app.notify("The run stopped at its budget; the answer uses what was found.",
                            severity="warning")

    # -- actions ------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":  # shown in the footer only while there is something to cancel
            return True if self.running or self._help_panel_open() else False
        if action == "copy_answer":  # the running answer cannot be copied: room for "esc Cancel"
            return not self.running
        return True

    def on_resize(self) -> None:
        self._layout_tree()

    def _layout_tree(self) -> None:
        """The research tree shows beside the answers when there is room (or when ctrl+g asked)."""
        narrow = self.size.width < NARROW
        self.set_class(narrow, "-narrow")
        shown = self.tree_shown if self.tree_shown is not None else not narrow
        self.set_class(not shown, "-no-tree")

    def action_toggle_tree(self) -> None:
        self.tree_shown = self.has_class("-no-tree")
        self._layout_tree()
        self.answer_view.scroll_current()  # the answer re-wraps: keep it in view
        if not self.tree_shown and self.tree.has_focus:
            self.question_input.focus()

    def _help_panel_open(self) -> bool:
        from textual.widgets import HelpPanel

        return bool(self.query(HelpPanel))

    def action_cancel(self) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.cancel_event.set()
            self.status.state = "cancelling"
        elif self._help_panel_open():
            self.app.action_hide_help_panel()

    def action_help(self) -> None:
        from tui.screens.dialogs import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_new_session(self) -> None:
        if self.running:
            self.app.notify("Cancel the run (Escape) before starting a new session.", severity="warning")
            return
        self.app.open_session(None)

    @on(CitationSelected)
    def _citation_selected(self, message: CitationSelected) -> None:
        self.evidence.show(message.citation)

    @on(Tree.NodeSelected, "#tree")
    def _tree_node(self, event: Tree.NodeSelected) -> None:
        """Enter on a run-tree node: a query in full, a hit's passage, a citation, a verdict."""
        event.stop()
        d = event.node.data or {}
        passage = None
        if d.get("kind") in ("hit", "citation"):
            passage = self.app.passage(str(d.get("chunk_id") or ""), turn_id=d.get("turn"))
        self.evidence.show_node(d, passage)

    # -- sessions -----------------------------------------------------------------------------------
    def show_session(self, turns: list[Any]) -> None:
        """Show saved turns (`tui.sessions.Turn`): transcript, tree and the last run's counts."""
        views, self.running_turn = [], None
        self.tree.reset()
        for turn in turns:
            status = turn.status if turn.status != "running" else "cancelled"
            answer = dict(turn.answer or {})
            if status == "error":
                answer["answer"] = turn.error or answer.get("answer", "")
            views.append(TurnView.from_saved(turn.id, turn.question, answer, status, turn.events))
            self.tree.start_turn(turn.id, turn.question)
            for event in turn.events:
                try:
                    self.tree.add_event(turn.id, event)
                except Exception:
                    log.exception("cannot show a saved trace event of turn %s", turn.id)
        self.answer_view.set_turns(views)
        self.evidence.show(None)
        self.status.replay(turns[-1].events if turns else [], self.app.readiness)
        self.status.max_rounds = self.app.config.agent.max_rounds
        self.question_input.placeholder = ("Ask a follow-up question…" if turns
                                           else "Ask a question about your documents…")
