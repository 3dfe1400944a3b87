"""Forwarded headers against the documented stack: nginx (docs/deploy/nginx.conf), then gunicorn.

A client may send any `X-Forwarded-*` header it likes. Through the documented nginx
none of them may choose the URL the app believes it has (and so the URL a request
must be signed for, and where callback URLs point); straight at gunicorn, from an
address that is not the proxy's, none is believed at all. And nginx on a port other
than 443 must pass the port on, or every signature (made for host:port) fails.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import ROOT, upgraded
from tests.test_nginx_front import NGINX, _free_port, _wait_for, nginx_config

TOKEN = "f" * 32
pytestmark = [pytest.mark.skipif(NGINX is None, reason="nginx is not installed "
                                 "(apt-get install nginx-light); CI installs it"),
              # One stack serves the module's tests, on one pytest-xdist worker.
              pytest.mark.xdist_group("forwarded-headers")]
PARAMS = {"CallSid": "CA" + "4" * 32, "AccountSid": "AC" + "2" * 32, "From": "+15551230000",
          "To": "+15005550006", "CallStatus": "ringing", "ApiVersion": "2010-04-01",
          "Direction": "inbound"}
FORGED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443",
          "X-Forwarded-Prefix": "/p", "X-Forwarded-Proto": "http"}


def post_voice(port: int, signed_for: str, headers: dict[str, str] | None = None,
               source: str = "127.0.0.1") -> tuple[int, str]:
    """POST a call to /voice at 127.0.0.1:port from ``source``, signed for ``signed_for``."""
    signature = RequestValidator(TOKEN).compute_signature(signed_for, PARAMS)
    body = urllib.parse.urlencode(PARAMS).encode()
    head = ["POST /voice HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
            "Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}",
            f"X-Twilio-Signature: {signature}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.socket() as sock:
        sock.settimeout(10)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """gunicorn (the Procfile's web line, IVR_TRUSTED_PROXIES=1, no IVR_PUBLIC_URL) behind nginx,
    started once for the module: its tests only send requests."""
    assert NGINX is not None
    tmp_path = tmp_path_factory.mktemp("front")
    app_port, proxy_port = _free_port(), _free_port()
    url = f"sqlite:///{tmp_path / 'front.sqlite3'}"
    upgraded(url)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "PORT": str(app_port), "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV": "production",
           "IVR_TRUSTED_PROXIES": "1", "DATABASE_URL": url, "WEB_CONCURRENCY": "1",
           "IVR_INSTANCE_DIR": str(tmp_path / "instance"), "IVR_LOG_LEVEL": "ERROR"}
    env.pop("IVR_PUBLIC_URL", None)
    env.pop("IVR_PROXY_ADDRESSES", None)
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                    if ": " in line)
    web = procfile["web"].replace("--access-logfile -", "")  # bound as the Procfile binds
    gunicorn = subprocess.Popen(["bash", "-c", f"exec {web}"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (tmp_path / "nginx.conf").write_text(nginx_config(app_port, proxy_port, tmp_path))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-c", str(tmp_path / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(f"http://127.0.0.1:{app_port}/healthz", gunicorn, seconds=90)  # a loaded machine
        _wait_for(f"http://127.0.0.1:{proxy_port}/healthz", nginx, seconds=10)
        yield app_port, proxy_port
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
        for process in (nginx, gunicorn):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def test_a_client_cannot_choose_the_apps_url_through_nginx(stack: tuple[int, int]) -> None:
    _, proxy_port = stack
    status, body = post_voice(proxy_port, "http://evil.example:8443/p/voice", FORGED)
    assert status == 403, body
    assert "evil.example" not in body


def test_nginx_on_a_non_default_port_passes_the_port_on(stack: tuple[int, int]) -> None:
    _, proxy_port = stack
    public = f"http://127.0.0.1:{proxy_port}"
    status, body = post_voice(proxy_port, f"{public}/voice")
    assert status == 200, body
    assert re.search(rf'<Gather [^>]*action="{re.escape(public)}/voice/step\?', body), body
    # The same, with forged headers added: still the real URL, never the forged one.
    status, body = post_voice(proxy_port, f"{public}/voice", FORGED)
    assert status == 200, body
    assert "evil.example" not in body and f'action="{public}/voice/step?' in body


def test_straight_at_gunicorn_forwarded_headers_count_only_from_the_proxy(
        stack: tuple[int, int]) -> None:
    app_port, _ = stack
    # 127.0.0.5 is this machine but not the proxy's address (IVR_PROXY_ADDRESSES: 127.0.0.1).
    status, body = post_voice(app_port, "http://evil.example:8443/p/voice", FORGED,
                              source="127.0.0.5")
    assert status == 403, body
    status, body = post_voice(app_port, f"http://127.0.0.1:{app_port}/voice", FORGED,
                              source="127.0.0.5")
    assert status == 200, body
    assert f'action="http://127.0.0.1:{app_port}/voice/step?' in body
