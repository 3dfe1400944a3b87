"""The loop of a thread that writes batches in the background (journeys, online questions).

Its owner keeps what to write and a ``flush()`` that writes it in one go, returning False
when the database refused (the rows kept for the next try). The loop flushes every
``interval`` seconds, or at once when woken; while the database refuses it tries less
often, up to every ``MAX_WAIT`` seconds, not five times a second; it stops when the
owner is closed, and an error never kills it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
MAX_WAIT = 5.0  # seconds between two tries while the database refuses


def flush_loop(flush: Callable[[], bool], interval: float, wake: threading.Event,
               closed: Callable[[], bool], name: str) -> None:
    """Run ``flush`` every ``interval`` seconds (or when ``wake`` is set) until ``closed()``."""
    wait = interval
    while not closed():
        wake.wait(wait)
        wake.clear()
        if closed():
            return
        try:
            ok = flush()
        except Exception:  # noqa: BLE001 - the writer thread must never die
            log.exception("%s error", name)
            ok = False
        wait = interval if ok else min(max(wait * 2, interval), MAX_WAIT)
