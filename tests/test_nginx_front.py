"""Slow clients ("slowloris") against the documented production stack: nginx, then gunicorn.

A real gunicorn runs the Procfile's web line on a loopback port; a real nginx runs
docs/deploy/nginx.conf in front of it. 48 connections that send a byte a second hold
every gunicorn thread when they reach gunicorn directly (a signed webhook then times
out); through nginx the same webhook is answered at once. Everything stays on
127.0.0.1, with a bounded number of connections, and stops by itself.

Runs in CI (.ci/run installs nginx); elsewhere it skips, saying so, when nginx is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import ROOT, upgraded

TOKEN = "e" * 32
SLOW_CLIENTS = 48
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
if NGINX is None and os.environ.get("CI"):
    raise RuntimeError("the slow-client test must run in CI: nginx is not installed "
                       "(apt-get install nginx-light)")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed "
                                "(apt-get install nginx-light); CI installs it")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            assert process.poll() is None, f"{process.args} exited"
            assert time.monotonic() < deadline, f"{url} did not come up"
            time.sleep(0.2)


def nginx_config(upstream_port: int, listen_port: int, folder: Path) -> str:
    """docs/deploy/nginx.conf on loopback ports without TLS, inside a minimal main file."""
    site = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen_port};")
    site = "\n".join(line for line in site.splitlines() if not line.strip().startswith("ssl_"))
    assert f"127.0.0.1:{listen_port}" in site and "ssl_certificate" not in site
    user = "user root;" if os.geteuid() == 0 else ""  # workers reach the test's private folder
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}\ndaemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n    access_log off;\n{temp}\n{site}\n}}\n")


class SlowClients:
    """Connections that send a request one byte a second and never finish it."""

    def __init__(self, port: int, count: int, pause: float = 0.0) -> None:
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        for index in range(count):
            time.sleep(pause)
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if index % 2:  # headers that never end
                sock.sendall(b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            else:  # a body that never ends
                sock.sendall(b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             b"application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nA")
            self.sockets.append(sock)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b"X-a: b\r\n" if self.sockets.index(sock) % 2 else b"A")
                except OSError:
                    pass

    def still_open(self) -> int:
        """How many of the connections the server has not closed."""
        alive = 0
        for sock in self.sockets:
            try:
                sock.sendall(b"A")
                sock.setblocking(False)
                try:
                    alive += sock.recv(1) != b""  # a byte: the server answered (and closes)
                except BlockingIOError:
                    alive += 1  # nothing to read: still waiting for us
                finally:
                    sock.setblocking(True)
            except OSError:
                pass
        return alive

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


def signed_webhook(port: int, public: str, timeout: float) -> tuple[int, str, float]:
    """POST a call to /voice signed as Twilio signs it; status, body and seconds taken."""
    params = {"CallSid": "CA" + "3" * 32, "AccountSid": "AC" + "2" * 32, "From": "+15551230000",
              "To": "+15005550006", "CallStatus": "ringing", "ApiVersion": "2010-04-01",
              "Direction": "inbound"}
    signature = RequestValidator(TOKEN).compute_signature(f"{public}/voice", params)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/voice",
                                     data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature}, method="POST")
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode(), time.monotonic() - started


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[int, int, str]]:
    """gunicorn (the Procfile's web line) and nginx (docs/deploy/nginx.conf) in front of it."""
    assert NGINX is not None
    app_port, proxy_port = _free_port(), _free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    url = f"sqlite:///{tmp_path / 'front.sqlite3'}"
    upgraded(url)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "PORT": str(app_port), "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV": "production",
           "IVR_PUBLIC_URL": public, "DATABASE_URL": url, "WEB_CONCURRENCY": "2",
           "IVR_INSTANCE_DIR": str(tmp_path / "instance"), "IVR_LOG_LEVEL": "ERROR"}
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                    if ": " in line)
    web = procfile["web"].replace("0.0.0.0", "127.0.0.1").replace("--access-logfile -", "")
    gunicorn = subprocess.Popen(["bash", "-c", f"exec {web}"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (tmp_path / "nginx.conf").write_text(nginx_config(app_port, proxy_port, tmp_path))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-c", str(tmp_path / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{app_port}/healthz", gunicorn, seconds=90)  # a loaded machine
        _wait_for(f"http://127.0.0.1:{proxy_port}/healthz", nginx, seconds=10)
        yield app_port, proxy_port, public
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
        for process in (nginx, gunicorn):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if nginx.stderr:
            nginx.stderr.close()


def test_slow_clients_do_not_hold_up_webhooks_behind_nginx(stack: tuple[int, int, str]) -> None:
    app_port, proxy_port, public = stack
    assert signed_webhook(app_port, public, timeout=5)[0] == 200  # gunicorn alone, unloaded

    # Straight at gunicorn, the slow clients take every thread: the webhook gets no answer.
    # Opened 30 ms apart, as an attacker would: both workers take their share (all at once,
    # one worker may accept nearly all of them and leave the other's threads free).
    direct = SlowClients(app_port, SLOW_CLIENTS, pause=0.03)
    try:
        time.sleep(1.0)
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            signed_webhook(app_port, public, timeout=3)
    finally:
        direct.close()
    time.sleep(1.0)  # their threads are freed once the connections close
    assert signed_webhook(app_port, public, timeout=5)[0] == 200

    # Through nginx, the same slow clients wait in nginx; every webhook is answered at once.
    through = SlowClients(proxy_port, SLOW_CLIENTS, pause=0.03)
    try:
        time.sleep(1.0)
        for _ in range(5):  # answered while the slow clients hold on (a hang guard, no bound)
            status, body, _seconds = signed_webhook(proxy_port, public, timeout=30)
            assert status == 200
            assert re.search(rf'<Gather [^>]*action="{re.escape(public)}/voice/step\?', body)
            time.sleep(0.3)
        assert through.still_open() >= SLOW_CLIENTS - 2  # the attack was on all along
    finally:
        through.close()
