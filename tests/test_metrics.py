"""/metrics: what is counted, who may read it, and totals that add up across gunicorn workers."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from twilio.request_validator import RequestValidator

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown, upgraded

METRICS_TOKEN = "scrape-secret-1"
AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def value(text: str, name: str, **labels: str) -> float:
    """A sample's value in exposition text (0 when the series does not exist yet)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app on the mini menu and SQLite, with a metrics token."""
    url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    upgraded(url)
    application = make_app(url, tmp_path, clock, IVR_METRICS_TOKEN=METRICS_TOKEN)
    yield application
    shutdown(application)


def scrape(app: Any) -> str:
    """The metrics text, read as Prometheus would."""
    response = app.test_client().get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return str(response.get_data(as_text=True))


def test_a_call_counts_its_steps_by_node_its_fallback_and_its_latency(app: Any) -> None:
    before = scrape(app)
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("1")  # English: the main menu
    for _ in range(3):  # three wrong keys use up the main menu's tries
        phone.press("7")
    after = scrape(app)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("ivr_calls_total", menu="mini") == 1
    assert delta("ivr_steps_total", menu="mini", node="welcome") >= 2  # call + language
    assert delta("ivr_steps_total", menu="mini", node="main") >= 3
    assert delta("ivr_fallbacks_total", menu="mini", node="main") == 1
    # One histogram observation per webhook: the call and four key presses.
    assert delta("ivr_webhook_duration_seconds_count", endpoint="voice.incoming") == 1
    assert delta("ivr_webhook_duration_seconds_count", endpoint="voice.step") == 4
    assert delta("ivr_webhook_duration_seconds_sum", endpoint="voice.step") > 0
    assert value(after, "ivr_outbox_backlog") == 0


