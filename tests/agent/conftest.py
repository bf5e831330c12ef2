"""Shared fixtures for the agent tests: a canned OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class FakeOpenAI:
    """`with FakeOpenAI() as srv:` serves `srv.reply` at `srv.url` (`http://127.0.0.1:PORT/v1`).

    `mode`: "ok" (a chat completion with `reply`), "malformed" (200 with a non-JSON body),
    "ratelimit" (429), "error" (500), "slow" (sleeps `delay` seconds first).
    """

    def __init__(self, reply: str = "Paris", mode: str = "ok", delay: float = 0.0):
        self.reply = reply
        self.mode = mode
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if server.mode == "slow" and server.delay:
                    time.sleep(server.delay)
                if server.mode == "ratelimit":
                    return self._send(429, {"error": {"message": "slow down", "type": "rate_limit_error"}},
                                      {"Retry-After": "0"})
                if server.mode == "error":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if server.mode == "malformed":
                    raw = b"<html>this is not JSON</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return None
                reply = server.reply(body) if callable(server.reply) else server.reply
                return self._send(200, {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply}}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
                })

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:  # noqa: PYI034
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_openai():
    """Factory: `with fake_openai(reply=..., mode=...) as srv:` serves canned completions at `srv.url`."""
    return FakeOpenAI
