"""Write call journeys off the caller's critical path, in batches.

A webhook only appends to an in-memory buffer; a background thread writes the
buffer in one transaction every few hundred milliseconds. If the database is down
the lines stay buffered (bounded) and are written when it returns. ``flush()``
writes synchronously; it also runs at interpreter exit, so a graceful shutdown
loses nothing.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Any

from ivr.store import Store

log = logging.getLogger(__name__)
MAX_BUFFERED = 200_000  # lines kept while the database is unreachable


class JourneyRecorder:
    """Buffers journey writes and flushes them in batches."""

    def __init__(self, store: Store, flush_ms: int = 200) -> None:
        self.store = store
        self.interval = max(flush_ms, 1) / 1000
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._starts: list[dict[str, Any]] = []
        self._steps: list[dict[str, Any]] = []
        self._statuses: list[dict[str, Any]] = []
        self._wake = threading.Event()
        self._pid = 0
        self._closed = False
        self.failures = 0
        self.dropped = 0
        atexit.register(self.flush)

    def close(self) -> bool:
        """Write what is buffered and stop the writer thread (a graceful shutdown)."""
        self._closed = True
        self._wake.set()
        atexit.unregister(self.flush)
        return self.flush()

    def _ensure_thread(self) -> None:
        # Started lazily in the process that records, so a pre-forking server
        # (gunicorn --preload) gives each worker its own thread.
        if self._pid != os.getpid() and not self._closed:
            self._pid = os.getpid()
            thread = threading.Thread(target=self._run, name="journey-writer", daemon=True)
            thread.start()

    def call_started(self, row: dict[str, Any]) -> None:
        """Record a new call."""
        self._add(self._starts, [row])

    def steps(self, rows: list[dict[str, Any]]) -> None:
        """Record journey lines."""
        self._add(self._steps, rows)

    def status(self, row: dict[str, Any]) -> None:
        """Record a call status callback."""
        self._add(self._statuses, [row])

    def _add(self, target: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        with self._lock:
            target.extend(rows)
            overflow = len(self._steps) - MAX_BUFFERED
            if overflow > 0:
                del self._steps[:overflow]
                self.dropped += overflow
        self._ensure_thread()

    @property
    def pending(self) -> int:
        """Lines not yet written."""
        with self._lock:
            return len(self._starts) + len(self._steps) + len(self._statuses)

    def flush(self) -> bool:
        """Write everything buffered now; False if the database refused (lines are kept)."""
        with self._write_lock:
            with self._lock:
                starts, steps, statuses = self._starts, self._steps, self._statuses
                self._starts, self._steps, self._statuses = [], [], []
            if not (starts or steps or statuses):
                return True
            try:
                self.store.write_batch(starts, steps, statuses)
            except Exception:  # noqa: BLE001 - any database failure: keep the lines
                self.failures += 1
                log.exception("journey batch not written (%d lines kept)", len(steps))
                with self._lock:
                    self._starts[:0] = starts
                    self._steps[:0] = steps
                    self._statuses[:0] = statuses
                return False
            return True

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._closed:
                return
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the writer thread must never die
                log.exception("journey writer error")
