"""Keys: the main screen's bindings, and the help tables built from every screen's bindings."""

from __future__ import annotations

from textual.binding import Binding

MAIN_BINDINGS = [
    Binding("escape", "cancel", "Cancel", priority=True, tooltip="Cancel the run; close the keys panel"),
    Binding("ctrl+q", "app.quit", "Quit", priority=True, tooltip="Quit (a running question is cancelled)"),
    Binding("f1", "help", "Help"),
    Binding("question_mark", "help", "Help", show=False),
    Binding("ctrl+n", "new_session", "New", show=False, tooltip="Start a new session"),
    Binding("ctrl+r", "app.sessions", "Sessions", tooltip="Saved sessions: reopen, delete, undo"),
    Binding("ctrl+o", "app.corpus", "Corpus", tooltip="Index: add or re-sync folders, open documents"),
    Binding("ctrl+t", "app.settings", "Settings", tooltip="LM, retriever, mode, rounds; save to hopper.toml"),
    Binding("ctrl+y", "copy_answer", "Copy", tooltip="Copy the current answer with its references (OSC 52)"),
    Binding("ctrl+s", "export", "Export", tooltip="Save the session as a Markdown report with references"),
    Binding("ctrl+g", "toggle_tree", "Tree",
            tooltip="Show or hide the research tree (hidden at first under 100 columns)"),
    Binding("ctrl+l", "focus_input", "Ask", show=False, tooltip="Back to the question input"),
    Binding("ctrl+right_square_bracket", "focus_citations", "Citations", show=False, priority=True,
            tooltip="To the current answer's citations (then [ ] other answers, 1-9, o, e)"),
    Binding("alt+d", "toggle_details", "Details", show=False, priority=True,
            tooltip="Expand or fold the fallback details of the current answer"),
    Binding("left_square_bracket", "other_answer(-1)", "Previous answer", show=False,
            tooltip="Previous answer (outside the input): its citations become the list"),
    Binding("right_square_bracket", "other_answer(1)", "Next answer", show=False,
            tooltip="Next answer (outside the input)"),
    Binding("o", "open_source(False)", "Open source in $PAGER", show=False,
            tooltip="Open the shown passage's file in $PAGER at the passage"),
    Binding("e", "open_source(True)", "Open source in $EDITOR", show=False,
            tooltip="Open the shown passage's file in $EDITOR at the passage"),
    Binding("pageup", "scroll_answer(-1)", "Scroll answers", show=False),
    Binding("pagedown", "scroll_answer(1)", "Scroll answers", show=False),
    *[Binding(str(n), f"cite({n})", f"Citation {n}", show=False) for n in range(1, 10)],
    *[Binding(f"alt+{n}", f"cite({n})", f"Citation alt {n}", show=False, priority=True)
      for n in range(1, 10)],
]


# Keys that belong to widgets rather than screen bindings (so they are not found by walking BINDINGS).
WIDGET_KEYS = {
    "Main": [("tab / shift+tab", "Move between the input, the citations, the evidence and the run tree"),
             ("up / down (input)", "Earlier / later questions you asked"),
             ("? (empty input)", "This help"),
             ("up / down (citations)", "Move between citations; the evidence pane follows"),
             ("enter (run tree)", "Open a node: a query in full, a hit's passage, a citation"),
             ("left / right (run tree)", "Collapse / expand a node")],
    "Sessions": [("up / down", "Move between sessions"), ("q", "Back (as Escape)")],
    "Corpus": [("enter (path)", "Add the folder or file typed"), ("enter (documents)", "Open the document")],
}


def _key_name(key: str) -> str:
    names = {"question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]",
             "ctrl+right_square_bracket": "ctrl+]"}
    return names.get(key, key)


def _rows(screen_cls: type) -> list[tuple[str, str]]:
    """(keys, description) of a screen's bindings, numbered keys folded into one row."""
    rows: dict[str, list[str]] = {}
    for b in screen_cls.BINDINGS:
        binding = b if not isinstance(b, tuple) else Binding(*b)
        desc = binding.tooltip or binding.description or binding.action
        if desc.startswith("Citation alt "):
            desc = "Open citation n of the current answer (also from an empty question input)"
        elif desc.startswith("Citation "):
            desc = "Open citation n of the current answer (outside the input)"
        rows.setdefault(desc, []).extend(_key_name(k.strip()) for k in binding.key.split(","))
    out = []
    for desc, keys in rows.items():
        keys = list(dict.fromkeys(keys))
        numbered = len(keys) > 3 and all(k.removeprefix("alt+").isdigit() for k in keys)
        shown = f"{keys[0]}-{keys[-1]}" if numbered else " / ".join(keys)

        out.append((shown, desc))
    return out


def help_tables() -> list[tuple[str, list[tuple[str, str]]]]:
    from tui.screens.corpus import CorpusScreen
    from tui.screens.main import MainScreen
    from tui.screens.sessions import SessionsScreen
    from tui.screens.settings import SettingsScreen

    out = []
    for name, cls in (("Main", MainScreen), ("Sessions", SessionsScreen), ("Corpus", CorpusScreen),
                      ("Settings", SettingsScreen)):
        out.append((name, _rows(cls) + WIDGET_KEYS.get(name, [])))
    out.append(("Everywhere", [("ctrl+p", "Command palette (settings, sessions, corpus, keys)"),
                               ("ctrl+q", "Quit"), ("escape / q", "Close a panel (Sessions, Corpus, Help)")]))
    return out
