"""Probes: a disk that fills up (or a file size limit) while indexing is one line naming the index
folder and the cause; the index that was there stays usable."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest
from rel_support import REPO, write_corpus

from tools.dense import save_faiss
from tools.errors import describe_os_error


def test_a_full_disk_under_faiss_is_an_oserror_naming_the_file():
    import faiss

    index = faiss.IndexFlatIP(4)
    index.add(np.eye(4, dtype=np.float32))
    with pytest.raises(OSError) as info:
        save_faiss(index, "/dev/full")  # every write to /dev/full fails with ENOSPC
    assert info.value.errno == errno.ENOSPC and info.value.filename == "/dev/full"
    assert describe_os_error(info.value) == ("/dev/full: no space left on device; the disk is full: "
                                             "free some space")


def test_an_oserror_without_a_path_or_reason_still_says_something():
    bare = OSError("write failed: short count")
    assert describe_os_error(bare) == "write failed: short count; check the path"
    short = OSError("24576 requested and 15968 written")  # numpy's short write, with no errno
    assert describe_os_error(short, "/x/idx", "write the index in") == (
        "cannot write the index in /x/idx: 24576 requested and 15968 written; a write stopped short: "
        "the disk is full or a file size limit (ulimit -f) was reached")
    full = OSError(errno.ENOSPC, "No space left on device")
    assert describe_os_error(full, "/x/idx", "write the index in") == (
        "cannot write the index in /x/idx: no space left on device; the disk is full: free some space")


def _limit_file_size():  # in the child: writes past 64 KB fail with EFBIG instead of killing it
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))


def test_indexing_past_a_file_size_limit_is_one_line_and_keeps_the_index(tmp_path):
    from rel_support import settings

    from tools.index import Index, build_index

    corpus = write_corpus(tmp_path / "docs")
    idx = tmp_path / "idx"
    build_index([corpus], idx, settings())
    for i in range(60):  # enough new text that vectors.npy outgrows the limit
        text = f"Filler sentence number {i} about rivers. " * 40
        (corpus / f"extra{i}.md").write_text(f"# Extra {i}\n{text}")
    # No .pyc may be written under the limit (a cut one would break later imports).
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1",
               HOPPER_LM_CACHE_DIR=str(tmp_path))
    argv = [sys.executable, "-m", "tui.cli", "index", str(corpus), "--index", str(idx), "--no-graph"]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                          preexec_fn=_limit_file_size, timeout=600)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert lines[-1] == (f"hopper: error: cannot write the index in {idx}: file too large; a file size limit "
                         "was reached (ulimit -f): raise it or write elsewhere")
    index = Index(idx)
    assert index.generation == 1
    assert index.retriever("bm25").search("Lowbridge Sarn", 1)[0].doc_id == "lowbridge.md"
