"""Write call journeys off the caller's critical path, in batches, and never lose them.

A webhook only appends its lines to an in-memory batch and, when a spool folder is
configured, to this process's journal *segment* on local disk: one ``write`` that the
kernel keeps even if the process is killed the next instant. A background thread
writes the batch in one transaction every few hundred milliseconds, then deletes the
segment. When the database refuses, the segment is fsynced and stays on disk as a
spool file; spool files (this process's, or those of a killed process sharing the
folder) are replayed, oldest first, as soon as a write succeeds again.

A replay can never duplicate anything: every journey line has a unique key (call,
request token, part) and calls and statuses are upserts. A segment is locked
(``flock``) by the process writing to it, so another process only replays segments
whose writer has finished with them or died. ``flush()`` runs at interpreter exit,
so a graceful shutdown (gunicorn's SIGTERM) writes everything, or spools it.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ivr.data.store import Store
from ivr.ops.flushing import flush_loop

log = logging.getLogger(__name__)
MAX_BUFFERED = 200_000  # lines kept in memory while the database is down (no spool folder)
REPLAY_LINES = 5_000  # spool files are replayed in transactions of about this many lines
KINDS = ("start", "step", "status")
DATETIME_KEYS = ("at", "started_at", "updated_at")


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (and its parents) for the service's user alone: 0700.

    Spool files hold callers' numbers, journeys and transcripts; they are created 0600.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_mode & 0o077:
        os.chmod(folder, 0o700)  # an older folder, or one made under a loose umask
    return folder


def journey_spool_dir(spool_root: Path, database_url: str) -> Path:
    """The journal folder of one database: a spool is only ever replayed where it belongs.

    The folder is named after the database (password left out), so pointing an
    instance at another database never writes its old journeys there.
    """
    import sqlalchemy as sa

    try:
        identity = sa.engine.make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an odd URL still gets a stable folder
        identity = database_url
    return spool_root / "journeys" / hashlib.sha256(identity.encode()).hexdigest()[:12]


@dataclass
class Batch:
    """Journey data waiting to be written: call starts, journey lines, call statuses."""

    start: list[dict[str, Any]] = field(default_factory=list)
    step: list[dict[str, Any]] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start) + len(self.step) + len(self.status)

    def add(self, kind: str, rows: Iterable[dict[str, Any]]) -> None:
        """Append rows of one kind."""
        getattr(self, kind).extend(rows)

    def lines(self) -> list[tuple[str, dict[str, Any]]]:
        """Every row with its kind (to write them one by one)."""
        return [(kind, row) for kind in KINDS for row in getattr(self, kind)]


def _iso(value: Any) -> str:
    """A timestamp in ISO format (the JSON encoder asks only for what it cannot write)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a journey line")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_iso)


def encode(kind: str, rows: Iterable[dict[str, Any]]) -> bytes:
    """Journal lines for rows (JSON, one per line; timestamps in ISO format)."""
    return "".join(_ENCODER.encode({"k": kind, "r": row}) + "\n" for row in rows).encode()


def decode(data: bytes, into: Batch) -> int:
    """Add a journal's lines to a batch; returns how many lines were unreadable.

    A line torn by a power cut (the last one, not yet fsynced) is skipped.
    """
    bad = 0
    for raw in data.splitlines():
        try:
            item = json.loads(raw)
            kind, row = item["k"], item["r"]
            if kind not in KINDS or not isinstance(row, dict):
                raise ValueError(kind)
            for key in DATETIME_KEYS:
                if isinstance(row.get(key), str):
                    row[key] = datetime.fromisoformat(row[key])
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        into.add(kind, [row])
    return bad


