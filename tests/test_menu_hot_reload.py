"""A published menu reaches every gunicorn worker of two instances on one PostgreSQL.

Two real instances (gunicorn, two workers each) share a database. A version
published on the database (as the dashboard or `ivr menu publish` does) is heard
by callers on every worker at its next check, without a restart; a broken version
is refused and never heard; a rollback brings the old words back everywhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.data.tables import make_engine
from ivr.menu.versions import MenuVersions
from ivr.simulator import HttpTransport, Phone
from tests.conftest import ROOT, _truncate

TOKEN = "e" * 32
MINI = ROOT / "tests" / "menus" / "mini.yaml"
OLD = "We are open Monday to Friday, nine to five."
NEW = "We are open every weekday from nine."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(db_url: str, menus: Path, tmp_path: Path, name: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_ENV": "production",
        "IVR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": db_url,
        "IVR_MENUS_DIR": str(menus),
        "IVR_MENU_CHECK_SECONDS": "0.5",
        "IVR_INSTANCE_DIR": str(tmp_path / f"instance-{name}"),
        "SECRET_KEY": "hot-reload-test",
    }
    log = tmp_path / f"{name}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["gunicorn", "app:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--threads", "2", "--timeout", "20"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a guard against a hang, not a bound on speed
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return server, base
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"{name} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)


@pytest.fixture
def instances(postgres_url: str, tmp_path: Path) -> Iterator[tuple[list[str], MenuVersions]]:
    assert shutil.which("gunicorn", path=str(Path(sys.executable).parent)), "gunicorn is a dependency"
    _truncate(postgres_url)
    menus = tmp_path / "menus"
    menus.mkdir()
    shutil.copy(MINI, menus / "mini.yaml")
    servers = [_start(postgres_url, menus, tmp_path, name) for name in ("a", "b")]
    engine = make_engine(postgres_url)
    try:
        yield [base for _, base in servers], MenuVersions(engine, menus, ROOT / "prompts")
    finally:
        engine.dispose()
        for server, _ in servers:
            server.terminate()
        for server, _ in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def hours_heard(base: str) -> str:
    """Call through one instance and hear the opening hours message."""
    phone = Phone(HttpTransport(), TOKEN, base_url=base, called="+15005550001")
    phone.dial()
    phone.press("1")
    return " ".join(h.text for h in phone.press("1"))


def everyone_hears(bases: list[str], words: str, within: float = 120.0) -> None:
    """Twelve calls in a row, alternating instances, all hear ``words``.

    Workers check for a new version every 0.5 s; ``within`` only stops a hang (a busy
    machine may take many seconds to answer the calls themselves), it is no bound on
    how fast a version spreads."""
    deadline = time.monotonic() + within
    streak = 0
    last = ""
    while streak < 12:
        last = hours_heard(bases[streak % 2])
        streak = streak + 1 if words in last else 0
        if time.monotonic() > deadline:
            raise AssertionError(f"still hearing {last!r} after {within} s")


def test_publish_reaches_every_worker_and_a_broken_version_never_does(
        instances: tuple[list[str], MenuVersions]) -> None:
    bases, versions = instances
    everyone_hears(bases, OLD)
    assert [v.number for v in versions.history("mini.yaml")] == [1]  # imported once, not twice

    assert versions.publish("mini.yaml", MINI.read_text().replace(OLD, NEW), "ana").ok
    everyone_hears(bases, NEW)

    broken = MINI.read_text().replace("type: hangup", "type: hangupp").replace(OLD, "Broken.")
    assert not versions.publish("mini.yaml", broken, "ana").ok
    time.sleep(1.5)  # three reload periods
    for base in bases * 3:
        assert NEW in hours_heard(base)

    first = versions.history("mini.yaml")[-1]
    assert versions.rollback("mini.yaml", first.id, "ana").ok
    everyone_hears(bases, OLD)
