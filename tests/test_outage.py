"""A database outage mid-call: callers hear nothing of it, and no journey or voicemail is lost.

PostgreSQL is reached through a small TCP proxy that the test cuts and restores (every
connection dropped, new ones refused); SQLite's outage is its folder disappearing with
the connections closed. Journey lines and voicemail reports wait on disk and are
written once when the database returns.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from ivr.data.store import Store
from ivr.simulator import FlaskTransport, Phone
from ivr.web.recorder import JourneyRecorder, Segment, decode, journey_spool_dir
from tests.conftest import ROOT, TOKEN, make_app, shutdown

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``cut()`` drops everything, ``restore()`` reopens."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        """Accept connections again (on the same port)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """The network fails: existing connections die, new ones are refused."""
        if self._listener is not None:
            try:  # wakes the thread blocked in accept(); close() alone would not
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Outage:
    """Cuts and restores an app's database, whichever kind it is."""

    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.db_url = db_url
        self.proxy: TcpProxy | None = None
        self.app_url = db_url
        if db_url.startswith("postgresql"):
            url = sa.engine.make_url(db_url)
            self.proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
            self.app_url = url.set(host="127.0.0.1", port=self.proxy.port) \
                .render_as_string(hide_password=False)
        else:
            folder = tmp_path / "db"
            folder.mkdir()
            shutil.move(db_url.split("///", 1)[1], folder / "ivr.sqlite3")
            self.folder = folder
            self.app_url = f"sqlite:///{folder / 'ivr.sqlite3'}"
        self.engines: list[sa.engine.Engine] = []

    def cut(self) -> None:
        """The database becomes unreachable."""
        logging.disable(logging.CRITICAL)  # the expected failures are logged loudly
        if self.proxy is not None:
            self.proxy.cut()
        else:
            self.folder.rename(self.folder.with_name("db-away"))
        for engine in self.engines:
            engine.dispose()

    def restore(self) -> None:
        """The database is back."""
        if self.proxy is not None:
            self.proxy.restore()
        else:
            self.folder.with_name("db-away").rename(self.folder)
        logging.disable(logging.NOTSET)


@pytest.fixture
def outage_app(db_url: str, tmp_path: Path, clock: Any) -> Iterator[tuple[Any, Outage]]:
    """An app whose database the test can cut and restore."""
    outage = Outage(db_url, tmp_path)
    app = make_app(outage.app_url, tmp_path, clock, IVR_SPOOL_DIR=str(tmp_path / "spool"),
                   IVR_JOURNEY_FLUSH_MS="60000")
    outage.engines.append(app.extensions["ivr"].store.engine)
    yield app, outage
    logging.disable(logging.NOTSET)
    shutdown(app)
    if outage.proxy is not None:
        outage.proxy.cut()


def call_requests(phone: Phone) -> int:
    """How many call webhooks (each with its own idempotency token) the call made."""
    return sum(1 for e in phone.exchanges if urlsplit(e.url).path in ("/voice", "/voice/step"))


