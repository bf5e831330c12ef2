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


class FakeOpenAI:
    """`with FakeOpenAI(reply) as srv:` answers every chat completion at `srv.url` with `reply`
    (after `delay` seconds)."""

    def __init__(self, reply: str = "Sarn", delay: float = 0.0):
        import json
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                server.requests.append(body)
                time.sleep(delay)
                raw = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": reply}}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                            "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a deadline)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
