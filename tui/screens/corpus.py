"""The corpus screen: documents, chunks and graph size of the index; add a folder or re-sync the folders
already indexed, with progress; Enter on a document opens it in `$PAGER`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, ProgressBar, Static

from tui.messages import IndexFinished, IndexProgress

if TYPE_CHECKING:
    from tui.app import HopperApp

log = logging.getLogger(__name__)
MAX_ROWS = 5000


class UIProgress:
    """`tools.progress.Progress` that forwards to the screen as messages (called from a worker)."""

    def __init__(self, screen: CorpusScreen):
        self.screen = screen
        self.done: dict[str, int] = {}
        self.totals: dict[str, int | None] = {}

    def start(self, task: str, total: int | None) -> None:
        self.done[task], self.totals[task] = 0, total
        self.screen.post_message(IndexProgress(task, 0, total))

    def advance(self, task: str, n: int = 1) -> None:
        self.done[task] = self.done.get(task, 0) + n
        self.screen.post_message(IndexProgress(task, self.done[task], self.totals.get(task)))

    def finish(self, task: str) -> None:
        total = self.totals.get(task)
        done = total or self.done.get(task, 0)
        self.screen.post_message(IndexProgress(task, done, done))


def index_summary(index_dir: str, settings) -> tuple[dict[str, int], list[tuple[str, str, int, str]]]:
    """(manifest counts, [(title, shown source, chunks, full source)]) of the index.

    Both are empty when there is no index."""
    from tools.errors import IndexNotFoundError
    from tools.index import Index

    try:
        index = Index(index_dir, settings)
    except IndexNotFoundError:
        return {}, []
    docs = [(m.get("title") or d, _shown_source(m), len(m.get("chunks") or ()), str(m.get("source", "")))
            for d, m in index.store.docs.items()]
    return dict(index.manifest.counts), sorted(docs, key=lambda r: r[1])


def _shown_source(meta: dict[str, Any]) -> str:
    """The source path relative to the indexed folder it came from (`docs/people/x.md`)."""
    source, root = meta.get("source", ""), meta.get("root", "")
    try:
        return str(Path(Path(root).name) / Path(source).relative_to(root)) if root else source
    except ValueError:
        return source


class CorpusScreen(Screen):
    """What the index holds, and a form to add a folder to it."""

    app: HopperApp

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back"), Binding("f5", "resync", "Re-sync folders"),
                Binding("ctrl+r", "refresh", "Refresh counts"),
                Binding("o", "open_doc", "Open document", show=False)]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.indexing = False
        self.sources: dict[str, str] = {}  # row key -> the document's file

    def compose(self) -> ComposeResult:
        yield Static("Corpus", classes="screen-title")
        yield Static("", id="corpus-stats")
        with Horizontal(id="corpus-add"):
            yield Input(placeholder="Folder or file to add (e.g. ~/notes)", id="corpus-path")
            yield Button("Add", id="corpus-go", variant="primary")
        yield Static("", id="corpus-task", classes="hint")
        yield ProgressBar(id="corpus-progress", show_eta=False)
        yield DataTable(id="corpus-docs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#corpus-progress", ProgressBar).display = False
        self.query_one("#corpus-path", Input).focus()
        self.action_refresh()

    # -- stats --------------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.query_one("#corpus-stats", Static).update(f"Index {self.app.index_label or '(none)'}: reading…")
        self.load_stats()

    @work(thread=True, exclusive=True, group="corpus-stats")
    def load_stats(self) -> None:
        try:
            counts, docs = index_summary(self.app.config.index_dir, self.app.config.index)
        except Exception as exc:
            self.app.call_from_thread(self.show_stats, {}, [], str(exc))
        else:
            self.app.call_from_thread(self.show_stats, counts, docs, "")

    def show_stats(self, counts: dict[str, int], docs: list[tuple[str, str, int, str]], error: str) -> None:
        stats = self.query_one("#corpus-stats", Static)
        where = self.app.index_label or "(no index folder configured: start with --index DIR)"
        if error:
            stats.update(f"Index {where}: {error}")
            self.app.notify(error, title="Index", severity="error")
        elif not counts:
            stats.update(f"Index {where}: empty. Add a folder below to build it.")
        else:
            nodes, edges = counts.get("graph_nodes", 0), counts.get("graph_edges", 0)
            has_graph = "graph_nodes" in counts
            graph = f" · graph {nodes:,} nodes / {edges:,} edges" if has_graph else " · no graph"
            stats.update(f"Index {where}: {counts.get('documents', 0):,} documents · "
                         f"{counts.get('chunks', 0):,} chunks{graph}")
        table = self.query_one("#corpus-docs", DataTable)
        table.clear(columns=True)  # columns again, so their widths follow the new rows
        table.add_columns("Title", "Chunks", "Source")
        self.sources = {}
        for i, (title, source, n, full) in enumerate(docs[:MAX_ROWS]):
            table.add_row(title if len(title) <= 40 else title[:39] + "…", str(n), source, key=str(i))
            self.sources[str(i)] = full

    # -- opening a document ---------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#corpus-docs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_doc()

    def action_open_doc(self) -> None:
        table = self.query_one("#corpus-docs", DataTable)
        if table.row_count == 0:
            self.app.notify("No document to open: the index is empty.", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        source = self.sources.get(str(key), "")
        if not source:
            self.app.notify("This document has no file to open (it came from a corpus file).",
                            severity="warning")
            return
        self.app.open_source(source)

    # -- adding a folder ----------------------------------------------------------------------------
    @on(Input.Submitted, "#corpus-path")
    @on(Button.Pressed, "#corpus-go")
    def _add(self, event) -> None:
        raw = self.query_one("#corpus-path", Input).value.strip()
        if not raw:
            self.app.notify("Type a folder or file path first.", severity="warning")
            return
        if not self.app.config.index_dir:
            self._no_index_folder()
            return
        path = Path(raw).expanduser()
        if not path.exists():
            self.app.notify(f"{path} does not exist.", title="Index", severity="error")
            return
        if self._start(f"Indexing {path}…"):
            self.add_folder(path)

    def action_resync(self) -> None:
        """Index again every folder already in the index: new, changed and removed files."""
        if not self.app.config.index_dir:
            self._no_index_folder()
            return
        if not self.query_one("#corpus-docs", DataTable).row_count:
            self.app.notify("Nothing to re-sync yet: add a folder first.", title="Index", severity="warning")
            return
        if self._start("Re-syncing the indexed folders…"):
            self.add_folder(None)

    def _no_index_folder(self) -> None:
        self.app.notify("No index folder: start Hopper with --index DIR.", title="Index", severity="error")

    def _start(self, what: str) -> bool:
        if self.indexing:
            self.app.notify("Indexing is already running.", severity="warning")
            return False
        self.indexing = True
        self.query_one("#corpus-go", Button).disabled = True
        bar = self.query_one("#corpus-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#corpus-task", Static).update(what)
        return True

    @work(thread=True, exclusive=True, group="index")
    def add_folder(self, path: Path | None) -> None:
        """Index `path` into the index, or (None) re-sync every folder it already holds."""
        from agent.indexing import components_for
        from tools.errors import HopperError
        from tools.index import build_index

        cfg = self.app.config
        try:
            result = build_index([path] if path is not None else [], cfg.index_dir, cfg.index,
                                 components=components_for(cfg), progress=UIProgress(self))
        except HopperError as exc:
            self.post_message(IndexFinished({}, error=str(exc)))
        except OSError as exc:  # a path the user named: one line, the path and the fix
            from tools.errors import describe_os_error

            self.post_message(IndexFinished({}, error=describe_os_error(exc)))
        except Exception as exc:
            log.exception("indexing failed")
            self.post_message(IndexFinished({}, error=f"{type(exc).__name__}: {exc}"))
        else:
            summary = (f"{result.added_docs} added, {result.changed_docs} changed, "
                       f"{result.removed_docs} removed, {len(result.report.skipped)} skipped "
                       f"in {result.seconds:.1f}s")
            self.post_message(IndexFinished(dict(result.manifest.counts), summary))

    @on(IndexProgress)
    def _progress(self, message: IndexProgress) -> None:
        bar = self.query_one("#corpus-progress", ProgressBar)
        bar.update(total=message.total, progress=message.completed)
        of = f"/{message.total}" if message.total else ""
        self.query_one("#corpus-task", Static).update(f"{message.task}: {message.completed}{of}")

    @on(IndexFinished)
    def _finished(self, message: IndexFinished) -> None:
        self.indexing = False
        self.query_one("#corpus-go", Button).disabled = False
        self.query_one("#corpus-progress", ProgressBar).display = False
        task = self.query_one("#corpus-task", Static)
        if message.error:
            task.update("")
            self.app.notify(message.error, title="Indexing failed", severity="error", timeout=15)
            return
        task.update(f"Done: {message.summary}")
        self.app.notify(message.summary, title="Index updated")
        self.app.reload_index()
        self.action_refresh()