def test_outage_mid_call_callers_go_on_and_nothing_is_lost_or_doubled(
        outage_app: tuple[Any, Outage], tmp_path: Path) -> None:
    app, outage = outage_app
    svc = app.extensions["ivr"]
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550002")
    assert "leave a message" in phone.dial()[0].text
    assert svc.recorder.flush() is True
    before = len(svc.store.journey(phone.call_sid))
    assert before == 1

    outage.cut()
    assert "after the beep" in phone.press("1")[0].text  # the caller hears the next prompt
    heard, details = phone.record(31)
    assert any("Thank you" in h.text for h in heard) and phone.ended
    assert phone.recording_status(details) == 204
    assert phone.recording_status(details) == 204  # Twilio's retry, during the outage too
    assert svc.recorder.flush() is False
    health = app.test_client().get("/healthz").get_json()
    assert health["journey_backlog"] >= 2 and health["voicemail_spool"] == 3

    # Everything waits on disk, fsynced: journey lines and the three voicemail reports.
    journal = svc.recorder.spooled_files()
    assert journal and all(p.parent.parent.parent == tmp_path / "spool" for p in journal)
    spooled_vm = svc.intake.pending()
    assert len(spooled_vm) == 3
    assert json.loads(spooled_vm[0].read_text())["recording_sid"] == details["RecordingSid"]

    outage.restore()
    assert svc.recorder.flush() is True
    assert svc.recorder.spooled_files() == [] and svc.recorder.pending == 0
    assert svc.intake.replay() == 3
    assert svc.intake.replay() == 0
    steps = svc.store.journey(phone.call_sid)
    assert [s["event"] for s in steps] == ["call", "choice", "voicemail", "voicemail"]
    assert len({s["request_token"] for s in steps}) == call_requests(phone) == 3
    assert svc.voicemails.count() == 1
    voicemail = svc.voicemails.by_recording(details["RecordingSid"])
    assert voicemail["duration"] == 31 and voicemail["recording_status"] == "completed"
    # Spooled without it, the voicemail still shows the caller's path once the journey is back.
    assert [line["node"] for line in voicemail["journey"]][:2] == ["main", "main"]
    assert svc.store.call(phone.call_sid)["to_number"] == "+15005550002"


def test_a_second_caller_during_the_outage_is_answered_and_journaled(
        outage_app: tuple[Any, Outage]) -> None:
    app, outage = outage_app
    svc = app.extensions["ivr"]
    outage.cut()
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    assert "English" in phone.dial()[0].text
    assert "opening hours" in phone.press("1")[0].text
    app.test_client().get("/healthz")
    assert svc.recorder.flush() is False
    assert svc.recorder.pending == 3 and svc.recorder.spooled_files()  # the call and 2 lines
    outage.restore()
    assert svc.recorder.flush() is True
    assert [s["event"] for s in svc.store.journey(phone.call_sid)] == ["call", "language"]
    assert svc.store.call(phone.call_sid) is not None


def step_row(call_sid: str, token: str, part: int = 0, node: str | None = "main") -> dict[str, Any]:
    """A journey line as the webhooks record it."""
    return {"call_sid": call_sid, "at": AT, "menu": "mini", "node": node, "event": "key",
            "input": "1", "outcome": "go:x", "lang": "en", "request_token": token, "part": part}


def test_a_replay_after_a_crash_between_commit_and_delete_adds_nothing(db_url: str,
                                                                      tmp_path: Path) -> None:
    store = Store(db_url)
    spool = tmp_path / "journeys"
    recorder = JourneyRecorder(store, 60000, spool_dir=spool)
    recorder.call_started({"call_sid": "CA1", "account_sid": "AC1", "from_number": "+1",
                           "to_number": "+2", "menu": "mini", "started_at": AT})
    recorder.steps([step_row("CA1", "t1"), step_row("CA1", "t1", 1)])
    recorder.steps([{**step_row("CA1", ""), "request_token": None}])  # no Twilio token
    [segment] = recorder.spooled_files()
    saved = segment.read_bytes()
    assert recorder.flush() is True
    assert recorder.spooled_files() == []
    # The process died after the commit but before deleting its journal: replay it again.
    (spool / segment.name).write_bytes(saved)
    assert recorder.replay() is True
    assert recorder.spooled_files() == []
    assert store.count_steps() == 3 and len(store.journey("CA1")) == 3
    recorder.close()
    store.dispose()


