"""Two real gunicorn instances on one PostgreSQL database, one of them killed mid-run.

A small load balancer in the test sends each step of each call to the next instance
(both know the same public URL, so Twilio's signatures hold on either), and retries a
request on the other instance when one does not answer, with the same idempotency
token, as Twilio would. After a SIGKILL the survivor answers everything; the killed
instance's unwritten journey lines are replayed from the journal it left on disk.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.simulator import HttpTransport, Phone
from tests.conftest import ROOT, TOKEN, _truncate

PUBLIC = "http://ivr.test"  # what Twilio calls; the balancer maps it to an instance
VM_NUMBER = "+15005550002"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Instance:
    """One gunicorn serving the app (its own process group, so it can be killed whole)."""

    def __init__(self, db_url: str, folder: Path, spool: Path, flush_ms: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": TOKEN,
               "IVR_ENV": "test", "IVR_PUBLIC_URL": PUBLIC, "SECRET_KEY": "scaleout",
               "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"), "IVR_INSTANCE_DIR": str(folder),
               "IVR_SPOOL_DIR": str(spool), "IVR_JOURNEY_FLUSH_MS": str(flush_ms),
               "IVR_WORKER_IN_APP": "false", "PYTHONPATH": str(ROOT)}
        self.log = open(folder / f"gunicorn-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "4", "--graceful-timeout", "10", "--timeout", "20"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, deadline: float) -> None:
        """Wait until the instance answers HTTP."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # it answers (a 503 only says the instance is degraded)
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"gunicorn on {self.port} did not start: {self.log_text()}")

    def log_text(self) -> str:
        """What gunicorn printed (for failure messages)."""
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def kill(self, sig: int) -> int:
        """Send a signal to the whole instance (master and workers); returns its exit code."""
        os.killpg(self.process.pid, sig)
        return self.process.wait(20)

    def stop(self) -> None:
        """Make sure nothing is left running."""
        if self.process.poll() is None:
            self.kill(signal.SIGKILL)
        self.log.close()


class Balancer:
    """Round-robin over live instances; a request that gets no answer is retried on another."""

    def __init__(self, instances: list[Instance]) -> None:
        self.instances = instances
        self.turn = 0
        self.http = HttpTransport()
        self.tokens: dict[str, set[str]] = defaultdict(set)  # call SID -> tokens sent
        self.served: dict[int, int] = defaultdict(int)  # port -> requests answered

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """Forward to the next live instance, as a load balancer in front of them would."""
        path = url[len(PUBLIC):]
        if path.split("?")[0] in ("/voice", "/voice/step"):
            self.tokens[params["CallSid"]].add(headers["I-Twilio-Idempotency-Token"])
        for _ in range(len(self.instances)):
            instance = self.instances[self.turn % len(self.instances)]
            self.turn += 1
            try:
                answer = self.http.post(instance.url + path, params, headers)
            except OSError:  # refused or reset: that instance is gone, try the next
                continue
            self.served[instance.port] += 1
            return answer
        raise AssertionError("no instance answered")


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[tuple[list[Instance], Path]]:
    """Two instances on one database sharing a spool folder; the first flushes only at exit."""
    _truncate(postgres_url)
    spool = tmp_path / "spool"
    instances = [Instance(postgres_url, tmp_path, spool, 60_000),
                 Instance(postgres_url, tmp_path, spool, 100)]
    deadline = time.monotonic() + 120  # a hang guard
    try:
        for instance in instances:
            instance.wait_ready(deadline)
        yield instances, spool
    finally:
        for instance in instances:
            instance.stop()


def voicemail_call(balancer: Balancer, before_record: Any = None) -> tuple[Phone, str]:
    """A caller who leaves a voicemail; its reports go to both instances, twice each."""
    phone = Phone(balancer, TOKEN, base_url=PUBLIC, called=VM_NUMBER)
    assert "leave a message" in phone.dial()[0].text
    assert "after the beep" in phone.press("1")[0].text
    if before_record:
        before_record()
    heard, details = phone.record(20)
    assert any("Thank you" in h.text for h in heard) and phone.ended
    for _ in range(4):
        assert phone.recording_status(details) == 204
    return phone, details["RecordingSid"]


def wait_for(check: Any, seconds: float = 120) -> Any:
    """Poll until ``check()`` is truthy (the survivor writes in the background); ``seconds``
    only stops a hang."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_calls_survive_an_instance_killed_mid_run(postgres_url: str,
                                                  cluster: tuple[list[Instance], Path]) -> None:
    instances, spool = cluster
    balancer = Balancer(instances)
    killed: list[int] = []
    calls = [voicemail_call(balancer) for _ in range(2)]
    assert all(balancer.served[i.port] > 0 for i in instances)  # both took part
    # Mid-call, just before the third caller records: the first instance dies at once.
    calls.append(voicemail_call(balancer, lambda: killed.append(instances[0].kill(signal.SIGKILL))))
    calls += [voicemail_call(balancer) for _ in range(2)]
    assert killed == [-signal.SIGKILL]

    engine = sa.create_engine(postgres_url)
    try:
        def journeys() -> dict[str, set[str]]:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT call_sid, request_token FROM journey_steps"))
                found: dict[str, set[str]] = defaultdict(set)
                for call_sid, token in rows:
                    found[call_sid].add(token)
                return found

        expected = {phone.call_sid: balancer.tokens[phone.call_sid] for phone, _ in calls}
        # The survivor replays the lines the killed instance had only in its journal.
        wait_for(lambda: journeys() == expected)
        assert journeys() == expected
        with engine.connect() as conn:
            lines = conn.execute(sa.text("SELECT count(*) FROM journey_steps")).scalar_one()
            per_recording = dict(conn.execute(sa.text(
                "SELECT recording_sid, count(*) FROM voicemails GROUP BY recording_sid")).all())
            statuses = set(conn.execute(sa.text(
                "SELECT recording_status FROM voicemails")).scalars())
            started = conn.execute(sa.text("SELECT count(*) FROM calls")).scalar_one()
        assert lines == 4 * len(calls)  # call, choice, voicemail prompt, recorded: no doubles
        assert per_recording == {sid: 1 for _, sid in calls}
        assert statuses == {"completed"} and started == len(calls)
        assert wait_for(lambda: not list(spool.glob("journeys/*/*.jsonl")))
    finally:
        engine.dispose()


def test_a_graceful_sigterm_writes_pending_journeys(postgres_url: str, tmp_path: Path) -> None:
    _truncate(postgres_url)
    spool = tmp_path / "spool"
    instance = Instance(postgres_url, tmp_path, spool, 60_000)  # would not flush for a minute
    try:
        instance.wait_ready(time.monotonic() + 120)  # a hang guard
        balancer = Balancer([instance])
        phone = Phone(balancer, TOKEN, base_url=PUBLIC, called=VM_NUMBER)
        phone.dial()
        phone.press("1")
        assert list(spool.glob("journeys/*/*.jsonl"))  # journaled, not yet written
        assert instance.kill(signal.SIGTERM) == 0
    finally:
        instance.stop()
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        events = list(conn.execute(sa.text(
            "SELECT event FROM journey_steps WHERE call_sid = :c ORDER BY at, id"),
            {"c": phone.call_sid}).scalars())
    engine.dispose()
    assert events == ["call", "choice", "voicemail"]
    assert list(spool.glob("journeys/*/*.jsonl")) == []  # written at exit, not left spooled
