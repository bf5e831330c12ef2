"""Shared helpers of the reliability probes: a small corpus, index settings, a child-process runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

DOCS = {
    "lighthouse.md": "# Verrin Lighthouse\n"
                     "The Verrin lighthouse was designed by the engineer Oska Tamm in 1869.",
    "tamm.txt": "Oska Tamm\nOska Tamm was born in the river town of Lowbridge and trained as a mason.",
    "lowbridge.md": "# Lowbridge\nLowbridge is a market town that lies on the Sarn river.",
    "otters.md": "# Otters\nOtters are semi-aquatic mammals that eat fish and crustaceans.",
}


def write_corpus(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text)
    return folder


def settings(graph: bool = False):
    from tools.settings import IndexSettings

    s = IndexSettings()
    s.graph = graph
    return s


def child(script: str, *args: object, **kwargs) -> subprocess.Popen:
    """Start `python -c script args...` in the repository with line-buffered pipes."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def hopper(*args: object, env: dict[str, str] | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the `hopper` command line in a child process."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    return subprocess.run([sys.executable, "-m", "tui.cli", *map(str, args)], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def FakeOpenAI(reply: str = "Sarn", delay: float = 0.0):  # noqa: N802 - used like the class it builds
    """`with FakeOpenAI(reply) as srv:` answers every chat completion at `srv.url` with `reply`
    (after `delay` seconds): the agent tests' canned server."""
    from tests.agent.conftest import FakeOpenAI as Canned

    return Canned(reply, mode="slow" if delay else "ok", delay=delay)
