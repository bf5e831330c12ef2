"""Importing ready triples (`subject<TAB>relation<TAB>object`, one per line) as a graph of its own.

Blank lines and lines starting with `#` are ignored; any other line without exactly three
non-empty fields is reported with its line number and skipped. Provenance of each node and
edge is `FILE#L<line>`, so the tools cite the lines a fact came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from graphs.build import add_edge, add_node
from graphs.normalize import normalize
from graphs.store import save_graph
from tools.errors import DataFormatError

log = logging.getLogger(__name__)
MAX_REPORTED = 20


@dataclass
class TSVReport:
    path: str
    triples: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line number, reason) for each skipped line."""

    def summary(self) -> str:
        text = f"{self.path}: {self.triples} triples"
        if self.errors:
            shown = "; ".join(f"line {n}: {why}" for n, why in self.errors[:MAX_REPORTED])
            more = f" (+{len(self.errors) - MAX_REPORTED} more)" if len(self.errors) > MAX_REPORTED else ""
            text += f", {len(self.errors)} malformed lines skipped ({shown}{more})"
        return text


def _form(text: str) -> str:
    return text.strip().replace("_", " ")


def read_tsv(path: str | Path) -> tuple[nx.MultiDiGraph, TSVReport]:
    """Parse a triples file into a graph; malformed lines are logged, reported and skipped."""
    path = Path(path)
    report = TSVReport(str(path))
    graph = nx.MultiDiGraph()
    try:
        fh = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot read triples ({exc.strerror or exc})") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in line.split("\t")]
            if len(parts) != 3:
                report.errors.append((n, f"expected 3 tab-separated fields, found {len(parts)}"))
                continue
            s, r, o = parts
            sk, ok = normalize(s), normalize(o)
            if not sk or not r or not ok:
                report.errors.append((n, "empty subject, relation or object"))
                continue
            ref = f"{path.name}#L{n}"
            add_node(graph, sk, _form(s), "ENTITY", ref)
            add_node(graph, ok, _form(o), "ENTITY", ref)
            add_edge(graph, sk, ok, "relation", ref, r)
            report.triples += 1
    for n, why in report.errors[:MAX_REPORTED]:
        log.warning("%s line %d skipped: %s", path, n, why)
    if report.triples == 0:
        raise DataFormatError(f"{path}: no valid `subject<TAB>relation<TAB>object` lines "
                              f"({len(report.errors)} malformed)")
    return graph, report


def import_tsv(path: str | Path, folder: str | Path) -> TSVReport:
    """Read `path` and save it as a graph folder (`graphs.store` layout) at `folder`."""
    graph, report = read_tsv(path)
    counts = {"graph_nodes": graph.number_of_nodes(), "graph_edges": graph.number_of_edges()}
    save_graph(Path(folder), graph, {"kind": "tsv", "source": str(Path(path).resolve()), "counts": counts,
                                     "malformed_lines": len(report.errors),
                                     "settings": {"extractor": "none", "embed_nodes": False}})
    return report
