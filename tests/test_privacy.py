"""Everything kept about one caller's number: exported, and erased, with one command."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, ROOT, TOKEN, csrf_token_of, log_in

ALICE, BOB = "+33612345678", "+40721234567"


def leave_voicemail(app: Any, caller: str) -> dict[str, str]:
    """A call from ``caller`` that leaves a voicemail, through the real webhooks."""
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550002", caller=caller)
    phone.dial()
    phone.press("1")
    _, details = phone.record(31)
    assert phone.recording_status(details) == 204
    app.extensions["ivr"].recorder.flush()
    return {**details, "CallSid": phone.call_sid}


def privacy(db_url: str, tmp_path: Path, *args: str) -> Any:
    """Run `ivr privacy ...` against the test database."""
    from ivr.cli import cli

    env = {"IVR_ENV": "test", "DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": TOKEN,
           "IVR_INSTANCE_DIR": str(tmp_path / "cli-instance"), "IVR_SPOOL_DIR": str(tmp_path / "spool"),
           "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"), "IVR_WORKER_IN_APP": "false"}
    return CliRunner().invoke(cli, ["privacy", *args], env=env, catch_exceptions=False)


def test_one_callers_data_is_exported_then_erased_and_no_one_elses(
        app: Any, db_url: str, tmp_path: Path) -> None:
    svc = app.extensions["ivr"]
    mine, theirs = leave_voicemail(app, ALICE), leave_voicemail(app, BOB)
    svc.voicemails.store_media(svc.voicemails.by_recording(mine["RecordingSid"])["id"],
                               b"ID3-audio", "audio/mpeg", svc.clock())

    exported = privacy(db_url, tmp_path, "export", "+33 6 12 34 56 78")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["number"] == ALICE
    assert [v["recording_sid"] for v in data["voicemails"]] == [mine["RecordingSid"]]
    assert data["voicemails"][0]["audio_base64"]
    assert [c["call_sid"] for c in data["calls"]] == [mine["CallSid"]]
    assert data["journey_steps"] and {s["call_sid"] for s in data["journey_steps"]} == \
        {mine["CallSid"]}
    assert BOB not in exported.output and theirs["CallSid"] not in exported.output

    refused = privacy(db_url, tmp_path, "erase", ALICE)
    assert refused.exit_code != 0 and svc.voicemails.by_recording(mine["RecordingSid"])
    erased = privacy(db_url, tmp_path, "erase", ALICE, "--yes")
    assert erased.exit_code == 0, erased.output
    assert svc.voicemails.by_recording(mine["RecordingSid"]) is None
    assert svc.store.journey(mine["CallSid"]) == []
    again = json.loads(privacy(db_url, tmp_path, "export", ALICE).output)
    assert all(not rows for key, rows in again.items() if key != "number"), again
    # Bob's call and voicemail are untouched.
    assert svc.voicemails.by_recording(theirs["RecordingSid"]) is not None
    assert svc.store.journey(theirs["CallSid"])


def test_an_admin_exports_and_erases_from_the_dashboard_and_is_logged(
        dashboard_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    svc = dashboard_app.extensions["ivr"]
    mine, theirs = leave_voicemail(dashboard_app, ALICE), leave_voicemail(dashboard_app, BOB)
    agent = dashboard_app.test_client()
    log_in(agent, "alice", AGENT_PASSWORD)
    assert agent.post("/dashboard/admin/privacy/export", data={
        "number": ALICE, "csrf_token": csrf_token_of(agent)}).status_code == 403
    assert agent.post("/dashboard/admin/privacy/erase", data={
        "number": ALICE, "confirm": "ERASE", "csrf_token": csrf_token_of(agent)}).status_code == 403

    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    assert admin.get("/dashboard/admin/privacy/").status_code == 200
    assert admin.post("/dashboard/admin/privacy/export",
                      data={"number": ALICE}).status_code == 400  # no CSRF token
    exported = admin.post("/dashboard/admin/privacy/export", data={
        "number": "+33 6 12 34 56 78", "csrf_token": csrf_token_of(admin)})
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    data = exported.get_json()
    assert [v["recording_sid"] for v in data["voicemails"]] == [mine["RecordingSid"]]
    assert BOB not in exported.get_data(as_text=True)

    unconfirmed = admin.post("/dashboard/admin/privacy/erase", data={
        "number": ALICE, "csrf_token": csrf_token_of(admin)})
    assert unconfirmed.status_code == 400
    assert svc.voicemails.by_recording(mine["RecordingSid"]) is not None
    with caplog.at_level(logging.WARNING):
        erased = admin.post("/dashboard/admin/privacy/erase", data={
            "number": ALICE, "confirm": "ERASE", "csrf_token": csrf_token_of(admin)})
    assert erased.status_code == 200 and "Erased: 1 voicemails" in erased.get_data(as_text=True)
    assert svc.voicemails.by_recording(mine["RecordingSid"]) is None
    assert svc.store.journey(mine["CallSid"]) == []
    assert svc.voicemails.by_recording(theirs["RecordingSid"]) is not None
    logged = [r.getMessage() for r in caplog.records if "privacy:" in r.getMessage()]
    assert logged and "root erased" in logged[-1] and ALICE not in logged[-1]
