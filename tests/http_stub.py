"""A local HTTP API for tests of HTTP sources, catalogues and actions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    """A handler that writes to a client that gave up (the slow paths) is expected, not an
    error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Say nothing."""


class JsonHandler(BaseHTTPRequestHandler):
    """Answers JSON; subclasses route the requests."""

    def _send(self, code: int, body: bytes = b"{}", **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free local port; yields the base URL."""
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Gate:
    """A slow answer held until the test lets it go.

    A client "cut at its budget" is shown by its giving up while the answer is still
    held: true on a fast machine and on a busy one alike, where a bound on the seconds
    it took would measure the machine.
    """

    def __init__(self) -> None:
        self._open = threading.Event()
        self.answered = 0

    def hold(self) -> None:
        """In a handler: wait until the test opens the gate (or 30 s), then count the answer."""
        self._open.wait(30)
        self.answered += 1

    def open(self) -> None:
        """Let every held answer go (a fixture's teardown)."""
        self._open.set()
