"""Widgets of the Hopper TUI: answer view, run tree, evidence pane, status bar."""

from tui.widgets.answer import AnswerView, CitationList
from tui.widgets.evidence import EvidencePane
from tui.widgets.run_tree import RunTree
from tui.widgets.status import StatusBar

__all__ = ["AnswerView", "CitationList", "EvidencePane", "RunTree", "StatusBar"]
