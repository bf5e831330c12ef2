"""The main screen: ask, watch the run tree, read the answer and the evidence behind it."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import get_current_worker

from tui.messages import CitationSelected, RunFinished, TraceArrived
from tui.widgets import AnswerView, EvidencePane, RunTree, StatusBar
from tui.widgets.answer import TurnView

if TYPE_CHECKING:
    from tui.app import HopperApp

log = logging.getLogger(__name__)


class MainScreen(Screen):
    """Question input, answer with citations, evidence, live run tree and status bar."""

    app: HopperApp

    BINDINGS = [
        Binding("escape", "cancel", "Cancel run", priority=True),
        Binding("ctrl+n", "new_session", "New"),
        Binding("ctrl+s", "app.sessions", "Sessions"),
        Binding("ctrl+o", "app.corpus", "Corpus"),
        Binding("ctrl+t", "app.settings", "Settings"),
        Binding("ctrl+l", "focus_input", "Ask", show=False),
        Binding("pageup", "scroll_answer(-1)", "Scroll answer", show=False),
        Binding("pagedown", "scroll_answer(1)", "Scroll answer", show=False),
        *[Binding(str(n), f"cite({n})", f"Citation {n}", show=False) for n in range(1, 10)],
    ]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.cancel_event: threading.Event | None = None
        self.running_turn: int | None = None

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield AnswerView(id="answer")
                yield EvidencePane(id="evidence")
            yield RunTree(id="tree")
        question = Input(placeholder="Ask a question about your documents…", id="question")
        question.cursor_blink = self.app.live_clock  # a still cursor for snapshot tests
        yield question
        yield StatusBar(id="status", live_clock=self.app.live_clock)
        yield Footer()

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
    def question_input(self) -> Input:
        return self.query_one("#question", Input)

    @property
    def running(self) -> bool:
        return self.running_turn is not None

    def on_mount(self) -> None:
        self.refresh_status()
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
            if not self.question_input.disabled and self.app.screen is self:
                self.question_input.focus()

    # -- asking -------------------------------------------------------------------------------------
    @on(Input.Submitted, "#question")
    def _submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if question:
            self.ask(question)

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
        self.question_input.value = ""
        self.running_turn = turn_id
        self.cancel_event = threading.Event()
        self.answer_view.add_turn(TurnView(turn_id, question))
        self.tree.start_turn(turn_id, question)
        self.evidence.show(None)
        self.status.start_run(app.config.agent.max_rounds)
        self.add_class("-running")
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
            result = app.session.ask(question, mode=app.config.agent.mode, subscribers=[on_event], cancel=cancel,
                                     history=history)
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
            self.evidence.record(message.event)
            self.tree.add_event(message.turn_id, message.event)
            if message.turn_id == self.running_turn:
                self.status.add_event(message.event)
        except Exception:  # an event this version cannot draw must not end the app
            log.exception("cannot show trace event %r", getattr(message.event, "type", message.event))

    @on(RunFinished)
    def _run_finished(self, message: RunFinished) -> None:
        self.running_turn = None
        self.cancel_event = None
        self.remove_class("-running")
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
            self.answer_view.finish_turn(message.turn_id, message.error, "error", [])
            self.status.stop_run("error")
            self.app.notify(message.error, title=message.title or "Error", severity="error", timeout=10)
            return
        result = message.result
        citations = [dict(vars(c)) for c in result.citations]
        self.answer_view.finish_turn(message.turn_id, result.answer, result.status, citations)
        self.status.stop_run(result.status if result.status != "ok" else "ready")
        if result.status == "cancelled":
            self.app.notify("The run was cancelled.", title="Cancelled", severity="warning")
        elif result.status == "budget":
            self.app.notify("The run stopped at its budget; the answer uses what was found.", severity="warning")

    # -- actions ------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return True if self.running else None
        return True

    def action_cancel(self) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.cancel_event.set()
            self.status.state = "cancelling"

    def action_new_session(self) -> None:
        if self.running:
            self.app.notify("Cancel the run (Escape) before starting a new session.", severity="warning")
            return
        self.app.open_session(None)

    def action_scroll_answer(self, direction: int) -> None:
        view = self.answer_view
        (view.scroll_page_down if direction > 0 else view.scroll_page_up)(animate=False)

    def action_focus_input(self) -> None:
        self.question_input.focus()

    def action_cite(self, n: int) -> None:
        cites = self.answer_view.citation_list
        cite = cites.citation(n)
        if cite is None:
            self.app.notify(f"No citation [{n}] in this answer.", severity="warning")
            return
        cites.highlighted = cites.citations.index(cite)
        self.evidence.show(cite)

    @on(CitationSelected)
    def _citation_selected(self, message: CitationSelected) -> None:
        self.evidence.show(message.citation)

    # -- sessions -----------------------------------------------------------------------------------
    def show_session(self, turns: list[Any]) -> None:
        """Show saved turns (`tui.sessions.Turn`): transcript, tree and the last run's counts."""
        views, self.running_turn = [], None
        self.tree.reset()
        for turn in turns:
            answer = turn.answer or {}
            status = turn.status if turn.status != "running" else "cancelled"
            text = answer.get("answer", "") if status != "error" else (turn.error or answer.get("answer", ""))
            views.append(TurnView(turn.id, turn.question, text, status, list(answer.get("citations") or [])))
            self.tree.start_turn(turn.id, turn.question)
            for event in turn.events:
                try:
                    self.evidence.record(event)
                    self.tree.add_event(turn.id, event)
                except Exception:
                    log.exception("cannot show a saved trace event of turn %s", turn.id)
        self.answer_view.set_turns(views)
        self.evidence.show(None)
        self.status.replay(turns[-1].events if turns else [], self.app.readiness)
        self.status.max_rounds = self.app.config.agent.max_rounds
        self.question_input.placeholder = ("Ask a follow-up question…" if turns
                                           else "Ask a question about your documents…")