class Segment:
    """This process's open journal file, locked so no other process replays it meanwhile."""

    def __init__(self, folder: Path) -> None:
        private_dir(folder)
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(3)}"
        opening = folder / f"{name}.open"
        self.fd = os.open(opening, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        # Renamed only once locked: a replayer never sees it unlocked while in use.
        self.path = folder / f"{name}.jsonl"
        os.rename(opening, self.path)
        self.lines = 0
        # Request threads write without holding the recorder's lock (a lock held across a
        # system call makes every thread queue behind it). A writer is counted in under
        # the lock and counts itself out with a list append (atomic); the file is only
        # closed once every writer counted in has finished.
        self.writers = 0
        self.finished: list[int] = []

    def append(self, data: bytes) -> None:
        """Add lines (one write; O_APPEND keeps writers' lines whole)."""
        try:
            os.write(self.fd, data)
        finally:
            self.finished.append(1)

    def _settle(self) -> None:
        """Wait (briefly) for writers still inside ``append``."""
        deadline = time.monotonic() + 5
        while len(self.finished) < self.writers and time.monotonic() < deadline:
            time.sleep(0.0005)

    def discard(self) -> None:
        """The lines are in the database: forget the file."""
        self._settle()
        self.path.unlink(missing_ok=True)
        os.close(self.fd)

    def keep(self) -> None:
        """The database refused: make the file durable and leave it to be replayed."""
        self._settle()
        os.fsync(self.fd)
        os.close(self.fd)  # releases the lock: any process may replay it now
        _fsync_dir(self.path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def lock_spool_file(path: Path) -> int | None:
    """Open and lock a spool file nobody is using; None if in use or already gone."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Another process may have replayed and deleted it while we waited to open.
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise FileNotFoundError(path)
    except OSError:
        os.close(fd)
        return None
    return fd


class JourneyRecorder:
    """Buffers journey writes, journals them to disk and flushes them in batches."""

    def __init__(self, store: Store, flush_ms: int = 200, spool_dir: Path | None = None) -> None:
        self.store = store
        self.interval = max(flush_ms, 1) / 1000
        self.spool_dir = spool_dir
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._batch = Batch()
        self._segment: Segment | None = None
        self._wake = threading.Event()
        self._pid = 0
        self._closed = False
        self._spooled = 0  # lines this process left on disk that no replay has written yet
        self.failures = 0
        self.dropped = 0
        self.rejected = 0
        self.replayed = 0
        atexit.register(self.flush)

    def close(self) -> bool:
        """Write what is buffered and stop the writer thread (a graceful shutdown)."""
        self._closed = True
        self._wake.set()
        atexit.unregister(self.flush)
        return self.flush()

    def _ensure_thread(self) -> None:
        # Started lazily in the process that records, so a pre-forking server
        # (gunicorn --preload) gives each worker its own thread and journal.
        if self._pid != os.getpid() and not self._closed:
            self._pid = os.getpid()
            self._segment = None  # a parent's segment is the parent's
            thread = threading.Thread(target=self._run, name="journey-writer", daemon=True)
            thread.start()

    def call_started(self, row: dict[str, Any]) -> None:
        """Record a new call."""
        self._add("start", [row])

    def steps(self, rows: list[dict[str, Any]]) -> None:
        """Record journey lines (one request's); lines without Twilio's token get a unique one."""
        if rows and any(not row.get("request_token") for row in rows):
            # Without a key a replayed line could be written twice (NULLs never conflict).
            local = f"local-{secrets.token_hex(12)}"
            rows = [{**row, "request_token": row.get("request_token") or local} for row in rows]
        self._add("step", rows)

    def status(self, row: dict[str, Any]) -> None:
        """Record a call status callback."""
        self._add("status", [row])

    def _add(self, kind: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self._ensure_thread()
        data = encode(kind, rows) if self.spool_dir is not None else b""
        segment = None
        with self._lock:
            # The rows and their journal lines go to the same (batch, segment) pair, so a
            # flush that swaps them in between can never write one and drop the other.
            self._batch.add(kind, rows)
            if self.spool_dir is not None:
                try:
                    if self._segment is None:
                        self._segment = Segment(self.spool_dir)
                    segment = self._segment
                    segment.writers += 1
                    segment.lines += len(rows)
                except OSError:  # a full or read-only disk must not reach the caller
                    log.exception("journey journal not opened; lines kept in memory only")
            overflow = len(self._batch.step) - MAX_BUFFERED
            if overflow > 0:
                del self._batch.step[:overflow]
                self.dropped += overflow
        if segment is not None:
            try:
                segment.append(data)
            except OSError:  # a full or read-only disk must not reach the caller
                log.exception("journey journal not written; lines kept in memory only")

    @property
    def pending(self) -> int:
        """Lines not yet written to the database (in memory, or spooled by this process)."""
        with self._lock:
            return len(self._batch) + self._spooled

    def backlog(self) -> int:
        """Journey lines not yet in the database, the same figure in every worker.

        Every line is journaled to the shared spool folder as it is recorded, and its
        file removed once the database has it: the lines in those files are everyone's
        backlog (this worker's memory adds only what its journal could not take).
        Without a spool folder, this worker's own lines.
        """
        if self.spool_dir is None:
            return self.pending
        lines = 0
        for path in self.spooled_files():
            try:
                with open(path, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        lines += chunk.count(b"\n")
            except OSError:
                continue  # replayed and removed meanwhile
        with self._lock:
            unjournaled = len(self._batch) if self._segment is None else 0
        return lines + unjournaled

    def spooled_files(self) -> list[Path]:
        """Journal files waiting on disk (including other processes' open segments)."""
        if self.spool_dir is None or not self.spool_dir.is_dir():
            return []
        return sorted(self.spool_dir.glob("*.jsonl"))

    def flush(self) -> bool:
        """Write everything now; False if the database refused (lines kept or spooled)."""
        with self._write_lock:
            with self._lock:
                batch, self._batch = self._batch, Batch()
                segment = self._segment if self._pid == os.getpid() else None
                self._segment = None
            written = self._write(batch) if len(batch) else True
            if segment is not None:
                if written:
                    segment.discard()
                else:
                    segment.keep()
                    with self._lock:
                        self._spooled += segment.lines
            elif not written:
                with self._lock:  # no journal: keep the lines in memory, oldest first
                    self._batch = _merge(batch, self._batch)
            if written and self.spool_dir is not None:
                return self.replay()
            return written

    def replay(self) -> bool:
        """Write spool files nobody is using, oldest first; False if the database refused."""
        files = self.spooled_files()
        while files:
            batch, locked = Batch(), []
            while files and len(batch) < REPLAY_LINES:
                path = files.pop(0)
                fd = lock_spool_file(path)
                if fd is None:
                    continue
                locked.append((path, fd))
                with os.fdopen(fd, "rb", closefd=False) as handle:
                    unreadable = decode(handle.read(), batch)
                if unreadable:
                    log.error("%d unreadable journey line(s) skipped in %s", unreadable, path.name)
            written = self._write(batch) if len(batch) else True
            for path, fd in locked:
                if written:
                    path.unlink(missing_ok=True)
                os.close(fd)
            if not written:
                return False
            if len(batch):
                self.replayed += len(batch)
                with self._lock:
                    self._spooled = max(0, self._spooled - len(batch))
                log.info("%d spooled journey line(s) written", len(batch))
        return True

    def _write(self, batch: Batch) -> bool:
        """Write a batch; lines the database will never take are set aside, not retried forever."""
        try:
            self.store.write_batch(batch.start, batch.step, batch.status)
            return True
        except Exception:  # noqa: BLE001 - any database failure: keep the lines
            if not self._database_up():
                self.failures += 1
                log.warning("database unavailable: %d journey line(s) kept for later", len(batch))
                return False
        # The database answers but refused the batch: find the lines it cannot take.
        for kind, row in batch.lines():
            single = Batch()
            single.add(kind, [row])
            try:
                self.store.write_batch(single.start, single.step, single.status)
            except Exception:  # noqa: BLE001 - decided below: outage or a bad line
                if not self._database_up():
                    self.failures += 1
                    return False
                self._reject(kind, row)
        return True

    def _database_up(self) -> bool:
        try:
            self.store.ping()
            return True
        except Exception:  # noqa: BLE001 - unreachable, whatever the driver says
            return False

    def _reject(self, kind: str, row: dict[str, Any]) -> None:
        """Keep a line the database refuses (for a person to look at) and go on."""
        self.rejected += 1
        log.error("journey line refused by the database, set aside: %s %s", kind,
                  {k: row.get(k) for k in ("call_sid", "node", "event")})
        if self.spool_dir is None:
            return
        try:
            rejected = os.open(self.spool_dir / "rejected.txt",
                               os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(rejected, "ab") as handle:
                handle.write(encode(kind, [row]))
        except OSError:
            log.exception("could not keep the refused journey line")

    def _run(self) -> None:
        flush_loop(self.flush, self.interval, self._wake, lambda: self._closed, "journey writer")


def _merge(older: Batch, newer: Batch) -> Batch:
    """Two batches as one, the older lines first."""
    return Batch(older.start + newer.start, older.step + newer.step,
                 older.status + newer.status)
