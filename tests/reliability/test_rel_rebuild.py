"""Probes: `--rebuild` and forced rewrites never lose the served index (kill -9 at every stage),
and searches during a rebuild all succeed (a reader's generation stays usable until it closes)."""

from __future__ import annotations

import json
import shutil
import signal
import textwrap
import time

import pytest
from rel_support import child, settings, write_corpus

from tools.index import Index, build_index

QUESTION = "Where was Oska Tamm born?"

# A rebuild in a child process that stops (so the parent can kill it) at a named stage: the start of
# a progress task, or just before / after an `os.replace` of the publishing step.
STAGED = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import tools.store
    from tools.index import build_index
    from tools.settings import IndexSettings

    corpus, index_dir, target, graph = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"

    def stage(name):
        print("STAGE", name, flush=True)
        if name == target:
            time.sleep(120)

    class Stages:
        def start(self, task, total): stage("start:" + task)
        def advance(self, task, n=1): pass
        def finish(self, task): pass

    real_replace = os.replace
    def replace(src, dst):
        kind = Path(dst).name.split("-")[0] if not str(Path(dst).name).startswith(".old") else ".old"
        stage("replace:" + kind)
        real_replace(src, dst)
        stage("replaced:" + kind)
    tools.store.os.replace = replace

    s = IndexSettings(); s.graph = graph
    components = []
    if graph:
        from graphs.component import GraphComponent
        components = [GraphComponent()]
    build_index([Path(corpus)], Path(index_dir), s, rebuild=True, components=components, progress=Stages())
    print("DONE", flush=True)
""")

# "replace:.old" is the removal of generation 1 (older than the served one) when the run starts.
STAGES = ["start:read", "start:embed", "start:bm25", "start:graph", "start:graph-embed",
          "replace:gen", "replace:manifest.json", "replaced:manifest.json", "replace:.old"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A corpus and an index of it with the knowledge graph (generations 1 and 2), copied per test."""
    root = tmp_path_factory.mktemp("rebuild")
    corpus = write_corpus(root / "docs")
    for _ in range(2):
        build_index([corpus], root / "idx", settings(graph=True), components=_graph())
    return corpus, root / "idx"


def _graph():
    from graphs.component import GraphComponent

    return [GraphComponent()]


def _assert_usable(idx, generations):
    index = Index(idx)
    assert index.generation in generations
    hit = index.retriever("hybrid").search(QUESTION, 1)[0]
    assert hit.doc_id == "tamm.txt" and "Lowbridge" in hit.text
    assert index.has("graph") and len(index.store) == 4
    index.close()


@pytest.mark.parametrize("stage", [pytest.param(s, marks=() if s in ("start:graph", "replace:manifest.json")
                                                else pytest.mark.slow) for s in STAGES])
def test_kill_9_at_any_stage_of_a_rebuild_leaves_a_usable_index(built, tmp_path, stage):
    corpus, source = built
    idx = tmp_path / "idx"
    shutil.copytree(source, idx)
    proc = child(STAGED, corpus, idx, stage, "1")
    try:
        for line in proc.stdout:
            if line.strip() == f"STAGE {stage}":
                break
        else:
            pytest.fail(f"the rebuild never reached {stage}: {proc.stderr.read()[-2000:]}")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    _assert_usable(idx, {3} if stage == "replaced:manifest.json" else {2})
    # The next run finishes the job and leaves no leftovers behind.
    result = build_index([corpus], idx, settings(graph=True), rebuild=True, components=_graph())
    _assert_usable(idx, {result.manifest.generation})
    names = sorted(p.name for p in idx.iterdir() if p.is_dir())
    assert names[-1] == result.manifest.path and not [n for n in names if n.startswith(".")], names


LOOP = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tools.index import build_index
    from tools.settings import IndexSettings

    corpus, index_dir, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    s = IndexSettings(); s.graph = False
    n = 0
    while not stop.exists() and n < 40:
        n += 1
        build_index([corpus], index_dir, s, rebuild=True)
        print("REBUILT", n, flush=True)
""")


def test_searches_during_rebuilds_all_succeed(tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    idx = tmp_path / "idx"
    build_index([corpus], idx, settings())
    early = Index(idx)  # opened before any rebuild, read only after several swaps
    stop = tmp_path / "stop"
    proc = child(LOOP, corpus, idx, stop)
    failures, generations, searches = [], set(), 0
    deadline = time.monotonic() + 240
    try:
        while (searches < 40 or len(generations) < 3) and time.monotonic() < deadline:
            searches += 1
            try:
                index = Index(idx)
                generations.add(index.generation)
                top = index.retriever("hybrid").search(QUESTION, 1)[0]
                if top.doc_id != "tamm.txt":
                    failures.append(f"top hit {top.doc_id}")
                index.close()
            except Exception as exc:  # every kind of failure counts
                failures.append(repr(exc))
            time.sleep(0.05)
    finally:
        stop.touch()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert failures == [], f"{len(failures)} of {searches} searches failed: {failures[:3]}"
    assert len(generations) >= 3, (generations, out)  # the searches spanned several swaps
    # The reader that opened generation 1 before the first rebuild can still use it.
    assert early.generation == 1
    assert early.retriever("hybrid").search(QUESTION, 1)[0].doc_id == "tamm.txt"
    assert (idx / "gen-000001").is_dir()
    early.close()
    build_index([corpus], idx, settings())  # once closed, the next run removes it
    assert not (idx / "gen-000001").exists()


@pytest.mark.parametrize("damage", ["unreadable", "newer", "settings"])
def test_forced_rewrites_keep_the_served_generation_until_the_swap(tmp_path, damage):
    corpus = write_corpus(tmp_path / "docs")
    idx = tmp_path / "idx"
    build_index([corpus], idx, settings())
    reader = Index(idx)
    manifest = json.loads((idx / "manifest.json").read_text())
    s = settings()
    if damage == "unreadable":
        (idx / "manifest.json").write_text("{half a manifest")
    elif damage == "newer":
        (idx / "manifest.json").write_text(json.dumps({**manifest, "version": 99}))
    else:
        s.chunk.size = 128
    result = build_index([corpus], idx, s)
    assert result.manifest.generation == 2 and result.embedded_chunks == result.manifest.counts["chunks"]
    _assert_usable_plain(Index(idx))
    _assert_usable_plain(reader)  # the old generation was not pulled from under its reader
    assert (idx / manifest["path"]).is_dir()
    reader.close()
    build_index([corpus], idx, s)
    assert not (idx / manifest["path"]).exists()


def _assert_usable_plain(index: Index) -> None:
    assert index.retriever("hybrid").search(QUESTION, 1)[0].doc_id == "tamm.txt"
