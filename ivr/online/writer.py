"""Questions asked online and where texters are, written off the request, in batches.

A help page's search or a text only hands its journey lines to this writer (a list
append under a lock); a thread writes what has gathered every ``IVR_JOURNEY_FLUSH_MS``
(as the call journeys are written) in one transaction. When the database refuses, the
lines stay in memory (at most ``MAX_BUFFERED``, the oldest dropped first and counted)
and are tried again, less often, until it answers. What is left is written at
interpreter exit (gunicorn's graceful stop). These lines only feed the analytics: a
crash may lose the last fraction of a second of them, never an answer.

A texter's conversation (their language, the numbered choices last sent) goes the same
way: the latest per texter waits here and is written in the same batch, only over an
older row (another worker may have written a newer one). This process reads its own
pending ones first (ivr.online.conversations); another worker sees them within a batch,
long before a person can read a text and answer it. A crash may lose that fraction of
a second: the texter's next reply then starts from the main topics. What must hold at
once across workers stays in the request: opt-outs and the caps on answers.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
from typing import Any

from sqlalchemy.engine import Engine

from ivr.data.tables import upsert_insert
from ivr.online.activity import online_steps
from ivr.online.conversations import EXPIRY, text_conversations
from ivr.ops.flushing import flush_loop

log = logging.getLogger(__name__)
MAX_BUFFERED = 50_000


class OnlineWriter:
    """Batches online questions' journey lines and writes them from a thread."""

    def __init__(self, engine: Engine, flush_ms: int = 200) -> None:
        self.engine = engine
        self.interval = max(flush_ms, 1) / 1000
        self._rows: list[dict[str, Any]] = []
        # The latest conversation row per (menu, number) not yet written.
        self._conversations: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._pid = 0
        self._closed = False
        self.dropped = 0
        self.failures = 0
        atexit.register(self.flush)

    def _started(self) -> None:
        if self._pid != os.getpid() and not self._closed:
            # Started in the process that serves, so each pre-forked worker has its thread.
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="online-writer", daemon=True).start()

    def keep_conversation(self, row: dict[str, Any]) -> None:
        """Keep a texter's conversation row (menu, number, lang, choices, updated_at) to
        write, replacing any older one of the same texter not written yet."""
        self._started()
        key = (row["menu"], row["number"])
        with self._lock:
            older = self._conversations.pop(key, None)
            if older is None or older["updated_at"] <= row["updated_at"]:
                self._conversations[key] = row
            else:
                self._conversations[key] = older
            while len(self._conversations) > MAX_BUFFERED:
                del self._conversations[next(iter(self._conversations))]
                self.dropped += 1
        if self._closed:
            self.flush()

    def pending_conversation(self, menu: str, number: str) -> dict[str, Any] | None:
        """This process's latest row of a texter's conversation, not written yet."""
        with self._lock:
            return self._conversations.get((menu, number))

    def drop_conversations(self, number: str) -> None:
        """Forget a number's conversations not written yet (it opted out)."""
        with self._lock:
            for key in [k for k in self._conversations if k[1] == number]:
                del self._conversations[key]

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Keep rows to write (never blocks on the database, never raises for it)."""
        if not rows:
            return
        self._started()
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
        """Journey lines not written yet."""
        with self._lock:
            return len(self._rows)

    @property
    def pending_conversations(self) -> int:
        """Texters' conversations not written yet."""
        with self._lock:
            return len(self._conversations)

    def flush(self) -> bool:
        """Write what is kept now; False (the rows kept for later) if the database refused."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                talks = list(self._conversations.values())
            if not rows and not talks:
                return True
            try:
                with self.engine.begin() as conn:
                    if rows:
                        conn.execute(online_steps.insert(), rows)
                    if talks:
                        conn.execute(self._upsert(), talks)
                        if random.random() < 0.02:  # now and then, forget conversations over
                            oldest = min(t["updated_at"] for t in talks) - 2 * EXPIRY
                            conn.execute(text_conversations.delete().where(
                                text_conversations.c.updated_at < oldest))
            except Exception as exc:  # noqa: BLE001 - kept and tried again, never the answer's
                self.failures += 1
                log.warning("%d online question line(s) and %d conversation(s) not written "
                            "yet: %s", len(rows), len(talks), type(exc).__name__)
                with self._lock:
                    self._rows = (rows + self._rows)[-MAX_BUFFERED:]
                return False
            with self._lock:  # written: forget them unless a newer one came meanwhile
                for talk in talks:
                    key = (talk["menu"], talk["number"])
                    if self._conversations.get(key) is talk:
                        del self._conversations[key]
            return True

    def _upsert(self) -> Any:
        """Insert a conversation, or replace an older row of it (never a newer one)."""
        insert = upsert_insert(self.engine, text_conversations)
        table = text_conversations.c
        return insert.on_conflict_do_update(
            index_elements=[table.menu, table.number],
            set_={"lang": insert.excluded.lang, "choices": insert.excluded.choices,
                  "updated_at": insert.excluded.updated_at},
            where=table.updated_at <= insert.excluded.updated_at)

    def close(self) -> bool:
        """Write what is left and stop the thread."""
        self._closed = True
        self._wake.set()
        atexit.unregister(self.flush)
        return self.flush()

    def _run(self) -> None:
        flush_loop(self.flush, self.interval, self._wake, lambda: self._closed, "online writer")
