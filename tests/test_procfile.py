"""The Procfile's release and web lines, run as a platform would, give a working service."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from twilio.request_validator import RequestValidator

from tests.conftest import ROOT

TOKEN = "f" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_release_then_web_serves_signed_calls(tmp_path: Path) -> None:
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PORT": str(port),
        "TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_ENV": "production",
        "IVR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "WEB_CONCURRENCY": "2",
    }
    assert shutil.which("gunicorn", path=env["PATH"]), "gunicorn is a dependency"
    procfile = _procfile()
    release = subprocess.run(["bash", "-c", procfile["release"]], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert release.returncode == 0, release.stdout + release.stderr
    assert "database is up to date" in release.stdout
    web_cmd = procfile["web"].replace("0.0.0.0", "127.0.0.1")
    server = subprocess.Popen(["bash", "-c", f"exec {web_cmd}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # a hang guard
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    health = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        assert '"status":"ok"' in health.replace(" ", "")
        params = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "2" * 32,
                  "From": "+15551230000", "To": "+15005550006", "CallStatus": "ringing",
                  "ApiVersion": "2010-04-01", "Direction": "inbound"}
        signature = RequestValidator(TOKEN).compute_signature(f"{base}/voice", params)
        request = urllib.request.Request(
            f"{base}/voice", data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
            assert response.headers["Content-Type"].startswith("text/xml")
        assert re.search(r"<Gather [^>]*action=\"http://127\.0\.0\.1:\d+/voice/step\?", body)
        # The terminal simulator against the running server, signed with its token.
        call = subprocess.run(["ivr", "call", "shop", "--url", base, "--steps", "1; 4; hangup"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert call.returncode == 0, call.stdout + call.stderr
        assert "PLAY " + base + "/prompts/shop/en/shop_hours.wav" in call.stdout
    finally:
        server.terminate()
        server.wait(timeout=15)
        if server.stdout:
            server.stdout.close()


