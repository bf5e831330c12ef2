"""The main screen's actions on answers: citations, details, other answers, copy, export, open source."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app import HopperApp
    from tui.widgets import AnswerView, EvidencePane
    from tui.widgets.question import QuestionInput


class AnswerActions:
    """Mixed into `MainScreen`: what the keys do with the current answer and its citations."""

    app: HopperApp
    answer_view: AnswerView
    evidence: EvidencePane
    question_input: QuestionInput

    def action_focus_citations(self) -> None:
        cites = self.answer_view.citation_list
        if not cites.citations:
            self.app.notify("This answer has no citations.", severity="warning")
            return
        cites.focus()

    def action_toggle_details(self) -> None:
        view = self.answer_view
        box = view.box_of(view.current.turn_id) if view.current is not None else None
        if box is None or not box.toggle_details():
            self.app.notify("This answer took no fallback: there are no details to show.", severity="warning")

    def action_scroll_answer(self, direction: int) -> None:
        self.answer_view.scroll_page(direction)

    def action_focus_input(self) -> None:
        self.question_input.focus()

    def action_other_answer(self, delta: int) -> None:
        if self.answer_view.step(delta) is None:
            self.app.notify("No answers yet.", severity="warning")

    def action_cite(self, n: int) -> None:
        cites = self.answer_view.citation_list
        if cites.choose(n) is None:
            have = f" (this answer has {len(cites.citations)})" if cites.citations else ""
            self.app.notify(f"No citation [{n}] in this answer{have}.", severity="warning")

    def action_copy_answer(self) -> None:
        from tui.widgets.turns import answer_text

        turn = self.answer_view.current
        if turn is None or turn.status not in ("ok", "budget"):
            self.app.notify("No finished answer to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(answer_text(turn))
        self.app.notify(f"Answer copied with {len(turn.citations)} reference(s).", title="Copied")

    def action_export(self) -> None:
        from tui.export import default_export_path, exportable
        from tui.screens.dialogs import PathScreen

        if not exportable(self.answer_view.turns):
            self.app.notify("No finished answer in this session to export yet.", severity="warning")
            return
        path = str(default_export_path(self.app.session_id))
        self.app.push_screen(PathScreen("Export this session as Markdown to:", path), self._export_to)

    def _export_to(self, path: str | None) -> None:
        from pathlib import Path

        from tui.screens.dialogs import ConfirmScreen

        if not path:
            return
        if Path(path).expanduser().exists():  # never overwrite a file without asking
            self.app.push_screen(ConfirmScreen(f"{path} exists. Replace it with this session's report?",
                                               yes="Replace"),
                                 lambda yes: self._write_export(path) if yes else self.app.notify(
                                     "Not exported: the file is left as it was.", title="Export"))
            return
        self._write_export(path)

    def _write_export(self, path: str) -> None:
        from tui.export import export_session

        try:
            written, n = export_session(self.answer_view.turns, path, index_dir=self.app.config.index_dir)
        except (ValueError, OSError) as exc:
            self.app.notify(f"Could not export: {exc}", title="Export", severity="error")
            return
        self.app.notify(f"{n} answer(s) with references written to {written}", title="Exported")

    def action_open_source(self, edit: bool) -> None:
        c = self.evidence.citation
        if c is None or not c.get("source"):
            self.app.notify("Open a citation or a hit first (its source file opens).", severity="warning")
            return
        self.app.open_source(str(c["source"]), str(c.get("text") or ""), edit=edit)
