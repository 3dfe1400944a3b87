"""Voicemail: one complete message per recording, whatever Twilio sends and in which order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN


def leave_message(app: Any, lang: str = "en", duration: int = 12,
                  sid: str | None = None) -> tuple[Phone, dict[str, str]]:
    """Dial the voicemail test menu and record a message; returns the phone and details."""
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550002")
    phone.dial()
    if lang == "fr":
        phone.press("2")
        phone.press("1")
    phone.press("1")
    assert phone.recording is not None
    return phone, {"sid": sid or ""}


def test_the_record_verb_as_twilio_needs_it(app: Any) -> None:
    phone, _ = leave_message(app)
    record = phone.recording
    assert record is not None
    assert record.get("maxLength") == "90" and record.get("timeout") == "4"
    assert record.get("finishOnKey") == "#" and record.get("playBeep") == "true"
    assert record.get("transcribe") == "true"  # English, and at most 120 s
    assert (record.get("transcribeCallback") or "").startswith("http://localhost/voice/transcription?")
    assert (record.get("recordingStatusCallback") or "").startswith(
        "http://localhost/voice/recording?")
    assert "completed" in (record.get("recordingStatusCallbackEvent") or "")
    assert "beep" in phone.heard[-1].text


def test_french_voicemail_is_not_sent_to_english_only_transcription(app: Any) -> None:
    phone, _ = leave_message(app, "fr")
    record = phone.recording
    assert record is not None and record.get("transcribe") is None
    assert record.get("transcribeCallback") is None
    _, details = phone.record(20)
    assert phone.recording_status(details) == 204
    voicemail = app.extensions["ivr"].voicemails.by_recording(details["RecordingSid"])
    assert voicemail["transcript_status"] == "not_transcribed" and voicemail["lang"] == "fr"


@pytest.mark.parametrize("order", [
    ("action", "status", "transcript"),
    ("status", "action", "transcript"),
    ("transcript", "status", "action"),
    ("status", "transcript", "action", "status", "action", "transcript"),  # retries
])
def test_any_order_and_repeats_give_one_complete_voicemail(app: Any, order: tuple[str, ...]
                                                           ) -> None:
    phone, _ = leave_message(app)
    record = phone.recording
    assert record is not None
    sid = "RE" + "ab" * 16
    details = {"RecordingSid": sid, "RecordingDuration": "17",
               "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{phone.account_sid}"
                               f"/Recordings/{sid}",
               "status_url": record.get("recordingStatusCallback") or "",
               "transcribe_url": record.get("transcribeCallback") or ""}
    heard = []
    for step in order:
        if step == "action":
            # Re-arm the phone's Record (a retried action is the same request again).
            phone.recording = record
            phone.ended = False
            heard, _ = phone.record(17, "#", recording_sid=sid)
        elif step == "status":
            assert phone.recording_status(details) == 204
        else:
            assert phone.transcription(details, "Hello, my parcel never arrived.") == 204
    svc = app.extensions["ivr"]
    assert svc.voicemails.count() == 1
    voicemail = svc.voicemails.by_recording(sid)
    assert voicemail["from_number"] == "+15551230000" and voicemail["to_number"] == "+15005550002"
    assert voicemail["call_sid"] == phone.call_sid and voicemail["menu"] == "vm"
    assert voicemail["lang"] == "en" and voicemail["duration"] == 17
    assert voicemail["recording_status"] == "completed"
    assert voicemail["transcript"] == "Hello, my parcel never arrived."
    assert voicemail["transcript_status"] == "completed"
    assert voicemail["status"] == "new"
    path = [(s["node"], s["event"]) for s in voicemail["journey"]]
    assert ("main", "choice") in path and ("message", "voicemail") in path
    # Every Record action (first or retried) thanked the caller and ended the call.
    assert any("Thank you" in h.text for h in heard) and phone.ended


def test_a_failed_recording_is_kept_as_failed_and_not_upgraded(app: Any) -> None:
    phone, _ = leave_message(app)
    _, details = phone.record(0, "hangup")
    assert phone.recording_status(details, "failed") == 204
    assert phone.recording_status(details, "in-progress") == 204  # late and stale
    voicemail = app.extensions["ivr"].voicemails.by_recording(details["RecordingSid"])
    assert voicemail["recording_status"] == "failed"
    assert app.extensions["ivr"].voicemails.count() == 1


def test_database_outage_spools_the_voicemail_and_replays_it_once(app: Any) -> None:
    import logging

    import sqlalchemy as sa

    svc = app.extensions["ivr"]
    working = svc.store.engine
    phone, _ = leave_message(app)
    broken = sa.create_engine("sqlite:////nonexistent-dir/db.sqlite3")
    svc.voicemails.engine = broken
    logging.disable(logging.ERROR)
    try:
        heard, details = phone.record(25)
        assert any("Thank you" in h.text for h in heard) and phone.ended  # the caller is fine
        assert phone.recording_status(details) == 204  # also spooled
    finally:
        logging.disable(logging.NOTSET)
    spooled = svc.intake.pending()
    assert len(spooled) == 2
    data = json.loads(Path(spooled[0]).read_text())
    assert data["recording_sid"] == details["RecordingSid"]
    svc.voicemails.engine = working  # the database is back
    assert svc.intake.replay() == 2
    assert svc.intake.pending() == []
    assert svc.voicemails.count() == 1
    voicemail = svc.voicemails.by_recording(details["RecordingSid"])
    assert voicemail["duration"] == 25 and voicemail["recording_status"] == "completed"
    assert voicemail["from_number"] == "+15551230000"


def test_unsigned_recording_callbacks_are_refused(app: Any) -> None:
    client = app.test_client()
    assert client.post("/voice/recording", data={"RecordingSid": "RE1"}).status_code == 403
    assert client.post("/voice/transcription", data={"RecordingSid": "RE1"}).status_code == 403
    assert app.extensions["ivr"].voicemails.count() == 0


def test_menus_with_a_voicemail_fallback_pass_the_check() -> None:
    from ivr.menu.lint import lint
    from ivr.menu.loader import load_menu
    from tests.conftest import ROOT

    menu = load_menu(ROOT / "tests" / "menus" / "vm.yaml")
    assert [p for p in lint(menu, None) if p.severity == "error"] == []
