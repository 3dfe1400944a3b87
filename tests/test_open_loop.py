"""The capacity benchmark's client sends on schedule whatever the answers (open loop)."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from open_loop import OpenLoop, Planned  # noqa: E402
from server_times import percentile  # noqa: E402


class HeldServer(ThreadingHTTPServer):
    """Answers nothing until ``expected`` requests have arrived (or ``hold`` s went by)."""

    daemon_threads = True

    def __init__(self, expected: int, hold: float = 20.0) -> None:
        super().__init__(("127.0.0.1", 0), Held)
        self.expected = expected
        self.hold = hold
        self.arrived = 0
        self.lock = threading.Lock()
        self.all_in = threading.Event()
        self.most_waiting = 0


class Held(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn answers

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server: Any = self.server
        with server.lock:
            server.arrived += 1
            if server.arrived >= server.expected:
                server.all_in.set()
        server.all_in.wait(timeout=server.hold)
        with server.lock:
            server.most_waiting = max(server.most_waiting, server.arrived)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def request(port: int, at: float, tag: str) -> Planned:
    return Planned(at, f"GET /{tag} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode(), tag)


def test_requests_leave_on_schedule_while_earlier_ones_wait_unanswered() -> None:
    """A closed-loop client on 2 connections could never get 12 requests to a server that
    holds every answer until 12 have arrived; the open-loop one opens what it needs."""
    server = HeldServer(expected=12)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        planned = [request(port, i * 0.01, f"r{i}") for i in range(12)]
        run = OpenLoop("127.0.0.1", port, planned, connections=2).run()
    finally:
        server.shutdown()
        server.server_close()
    assert server.all_in.is_set()
    assert server.most_waiting == 12
    assert [o.status for o in run.outcomes] == [200] * 12
    assert run.connections >= 12  # one per request in flight: the schedule never waited
    assert not run.aborted


def test_a_server_that_never_answers_stops_the_run_early() -> None:
    """More requests outstanding than half a second of arrivals: the rate is clearly over."""
    server = HeldServer(expected=10_000, hold=3.0)  # never reached: every answer waits 3 s
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        planned = [request(port, i * 0.005, f"r{i}") for i in range(2000)]
        run = OpenLoop("127.0.0.1", port, planned, connections=4).run()
    finally:
        server.all_in.set()
        server.shutdown()
        server.server_close()
    assert run.aborted
    assert sum(o.status == 0 for o in run.outcomes) > 0  # sent, or never sent, unanswered


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_an_answer_the_client_lost_is_told_from_one_never_given(tmp_path: Any) -> None:
    """Timings join the client's outcomes with gunicorn's log: a request the server logged
    but whose answer never reached the client is not counted as one the server left."""
    import json

    from open_loop import Outcome, Run
    from server_times import AccessLog, timings

    log_file = tmp_path / "access.log"
    lines = [{"time": "2026-12-07T12:00:00+00:00", "request_id": tag, "duration_ms": 1.5,
              "status": 200} for tag in ("a", "b")]
    log_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    planned = [Planned(0.0, b"", tag) for tag in ("a", "b", "c", "d")]
    outcomes = [Outcome(sent_wall=1.0, status=200, round_trip=0.002),  # answered
                Outcome(sent_wall=1.0),  # logged by the server, answer lost
                Outcome(sent_wall=1.0),  # never answered
                Outcome()]  # never sent
    found = timings(planned, Run(outcomes), AccessLog(log_file))
    assert found.errors == 3
    assert found.error_kinds == {"answer not received (logged 200)": 1, "no answer": 1,
                                 "not sent": 1}
    assert found.server == [1.5]


class Slow(BaseHTTPRequestHandler):
    """Answers /slow... after 0.3 s, anything else at once."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/slow"):
            threading.Event().wait(0.3)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def test_the_last_answer_is_waited_for_after_every_earlier_one_came_back() -> None:
    """Every answer in by the time the last request leaves must not end the run: the
    client once stopped there and counted the last, slower answers as lost."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        planned = [request(port, 0.0, "fast0"), request(port, 0.2, "slow1")]
        run = OpenLoop("127.0.0.1", port, planned, connections=2).run()
    finally:
        server.shutdown()
        server.server_close()
    assert [o.status for o in run.outcomes] == [200, 200]
    assert run.retries == 0