def test_errors_and_unknown_numbers_are_counted(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before = scrape(app)
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("engine bug")

    monkeypatch.setattr("ivr.engine.core.step", broken)
    logging.disable(logging.ERROR)  # the failures are logged loudly, as they should be
    try:
        phone.press("1")  # an apology, then the restart at the main menu fails again
    finally:
        logging.disable(logging.NOTSET)
    monkeypatch.setattr(app.extensions["ivr"].catalog, "for_number", lambda _number: None)
    logging.disable(logging.ERROR)
    try:
        Phone(FlaskTransport(app), TOKEN, called="+15009990000").dial()
    finally:
        logging.disable(logging.NOTSET)
    after = scrape(app)

    def delta(kind: str) -> float:
        return value(after, "ivr_webhook_errors_total", kind=kind) - value(
            before, "ivr_webhook_errors_total", kind=kind)

    assert delta("error") == 2
    assert delta("no_menu") == 1


def test_voicemails_and_notification_failures_are_counted(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'vm.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_METRICS_TOKEN=METRICS_TOKEN,
                   IVR_NOTIFY_WEBHOOK_URL="http://127.0.0.1:9/nothing-listens-here")
    try:
        before = scrape(app)
        svc = app.extensions["ivr"]
        for _ in range(2):  # Twilio's reports repeat: the voicemail is counted once
            svc.intake.report("RE" + "a" * 32, clock(), call_sid="CA" + "b" * 32,
                              recording_status="completed", duration=9)
        clock.now = clock.now.replace(hour=9)  # past the first delay: the notification is due
        assert svc.sender.send_due() == 0  # nothing listens on port 9
        after = scrape(app)
        assert value(after, "ivr_voicemails_total") - value(before, "ivr_voicemails_total") == 1
        assert value(after, "ivr_notification_failures_total", channel="webhook") - value(
            before, "ivr_notification_failures_total", channel="webhook") == 1
        assert value(after, "ivr_outbox_backlog") == 1  # still pending, to be retried
    finally:
        shutdown(app)


def test_metrics_need_the_bearer_token(app: Any) -> None:
    client = app.test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer tökén"}).status_code == 401
    assert client.get("/metrics", headers=AUTH).status_code == 200


def test_without_a_token_metrics_are_off_in_production_only(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'off.sqlite3'}"
    upgraded(url)
    production = make_app(url, tmp_path, clock, IVR_ENV="production", IVR_LOG_FORMAT="text")
    development = make_app(url, tmp_path, clock, IVR_ENV="development")
    try:
        off = production.test_client().get("/metrics")
        assert off.status_code == 404 and "IVR_METRICS_TOKEN" in off.get_data(as_text=True)
        assert development.test_client().get("/metrics").status_code == 200
    finally:
        from ivr.ops.logs import unconfigure

        unconfigure()
        shutdown(production)
        shutdown(development)


# -- under gunicorn, with the Procfile's web command ----------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _web_command() -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    web = dict(line.split(": ", 1) for line in lines if ": " in line)["web"]
    assert "-c python:ivr.ops.gunicorn_conf" in web
    return web.replace("0.0.0.0", "127.0.0.1")


def _post_call(base: str, index: int) -> str:
    """One signed incoming call on a fresh connection; returns the X-Request-Id answered."""
    params = {"CallSid": f"CA{index:032x}", "AccountSid": "AC" + "2" * 32,
              "From": "+40721234567", "To": "+15005550001", "CallStatus": "ringing",
              "ApiVersion": "2010-04-01", "Direction": "inbound"}
    signature = RequestValidator(TOKEN).compute_signature(f"{base}/voice", params)
    request = urllib.request.Request(f"{base}/voice", data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature,
                                              "X-Request-Id": f"test-{index}"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return str(response.headers["X-Request-Id"])


def _scrape(base: str) -> str:
    request = urllib.request.Request(f"{base}/metrics", headers=AUTH)
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def test_totals_add_up_across_two_gunicorn_workers(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    upgraded(database)
    bin_dir = str(Path(sys.executable).parent)
    assert shutil.which("gunicorn", path=bin_dir), "gunicorn is a dependency"
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "PORT": str(port), "WEB_CONCURRENCY": "2", "IVR_ENV": "production",
           "TWILIO_AUTH_TOKEN": TOKEN, "IVR_PUBLIC_URL": base, "DATABASE_URL": database,
           "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
           "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"),
           "IVR_METRICS_TOKEN": METRICS_TOKEN, "IVR_LOG_FORMAT": "json",
           "IVR_METRICS_DIR": str(tmp_path / f"metrics-{secrets.token_hex(4)}")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(["bash", "-c", f"exec {_web_command()}"], cwd=ROOT, env=env,
                                  stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # a hang guard
        while True:
            try:
                _scrape(base)
                break
            except (OSError, urllib.error.HTTPError):
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.1)
        # Batches of concurrent calls until both workers have answered some (the second
        # worker may still be starting, loading its menus and speech models, when the first
        # answers: on a busy machine that takes seconds, so the bound is time, not calls).
        answered: list[str] = []
        spread_by = time.monotonic() + 90
        with ThreadPoolExecutor(max_workers=8) as pool:
            while len(_access_pids(log_path)) < 2:
                assert time.monotonic() < spread_by, "the calls did not reach both workers"
                batch = range(len(answered), len(answered) + 20)
                answered += pool.map(lambda i: _post_call(base, i), batch)
        calls = len(answered)
        assert answered == [f"test-{i}" for i in range(calls)]  # the request id is echoed
        # Every scrape, whichever worker answers it, sees the total of both workers.
        for _ in range(6):
            text = _scrape(base)
            assert value(text, "ivr_calls_total", menu="mini") == calls
            assert value(text, "ivr_webhook_duration_seconds_count",
                         endpoint="voice.incoming") == calls
            assert value(text, "ivr_steps_total", menu="mini", node="welcome") == calls
    finally:
        server.terminate()
        server.wait(timeout=15)
    access = _access_lines(log_path)
    assert len(access) == calls
    assert {line["request_id"] for line in access} == set(answered)
    assert all(line["call_sid"].startswith("CA") and line["status"] == 200 for line in access)
    assert "+40721234567" not in log_path.read_text()
    # Each worker kept its own counts in the shared folder; the scrapes added them up.
    files = {p.name for p in Path(env["IVR_METRICS_DIR"]).glob("counter_*.db")}
    assert {f"counter_{pid}.db" for pid in _access_pids(log_path)} <= files


def _access_lines(log_path: Path) -> list[dict[str, Any]]:
    """gunicorn's JSON access lines for incoming calls."""
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{")]
    return [line for line in lines if line.get("path") == "/voice"]


def _access_pids(log_path: Path) -> set[int]:
    """The workers that answered incoming calls so far."""
    return {int(line["pid"]) for line in _access_lines(log_path)}


def test_the_deployment_guide_lists_every_metric_and_the_procfile() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    names = {family.name for family in text_string_to_metric_families(
        render_all().decode())}
    assert names, "no metric families"
    for name in names:
        shown = name + ("_total" if f"`{name}_total`" in guide else "")
        assert f"`{shown}`" in guide, f"docs/deploy.md does not list {name}"
    for entry in (ROOT / "Procfile").read_text().splitlines():
        assert entry in guide, f"docs/deploy.md does not show the Procfile line {entry!r}"
    dockerfile = (ROOT / "docs" / "deploy" / "Dockerfile").read_text()
    assert "sed -n 's/^web: //p' Procfile" in dockerfile  # the container runs the web: line


def render_all() -> bytes:
    """Every metric family, the database gauge included."""
    from ivr.ops.metrics import Backlog, render

    return render([Backlog(lambda: 0)])
