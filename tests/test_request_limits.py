"""Request bodies are bounded per route and refused before they are read; never a 500.

Four unsigned 40 MiB POSTs once took a worker to 4.6 GB: the form was parsed before
the signature was checked, with no limit. A webhook body is now refused over 64 KiB
(413) without reading it, an unsigned one is refused (403) without reading it at all,
and a chunked body without Content-Length is read only up to the limit.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ivr.web.limits import DEFAULT_MAX_BYTES, WEBHOOK_MAX_BYTES
from tests.conftest import ROOT, TOKEN, csrf_token_of, log_in

MIB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"


class Endless(io.RawIOBase):
    """A request body of ``size`` bytes (``a=aaaa...``) that counts how much was read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"a" * count
        self.read_bytes += count
        return count


def post_body(client: Any, path: str, body: Endless, *, length: bool = True,
              headers: dict[str, str] | None = None) -> Any:
    """POST ``body`` with its Content-Length, or as a chunked stream without one."""
    environ: dict[str, Any] = {"wsgi.input": body, "CONTENT_TYPE": FORM}
    if length:
        environ["CONTENT_LENGTH"] = str(body.size)
    else:
        environ["wsgi.input_terminated"] = True  # what gunicorn says of a chunked body
    return client.post(path, environ_overrides=environ, headers=headers or {})


@pytest.mark.parametrize("path", ["/voice", "/voice/step?m=mini&n=main&l=en", "/voice/recording"])
def test_an_unsigned_40_mib_webhook_is_refused_without_reading_it(app: Any, path: str) -> None:
    body = Endless(40 * MIB)
    logging.disable(logging.WARNING)
    try:
        response = post_body(app.test_client(), path, body)
    finally:
        logging.disable(logging.NOTSET)
    assert response.status_code in (403, 413)
    assert body.read_bytes == 0


def test_a_signed_looking_oversize_webhook_gets_413_before_a_byte_is_read(app: Any) -> None:
    body = Endless(WEBHOOK_MAX_BYTES + 1)
    response = post_body(app.test_client(), "/voice", body,
                         headers={"X-Twilio-Signature": "c2lnbmVk"})
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert b"Traceback" not in response.data


def test_a_chunked_webhook_without_length_is_read_only_up_to_the_limit(app: Any) -> None:
    body = Endless(40 * MIB)
    response = post_body(app.test_client(), "/voice", body, length=False,
                         headers={"X-Twilio-Signature": "c2lnbmVk"})
    assert response.status_code == 413
    assert WEBHOOK_MAX_BYTES <= body.read_bytes <= WEBHOOK_MAX_BYTES + 64 * 1024


def test_a_webhook_of_twilios_size_is_still_served(phone: Any) -> None:
    heard = phone.dial()  # a signed call: about thirty fields
    assert heard and "English" in heard[0].text


def test_dashboard_forms_are_bounded_too(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    body = Endless(DEFAULT_MAX_BYTES + 1)
    assert post_body(client, "/dashboard/login", body).status_code == 413
    assert body.read_bytes == 0
    log_in(client, "root", "admin-password-1")
    big_menu = "menu: mini\n" + "# a comment line to make the menu text long\n" * 12_000
    assert len(big_menu) > DEFAULT_MAX_BYTES  # the editor takes menus far beyond the default
    response = client.post("/dashboard/admin/menus/mini.yaml/check", json={"text": big_menu},
                           headers={"X-CSRF-Token": csrf_token_of(client)})
    assert response.status_code == 200 and response.get_json()["errors"] >= 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raw(port: int, data: bytes) -> bytes:
    """Send raw bytes to the server; its answer's status line and headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.fixture
def gunicorn(tmp_path: Path) -> Any:
    """A real gunicorn serving the app on a loopback port: (port, process)."""
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)
    assert shutil.which("gunicorn", path=bin_dir)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV": "production",
           "IVR_PUBLIC_URL": f"http://127.0.0.1:{port}", "IVR_LOG_FORMAT": "text",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.sqlite3'}",
           "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
           "IVR_MENUS_DIR": str(ROOT / "tests" / "menus")}
    server = subprocess.Popen(
        ["gunicorn", "app:app", "-c", "python:ivr.ops.gunicorn_conf", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120  # a hang guard
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        yield port, server
    finally:
        if server.returncode is None:
            server.terminate()
            server.communicate(timeout=15)  # waits, and closes the output pipe


def test_gunicorn_refuses_long_request_lines_and_oversize_bodies(gunicorn: Any) -> None:
    port, server = gunicorn
    long_line = b"POST /voice?" + b"x" * 5000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    assert _raw(port, long_line).split(b" ")[1] in (b"400", b"414")
    many = b"".join(b"X-H%d: 1\r\n" % i for i in range(60))
    headers = b"GET / HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n"
    assert _raw(port, headers).split(b" ")[1] in (b"400", b"431")
    oversize = (b"POST /voice HTTP/1.1\r\nHost: a\r\nContent-Type: " + FORM.encode()
                + b"\r\nX-Twilio-Signature: c2lnbmVk\r\nContent-Length: 41943040\r\n\r\n")
    assert _raw(port, oversize).split(b" ")[1] == b"413"
    chunked = (b"POST /voice HTTP/1.1\r\nHost: a\r\nContent-Type: " + FORM.encode()
               + b"\r\nX-Twilio-Signature: c2lnbmVk\r\nTransfer-Encoding: chunked\r\n\r\n"
               + (b"10000\r\n" + b"a" * 0x10000 + b"\r\n") * 2 + b"0\r\n\r\n")
    assert _raw(port, chunked).split(b" ")[1] == b"413"
    assert server.poll() is None  # the worker is alive


@pytest.mark.parametrize("body", [
    b"zz\r\nabc\r\n0\r\n\r\n",  # a chunk size that is not hexadecimal
    b"3\r\nabcdef\r\n0\r\n\r\n",  # a chunk longer than it said, no terminator where due
])
def test_a_malformed_chunked_body_is_refused_without_a_traceback(gunicorn: Any,
                                                                 body: bytes) -> None:
    port, server = gunicorn
    request = (b"POST /voice HTTP/1.1\r\nHost: a\r\nContent-Type: " + FORM.encode()
               + b"\r\nX-Twilio-Signature: c2lnbmVk\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert _raw(port, request).split(b" ")[1] in (b"400", b"403")
    server.terminate()
    output = server.communicate(timeout=15)[0]
    assert "Traceback" not in output and "unhandled error" not in output, output[-2000:]


def test_a_forged_requests_callsid_is_logged_cut_and_escaped(app: Any,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    sent = "CA\n" + "x" * 10_000  # a caller-chosen CallSid: a newline, then ten kilobytes
    with caplog.at_level(logging.WARNING, logger="ivr"):
        response = app.test_client().post("/voice", data={"CallSid": sent},
                                          headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    assert response.status_code == 403
    [line] = [r.getMessage() for r in caplog.records if "forged" in r.getMessage()]
    assert "'CA\\n" in line and "\n" not in line
    assert len(line) < 200 and "9963 more characters" in line


def test_log_lines_are_capped_in_both_formats() -> None:
    from ivr.ops.logs import MAX_MESSAGE, JsonFormatter, TextFormatter

    record = logging.LogRecord("ivr", logging.WARNING, __file__, 1, "%s", ("y" * 50_000,), None)
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert MAX_MESSAGE < len(line) < MAX_MESSAGE + 400
        assert "48000 characters cut" in line
