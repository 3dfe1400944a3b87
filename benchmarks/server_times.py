"""The server's own times for requests sent by benchmarks/open_loop.py, from gunicorn's log.

Every request carries an X-Request-Id, which the service keeps and gunicorn's JSON access
line repeats with its duration (reading the request to the answer written) and the
moment it was logged. Two times per request come out of it:

- server time: gunicorn's duration. It does not include the wait for a free worker
  thread (gthread hands a readable connection to its thread pool; the clock starts when
  a thread takes it), so it cannot show a server falling behind;
- answer time: from the moment the client wrote the request to the moment gunicorn
  logged the answer (both the machine's wall clock; the log has milliseconds). It
  includes that wait, and not the client's own delay in reading the answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from open_loop import Planned, Run


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1), nearest rank; nan when there is nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered))) - 1))]


class AccessLog:
    """gunicorn's JSON access lines, read as they are written: answers by request id."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0
        self.seen: dict[str, tuple[float, float, int]] = {}  # id -> (logged at, ms, status)

    def read(self) -> None:
        """Take in the lines written since the last read."""
        with self.path.open("rb") as log:
            log.seek(self.offset)
            data = log.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            if '"duration_ms"' not in line:
                continue
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if "request_id" in item:
                at = datetime.fromisoformat(item["time"]).timestamp()
                self.seen[item["request_id"]] = (at, float(item["duration_ms"]), item["status"])

    def wait_for(self, tags: list[str], seconds: float = 10.0) -> None:
        """Read until every tag is logged (workers log a moment after answering)."""
        deadline = time.monotonic() + seconds
        while True:
            self.read()
            if all(tag in self.seen for tag in tags) or time.monotonic() > deadline:
                return
            time.sleep(0.1)


@dataclass
class Timings:
    """Milliseconds per measured request (the warm-up left out)."""

    server: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    round_trip: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)
    errors: int = 0  # not answered, not logged, or not a 2xx
    error_kinds: dict[str, int] = field(default_factory=dict)
    spoken: int = 0
    spoken_server: list[float] = field(default_factory=list)  # the spoken requests' own
    spoken_answer: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """p50/p99 of each time, the client's lag and the errors (and the spoken requests'
        own server and answer times, when there were any)."""
        spoken = {} if not self.spoken_server else {
            "spoken_samples": len(self.spoken_server),
            "spoken_server_p50_ms": round(percentile(self.spoken_server, 0.5), 2),
            "spoken_server_p99_ms": round(percentile(self.spoken_server, 0.99), 2),
            "spoken_answer_p99_ms": round(percentile(self.spoken_answer, 0.99), 2)}
        return {**spoken, "samples": len(self.server),
                "server_p50_ms": round(percentile(self.server, 0.5), 2),
                "server_p99_ms": round(percentile(self.server, 0.99), 2),
                "server_max_ms": round(max(self.server, default=float("nan")), 2),
                "answer_p50_ms": round(percentile(self.answer, 0.5), 2),
                "answer_p99_ms": round(percentile(self.answer, 0.99), 2),
                "round_trip_p99_ms": round(percentile(self.round_trip, 0.99), 2),
                "client_lag_p99_ms": round(percentile(self.lag, 0.99), 2),
                "client_lag_max_ms": round(max(self.lag, default=0.0), 2),
                "errors": self.errors, "error_kinds": self.error_kinds}


def timings(planned: list[Planned], run: Run, log: AccessLog) -> Timings:
    """Join what the client sent with what gunicorn logged."""
    log.wait_for([p.tag for p, o in zip(planned, run.outcomes, strict=True) if o.status])
    out = Timings()
    for item, outcome in zip(planned, run.outcomes, strict=True):
        if not item.measured:
            continue
        out.lag.append(outcome.lag * 1000)
        logged = log.seen.get(item.tag)
        kind = ("not sent" if not outcome.sent_wall
                # The server's log tells a request it never answered from an answer that
                # did not reach the client (a connection closed under it, say).
                else "no answer" if not outcome.status and logged is None
                else f"answer not received (logged {logged[2]})" if not outcome.status
                else "not logged" if logged is None
                else "" if 200 <= outcome.status < 300 else f"HTTP {outcome.status}")
        if kind:
            out.errors += 1
            out.error_kinds[kind] = out.error_kinds.get(kind, 0) + 1
            continue
        assert logged is not None
        out.server.append(logged[1])
        out.answer.append(max(logged[1], (logged[0] - outcome.sent_wall) * 1000))
        out.round_trip.append(outcome.round_trip * 1000)
        out.spoken += item.spoken
        if item.spoken:
            out.spoken_server.append(out.server[-1])
            out.spoken_answer.append(out.answer[-1])
    return out
