"""The Hopper terminal app. `make_app(config, session=None, store=None)` serves the CLI and the tests.

`session` is anything with `ask(question, mode=, subscribers=, cancel=, history=) -> AgentResult`
(an `agent.session.Session`, or a fake replaying a recorded trace). Without one, the app builds
an `agent.session.Session` from `config` in a worker, so the screen appears at once.
`live_clock=False` freezes what changes by itself (the elapsed-time ticker, the cursor blink)
so snapshot tests are deterministic.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App
from textual.binding import Binding

from agent.config import HopperConfig, set_value, validate
from tools.redact import MASK, mask_secrets
from tui.messages import SessionReady, SettingsChanged
from tui.screens.main import MainScreen
from tui.screens.palette import HopperCommands
from tui.sessions import SessionStore

log = logging.getLogger(__name__)


def short_path(path: str) -> str:
    if not path:
        return ""
    full = Path(path).expanduser()
    try:
        return "~/" + str(full.relative_to(Path.home())) if full.is_absolute() else path
    except ValueError:
        return path


class HopperApp(App):
    """Ask, watch the agent think, read the evidence, come back to earlier sessions."""

    CSS_PATH = "app.tcss"
    TITLE = "Hopper"
    COMMANDS = App.COMMANDS | {HopperCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, config: HopperConfig, session: Any = None, store: SessionStore | None = None, *,
                 session_factory: Callable[[HopperConfig], Any] | None = None, session_id: int | None = None,
                 live_clock: bool = True):
        super().__init__()
        self.config = config
        self.session = session
        self.session_error = ""
        self._store = store
        self.session_factory = session_factory
        self.session_id: int | None = None
        self._open_at_start = session_id
        self.live_clock = live_clock
        self.loading = session is None
        self._rebuild_after_run = False

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notification, but plain text by default (a path or title with `[...]` is no markup)
        and with control characters shown as escapes (an error may quote a document)."""
        from tui.common import printable

        super().notify(printable(message), title=printable(title), severity=severity, timeout=timeout,
                       markup=markup)

    # -- state --------------------------------------------------------------------------------------
    @property
    def store(self) -> SessionStore:
        if self._store is None:
            self._store = SessionStore()
        return self._store

    @property
    def main(self) -> MainScreen:
        return self.get_screen("main")  # type: ignore[return-value]

    @property
    def readiness(self) -> str:
        if self.loading:
            return "loading"
        return "ready" if self.session is not None else "no agent"

    @property
    def lm_label(self) -> str:
        runtime = getattr(getattr(self.session, "agent", None), "runtime", None)
        name = getattr(runtime, "lm_name", "") or self.config.lm.model
        return name.split(" (")[0]

    @property
    def index_label(self) -> str:
        return short_path(self.config.index_dir)

    # -- lifecycle ----------------------------------------------------------------------------------
    async def on_mount(self) -> None:
        self.install_screen(MainScreen(), "main")
        await self.push_screen("main")
        if self.session is None:
            self.build_session()
        if self._open_at_start is not None:
            self.open_session(self._open_at_start)

    @work(thread=True, exclusive=True, group="session")
    def build_session(self) -> None:
        """Open the index and load the LMs (seconds) off the event loop."""
        from tools.errors import HopperError

        factory = self.session_factory
        if factory is None:
            from agent.session import Session as factory
        try:
            session = factory(self.config)
        except HopperError as exc:
            self.post_message(SessionReady(error=str(exc)))
        except OSError as exc:  # a path the user named: one line, the path and the fix
            from tools.errors import describe_os_error

            self.post_message(SessionReady(error=describe_os_error(exc)))
        except Exception as exc:
            log.exception("cannot build the agent session")
            self.post_message(SessionReady(error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(SessionReady(session=session))

    @on(SessionReady)
    def _session_ready(self, message: SessionReady) -> None:
        self.loading = False
        if message.error:
            self.session = None
            self.session_error = message.error
            self.notify(message.error, title="Agent not ready", severity="error", timeout=6)
        else:
            self.session, self.session_error = message.session, ""
        self.main.refresh_status()
        self.main.show_empty_state(self.problem())

    def problem(self) -> tuple[str, str, str, str] | None:
        """Why there is no agent, as (title, text, button, action) for the main screen; None when ready."""
        if self.session is not None or self.loading:
            return None
        from tools.store import read_manifest

        index_dir = self.config.index_dir
        try:
            has_index = bool(index_dir) and read_manifest(Path(index_dir).expanduser()) is not None
        except Exception:  # a damaged manifest: the session error says what is wrong
            has_index = True
        if not has_index:
            where = (f"No index in {short_path(index_dir)} yet." if index_dir
                     else "No index folder is configured.")
            text = (f"{where} Hopper answers from the documents you index. Open the Corpus screen and add a "
                    f"folder of notes, Markdown, text, HTML or PDF files; questions work as soon as it is "
                    f"built.")
            if not index_dir:
                text = f"{where} Start Hopper with --index DIR (or set index_dir in hopper.toml)."
                return ("Nothing to search yet", text, "Open Settings (ctrl+t)", "app.settings")
            return ("Nothing to search yet", text, "Add documents: Corpus screen (ctrl+o)", "app.corpus")
        return ("The agent could not start", self.session_error,
                "Open Settings to choose another LM (ctrl+t)", "app.settings('lm')")

    def rebuild_session(self) -> None:
        if self.main.running:
            self._rebuild_after_run = True
            self.notify("The LM changes after the current run (cancel it with Escape).", severity="warning")
            return
        self._rebuild_after_run = False
        self.loading = True
        self.session = None
        self.main.refresh_status()
        self.build_session()

    def run_finished(self) -> None:
        """Called by the main screen when a run ends: apply an LM change made meanwhile."""
        if self._rebuild_after_run:
            self.rebuild_session()

    def reload_index(self) -> None:
        """Point the session at the newest index generation (after the corpus grew)."""
        session = self.session
        if session is None or not hasattr(session, "agent"):
            self.rebuild_session()
            return
        try:
            from tools.index import Index

            index = Index(self.config.index_dir, self.config.index)
            session.index = index
            session.agent.runtime.index = index
        except Exception as exc:
            self.notify(f"Could not reopen the index: {exc}", severity="error")
        self.main.show_empty_state(self.problem())
        self.main.refresh_status()

    # -- passages and sources -----------------------------------------------------------------------
    def passage(self, chunk_id: str, turn_id: int | None = None) -> dict[str, Any] | None:
        """A passage by chunk id (from the open index, else from a shown answer's citations).

        The passage carries `injection` (sentences ignored as instructions) when turn `turn_id`
        flagged it.
        """
        main = self.main
        turns = main.answer_view.turns
        turn = next((t for t in turns if t.turn_id == turn_id), None)
        found: dict[str, Any] | None = None
        store = getattr(getattr(self.session, "index", None), "store", None)
        if store is not None and chunk_id:
            try:
                if chunk_id in store:
                    c = store.get(chunk_id)
                    found = {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "source": c.source,
                             "text": c.text}
            except Exception:
                log.exception("cannot read chunk %s", chunk_id)
        if found is None:
            for t in ([turn] if turn else []) + turns:
                cite = next((c for c in t.citations if c.get("chunk_id") == chunk_id), None)
                if cite is not None:
                    keys = ("chunk_id", "doc_id", "title", "source", "text")
                    found = {k: cite[k] for k in keys if k in cite}
                    break
        if found is not None:
            for t in [turn] if turn else turns:
                if chunk_id in t.injections:
                    found["injection"] = t.injections[chunk_id]
                    break
        return found

    def open_source(self, source: str, passage: str = "", *, edit: bool = False) -> bool:
        """Open a source file at the passage in `$PAGER` (or `$EDITOR` when `edit`); the TUI is suspended."""
        import subprocess

        from textual.app import SuspendNotSupported

        from tui.opener import open_command

        try:
            command = open_command(source, passage, edit=edit)
        except (OSError, ValueError) as exc:
            self.notify(str(exc), title="Open source", severity="error")
            return False
        try:
            with self.suspend():
                code = subprocess.call(command)
        except SuspendNotSupported:  # no terminal to hand over (tests, web): run it without suspending
            code = subprocess.call(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        except OSError as exc:
            self.notify(f"Could not run {command[0]}: {exc}", title="Open source", severity="error")
            return False
        if code:
            self.notify(f"{command[0]} exited with status {code}.", title="Open source", severity="warning")
        return code == 0

    # -- sessions -----------------------------------------------------------------------------------
    def ensure_saved_session(self) -> int:
        if self.session_id is None:
            self.session_id = self.store.new_session("", self.config.index_dir, self.config.lm.model)
        return self.session_id

    def open_session(self, session_id: int | None) -> None:
        """Show a saved session (None: a new, empty one)."""
        if self.main.running:
            self.notify("Cancel the run (Escape) before switching sessions.", severity="warning")
            return
        if session_id is None:
            self.session_id = None
            self.main.show_session([])
            self.main.focus_input_soon()
            return
        try:
            info = self.store.get_session(session_id)
            turns = self.store.turns(session_id) if info else []
        except Exception as exc:
            self.notify(f"Could not read the session: {exc}", title="Sessions", severity="error")
            return
        if info is None:
            self.notify(f"No saved session {session_id}.", title="Sessions", severity="error")
            return
        self.session_id = session_id if self._use_index_of(info) else None
        self.main.show_session(turns)
        self.main.focus_input_soon()

    def _use_index_of(self, info) -> bool:
        """Point the app at a reopened session's index (and LM). False, with a notice saying why, when
        its index is gone: the session is shown, and the next question starts a new one."""
        from tui.sessions import same_dir

        want, have = info.index_dir, self.config.index_dir
        if want and not (have and same_dir(want, have)):
            if not Path(want).expanduser().is_dir():
                self.notify(f"Session {info.id} was made on index {short_path(want)}, which no longer "
                            f"exists. Its answers are shown; a question asked now starts a new session on "
                            f"{short_path(have) or 'no index'}.", title="Sessions", severity="warning",
                            timeout=10)
                return False
            self.config.index_dir = want
            self.reload_index()
            self.notify(f"Session {info.id} was made on index {short_path(want)}: switched to it.",
                        title="Sessions")
        if info.model and info.model != mask_secrets(self.config.lm.model) and MASK not in info.model:
            self.apply_settings({"lm.model": info.model})  # reloads the LM in a worker, and says so
        return True

    # -- settings -----------------------------------------------------------------------------------
    def save_settings(self, values: dict[str, Any], path: Path | None = None) -> Path | None:
        """Apply `values` and write them to `./hopper.toml` (other keys and comments are kept)."""
        from tui.tomlwrite import update_toml

        if not self.apply_settings(values):
            return None
        target = path or Path.cwd() / "hopper.toml"
        try:
            update_toml(target, {d: self.config.get(d) for d in values})
        except (OSError, ValueError) as exc:
            self.notify(f"Could not write {target}: {exc}", title="Settings", severity="error")
            return None
        self.notify(f"Saved {len(values)} setting(s) to {target}", title="Settings")
        return target

    def set_setting(self, dotted: str, value: Any) -> None:
        """Change one setting in memory (from the palette)."""
        self.apply_settings({dotted: value})

    def apply_settings(self, values: dict[str, Any]) -> bool:
        """Change settings in memory; the LMs are reloaded (in a worker) when an LM changed.

        Returns False (and notifies) when a value is invalid; nothing is changed then.
        """
        from tools.errors import HopperError

        trial = copy.deepcopy(self.config)
        try:
            for dotted, value in values.items():
                set_value(trial, dotted, value, "tui")
            validate(trial)
        except HopperError as exc:
            self.notify(str(exc), title="Settings", severity="error")
            return False
        changed = [d for d in values if trial.get(d) != self.config.get(d)]
        for dotted in changed:
            set_value(self.config, dotted, trial.get(dotted), "tui")
        if changed:
            self.post_message(SettingsChanged(rebuild=bool({"lm.model", "lm.fast_model"} & set(changed))))
            self.notify(", ".join(f"{d} = {self.config.get(d)}" for d in changed), title="Settings")
        return True

    @on(SettingsChanged)
    def _settings_changed(self, message: SettingsChanged) -> None:
        if message.rebuild:
            self.rebuild_session()
        else:
            self.main.refresh_status()

    # -- actions ------------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quit; a running agent is asked to stop first so its thread ends with the app."""
        main = self.get_screen("main") if self.is_screen_installed("main") else None
        if isinstance(main, MainScreen) and main.cancel_event is not None:
            main.cancel_event.set()
        self.exit()

    def action_sessions(self) -> None:
        from tui.screens.sessions import SessionsScreen

        if not isinstance(self.screen, SessionsScreen):
            self.push_screen(SessionsScreen())

    def action_corpus(self) -> None:
        from tui.screens.corpus import CorpusScreen

        if not isinstance(self.screen, CorpusScreen):
            self.push_screen(CorpusScreen())

    def action_settings(self, focus: str = "") -> None:
        from tui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen(focus=focus))


def make_app(config: HopperConfig, session: Any = None, store: SessionStore | None = None,
             **kwargs: Any) -> HopperApp:
    """The one factory for the CLI and the tests (see `HopperApp` for the keyword arguments)."""
    return HopperApp(config, session, store, **kwargs)
