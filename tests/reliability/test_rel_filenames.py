"""Probes: a file whose name is not UTF-8 (`a\\xff.txt`) is indexed, stored losslessly (surrogate
escape), and shown escaped, never as a traceback, also under a strict UTF-8 terminal."""

from __future__ import annotations

import json
import os

from rel_support import hopper, settings

from tools.index import Index, build_index


def test_a_file_name_that_is_not_utf8_is_indexed_searched_and_shown(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    raw = os.fsencode(docs) + b"/a\xff.txt"
    with open(raw, "wb") as fh:
        fh.write(b"Kestrel Hall\nKestrel Hall was built by Ammon Reed in 1820.")
    idx = tmp_path / "idx"
    build_index([docs], idx, settings(graph=True), components=_graph())
    index = Index(idx)
    hit = index.retriever("hybrid").search("Who built Kestrel Hall?", 1)[0]
    assert os.fsencode(hit.source) == raw  # lossless: the same bytes come back
    assert hit.chunk_id == "a\udcff.txt#0"
    env = {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}  # a strict UTF-8 terminal
    table = hopper("search", "Kestrel Hall", "--index", idx, env=env)
    assert table.returncode == 0 and "Traceback" not in table.stderr, table.stderr[-2000:]
    assert "a\\xff.txt#0" in table.stdout
    as_json = hopper("search", "Kestrel Hall", "--index", idx, "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr[-2000:]
    assert json.loads(as_json.stdout)["hits"][0]["chunk_id"] == "a\udcff.txt#0"


def _graph():
    from graphs.component import GraphComponent

    return [GraphComponent()]