def test_a_line_the_database_refuses_is_set_aside_and_the_rest_written(db_url: str,
                                                                      tmp_path: Path) -> None:
    store = Store(db_url)
    recorder = JourneyRecorder(store, 60000, spool_dir=tmp_path / "journeys")
    logging.disable(logging.CRITICAL)
    try:
        recorder.steps([step_row("CA2", "t1"), step_row("CA2", "t1", 1, node=None)])  # NOT NULL
        recorder.steps([step_row("CA2", "t2")])
        assert recorder.flush() is True  # not retried forever, not blocking the others
    finally:
        logging.disable(logging.NOTSET)
    assert len(store.journey("CA2")) == 2
    assert recorder.rejected == 1
    assert "CA2" in (tmp_path / "journeys" / "rejected.txt").read_text()
    recorder.close()
    store.dispose()


def test_a_segment_in_use_by_a_live_writer_is_not_replayed(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    spool = tmp_path / "journeys"
    writer = JourneyRecorder(store, 60000, spool_dir=spool)
    other = JourneyRecorder(store, 60000, spool_dir=spool)
    writer.steps([step_row("CA3", "t1")])
    assert other.replay() is True
    assert store.count_steps() == 0 and len(writer.spooled_files()) == 1  # still the writer's
    assert writer.flush() is True
    assert store.count_steps() == 1
    writer.close()
    other.close()
    store.dispose()


KILLED_WRITER = """
import os, signal, sys
from datetime import UTC, datetime
from pathlib import Path
from ivr.web.recorder import JourneyRecorder
from ivr.data.store import Store
at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
recorder = JourneyRecorder(Store(sys.argv[1]), 60000, spool_dir=Path(sys.argv[2]))
for i in range(50):
    recorder.steps([{"call_sid": "CA9", "at": at, "menu": "mini", "node": "main",
                     "event": "key", "input": str(i), "outcome": "", "lang": "en",
                     "request_token": f"tok{i}", "part": 0}])
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_lines_of_a_killed_process_are_replayed_by_another(db_url: str, tmp_path: Path) -> None:
    spool = journey_spool_dir(tmp_path / "spool", db_url)
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, db_url, str(spool)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == -9
    store = Store(db_url)
    assert store.count_steps() == 0
    survivor = JourneyRecorder(store, 60000, spool_dir=spool)
    assert survivor.replay() is True
    assert [s["input"] for s in store.journey("CA9")] == [str(i) for i in range(50)]
    assert survivor.replay() is True and store.count_steps() == 50
    survivor.close()
    store.dispose()


def test_a_torn_last_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    segment = Segment(tmp_path)
    from ivr.web.recorder import Batch, encode

    segment.writers += 1  # as JourneyRecorder counts a writer in
    segment.append(encode("step", [step_row("CA4", "t1")]) + b'{"k":"step","r":{"call')
    segment.keep()
    batch = Batch()
    assert decode(segment.path.read_bytes(), batch) == 1
    assert [row["call_sid"] for row in batch.step] == ["CA4"]
    assert batch.step[0]["at"] == AT


def test_every_worker_reports_the_same_journey_backlog(outage_app: tuple[Any, Outage],
                                                        tmp_path: Path, clock: Any) -> None:
    first, outage = outage_app
    # A second worker of the same instance: same database, same spool folder.
    second = make_app(outage.app_url, tmp_path, clock, IVR_SPOOL_DIR=str(tmp_path / "spool"),
                      IVR_JOURNEY_FLUSH_MS="60000")
    outage.engines.append(second.extensions["ivr"].store.engine)
    try:
        outage.cut()
        phone = Phone(FlaskTransport(first), TOKEN, called="+15005550002")
        phone.dial()
        phone.press("1")
        assert first.extensions["ivr"].recorder.flush() is False  # spooled to disk
        seen = [app.test_client().get("/healthz").get_json()["journey_backlog"]
                for app in (first, second, first, second)]
        assert seen[0] >= 2 and seen == [seen[0]] * 4, seen
        outage.restore()
        assert first.extensions["ivr"].recorder.flush() is True
        seen = [app.test_client().get("/healthz").get_json()["journey_backlog"]
                for app in (first, second)]
        assert seen == [0, 0], seen
    finally:
        shutdown(second)
