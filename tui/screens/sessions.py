"""The sessions screen: list, reopen and delete saved sessions."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

if TYPE_CHECKING:
    from tui.app import HopperApp


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


class SessionsScreen(Screen):
    """Saved sessions, newest first."""

    app: HopperApp

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open", priority=True),
        Binding("d,delete", "delete", "Delete"),
        Binding("u", "undo", "Undo delete"),
        Binding("n", "new", "New session"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.deleted: list[dict] = []  # rows of deleted sessions, newest last (u puts them back)

    def compose(self) -> ComposeResult:
        yield Static("Sessions", classes="screen-title")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sessions-empty", classes="hint")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#sessions", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns("#", "First question", "Turns", "Last used", "Index")
        self.reload()
        self.table.focus()

    def reload(self) -> None:
        table = self.table
        table.clear()
        try:
            sessions = self.app.store.list_sessions()
        except Exception as exc:
            self.app.notify(f"Could not read sessions: {exc}", title="Sessions", severity="error")
            sessions = []
        for s in sessions:
            marker = " ●" if s.id == self.app.session_id else ""
            table.add_row(f"{s.id}{marker}", (s.title or "(empty)")[:70], str(s.turns), _when(s.updated),
                          _index_name(s.index_dir), key=str(s.id))
        self.query_one("#sessions-empty", Static).update(
            "" if sessions else "No saved sessions yet: questions you ask are saved here automatically.")

    def _selected(self) -> int | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def action_open(self) -> None:
        session_id = self._selected()
        if session_id is None:
            return
        self.app.pop_screen()
        self.app.open_session(session_id)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_delete(self) -> None:
        from tui.screens.dialogs import ConfirmScreen

        session_id = self._selected()
        if session_id is None:
            return
        if session_id == self.app.session_id and self.app.main.running:
            self.app.notify("Cancel the run before deleting its session.", severity="warning")
            return
        title = str(self.table.get_row(str(session_id))[1])
        question = (f"Delete session {session_id} ({title})?\n"
                    f"Its questions, answers and traces go; u on this screen undoes it.")
        self.app.push_screen(ConfirmScreen(question, yes="Delete"),
                             lambda yes: self._delete(session_id) if yes else None)

    def _delete(self, session_id: int) -> None:
        try:
            saved = self.app.store.delete_session(session_id)
        except Exception as exc:
            self.app.notify(f"Could not delete session {session_id}: {exc}", severity="error")
            return
        if saved is not None:
            self.deleted.append(saved)
        if session_id == self.app.session_id:
            self.app.open_session(None)
        self.app.notify(f"Deleted session {session_id}; press u to undo.", title="Sessions")
        self.reload()

    def action_undo(self) -> None:
        if not self.deleted:
            self.app.notify("Nothing to undo.", severity="warning")
            return
        saved = self.deleted.pop()
        try:
            session_id = self.app.store.restore_session(saved)
        except Exception as exc:
            self.app.notify(f"Could not restore the session: {exc}", severity="error")
            return
        self.app.notify(f"Restored session {session_id}.", title="Sessions")
        self.reload()
        self.table.move_cursor(row=self.table.get_row_index(str(session_id)))

    def action_new(self) -> None:
        self.app.pop_screen()
        self.app.open_session(None)


def _index_name(index_dir: str) -> str:
    """The index folder's short path (a session reopens on it)."""
    from tui.app import short_path

    return short_path(index_dir) or "-"
