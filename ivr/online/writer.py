"""Questions asked online, written for the analytics off the request, in batches.

A help page's search or a text only hands its journey lines to this writer (a list
append under a lock); a thread writes what has gathered every ``IVR_JOURNEY_FLUSH_MS``
(as the call journeys are written) in one transaction. When the database refuses, the
lines stay in memory (at most ``MAX_BUFFERED``, the oldest dropped first and counted)
and are tried again, less often, until it answers. What is left is written at
interpreter exit (gunicorn's graceful stop). These lines only feed the analytics: a
crash may lose the last fraction of a second of them, never an answer.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Any

from sqlalchemy.engine import Engine

from ivr.online.activity import online_steps
from ivr.ops.flushing import flush_loop

log = logging.getLogger(__name__)
MAX_BUFFERED = 50_000


class OnlineWriter:
    """Batches online questions' journey lines and writes them from a thread."""

    def __init__(self, engine: Engine, flush_ms: int = 200) -> None:
        self.engine = engine
        self.interval = max(flush_ms, 1) / 1000
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._pid = 0
        self._closed = False
        self.dropped = 0
        self.failures = 0
        atexit.register(self.flush)

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Keep rows to write (never blocks on the database, never raises for it)."""
        if not rows:
            return
        if self._pid != os.getpid() and not self._closed:
            # Started in the process that serves, so each pre-forked worker has its thread.
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="online-writer", daemon=True).start()
        with self._lock:
            self._rows.extend(rows)
            overflow = len(self._rows) - MAX_BUFFERED
            if overflow > 0:
                del self._rows[:overflow]
                self.dropped += overflow
        if self._closed:
            self.flush()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> bool:
        """Write what is kept now; False (the rows kept for later) if the database refused."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return True
            try:
                with self.engine.begin() as conn:
                    conn.execute(online_steps.insert(), rows)
                return True
            except Exception as exc:  # noqa: BLE001 - kept and tried again, never the answer's
                self.failures += 1
                log.warning("%d online question line(s) not written yet: %s", len(rows),
                            type(exc).__name__)
                with self._lock:
                    self._rows = (rows + self._rows)[-MAX_BUFFERED:]
                return False

    def close(self) -> bool:
        """Write what is left and stop the thread."""
        self._closed = True
        self._wake.set()
        atexit.unregister(self.flush)
        return self.flush()

    def _run(self) -> None:
        flush_loop(self.flush, self.interval, self._wake, lambda: self._closed, "online writer")
