"""The voicemail spool after an outage: concurrent callbacks, repeats and refused reports.

The database comes back with reports waiting on disk; Twilio's callbacks arrive from
many threads at once while the spool replays. Every voicemail Twilio reported ends up
in the database exactly once; a report the database will never take is set aside
(quarantined) where /healthz and the admins see it, and never blocks the others.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from tests.conftest import ADMIN_PASSWORD, TOKEN, empty_dashboard_tables, log_in, make_app, shutdown

ACCOUNT = "AC" + "a" * 32
QUERY = {"m": "vm", "n": "message", "l": "en"}


def sid(n: int, prefix: str = "RE") -> str:
    """A well-formed Twilio SID."""
    return f"{prefix}{n:032x}"


def callback(number: int, status: str = "completed", duration: str = "20") -> dict[str, str]:
    """The recordingStatusCallback parameters Twilio sends for recording ``number``."""
    recording = sid(number)
    return {"AccountSid": ACCOUNT, "CallSid": sid(number, "CA"), "RecordingSid": recording,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/"
                            f"{recording}",
            "RecordingStatus": status, "RecordingDuration": duration, "RecordingChannels": "1",
            "RecordingSource": "RecordVerb", "RecordingStartTime": "Mon, 23 Nov 2026 08:00:00 +0000",
            "ErrorCode": "0"}


def post_signed(client: Any, params: dict[str, str]) -> int:
    """POST a recording status callback signed as Twilio signs it; its HTTP status."""
    url = "http://localhost/voice/recording?" + urlencode(QUERY)
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    response = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    return int(response.status_code)


@pytest.fixture
def spool_app(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    """An app with its own spool folder, an admin, and a way to take its database away."""
    empty_dashboard_tables(db_url)
    app = make_app(db_url, tmp_path, clock, IVR_SPOOL_DIR=str(tmp_path / "spool"))
    app.extensions["dashboard"].users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield app
    logging.disable(logging.NOTSET)
    shutdown(app)


class Outage:
    """The voicemail store loses its database (and gets it back)."""

    def __init__(self, app: Any) -> None:
        self.store = app.extensions["ivr"].voicemails
        self.working = self.store.engine

    def __enter__(self) -> None:
        logging.disable(logging.CRITICAL)  # the expected failures are logged loudly
        self.store.engine = sa.create_engine("sqlite:////nonexistent-dir/db.sqlite3")

    def __exit__(self, *exc: object) -> None:
        self.store.engine.dispose()
        self.store.engine = self.working
        logging.disable(logging.NOTSET)


def rows_per_recording(app: Any) -> dict[str, int]:
    """How many rows each RecordingSid has."""
    table = sa.Table("voicemails", sa.MetaData(), autoload_with=app.extensions["ivr"].store.engine)
    with app.extensions["ivr"].store.engine.connect() as conn:
        found = conn.execute(sa.select(table.c.recording_sid, sa.func.count())
                             .group_by(table.c.recording_sid)).all()
    return {str(r[0]): int(r[1]) for r in found}


def test_concurrent_callbacks_while_the_spool_replays_lose_nothing_and_double_nothing(
        spool_app: Any) -> None:
    svc = spool_app.extensions["ivr"]
    client = spool_app.test_client()
    with Outage(spool_app):  # 24 reports wait on disk; 4 of them Twilio will send again
        for n in range(100, 124):
            assert post_signed(client, callback(n, "in-progress" if n < 104 else "completed")) == 204
    assert len(svc.intake.pending()) == 24 and svc.voicemails.count() == 0

    live = [*range(16)]  # 16 callbacks at once: 12 new recordings, 4 repeats of spooled ones
    numbers = [n if n < 12 else 100 + n - 12 for n in live]
    barrier = threading.Barrier(len(numbers))
    statuses: dict[int, int] = {}

    def send(number: int) -> None:
        own = spool_app.test_client()
        barrier.wait()
        statuses[number] = post_signed(own, callback(number))

    threads = [threading.Thread(target=send, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == {n: 204 for n in numbers}  # no apology TwiML, nothing for Twilio to drop
    svc.intake.replay()  # the worker's run: whatever the webhooks left
    assert svc.intake.pending() == [] and svc.intake.quarantined() == []
    expected = {sid(n) for n in range(12)} | {sid(n) for n in range(100, 124)}
    assert rows_per_recording(spool_app) == {s: 1 for s in expected}
    for n in range(100, 104):  # the repeat's "completed" wins whatever the order
        assert svc.voicemails.by_recording(sid(n))["recording_status"] == "completed"
    assert svc.voicemails.by_recording(sid(5))["duration"] == 20


def test_an_absurd_duration_is_dropped_and_the_voicemail_kept(spool_app: Any) -> None:
    svc = spool_app.extensions["ivr"]
    client = spool_app.test_client()
    with Outage(spool_app):
        assert post_signed(client, callback(1, duration="99999999999")) == 204
        assert post_signed(client, callback(2)) == 204
    assert post_signed(client, callback(3, duration="-5")) == 204
    assert svc.intake.pending() == [] and svc.intake.quarantined() == []
    assert rows_per_recording(spool_app) == {sid(1): 1, sid(2): 1, sid(3): 1}
    assert svc.voicemails.by_recording(sid(1))["duration"] is None
    assert svc.voicemails.by_recording(sid(2))["duration"] == 20
    assert svc.voicemails.by_recording(sid(3))["duration"] is None


def test_a_report_the_database_refuses_is_set_aside_and_the_later_ones_land(
        spool_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = spool_app.extensions["ivr"]
    client = spool_app.test_client()
    with Outage(spool_app):
        for n in (1, 2, 3):  # 1 is the one the database will refuse
            assert post_signed(client, callback(n)) == 204
    (svc.intake.spool_dir / "00000000T000000000000-torn.json").write_text('{"recording_sid": "RE')
    real = svc.voicemails.report

    def refusing(recording_sid: str, now: Any, **fields: Any) -> int:
        if recording_sid == sid(1):  # what no validation foresaw: the database says no
            raise sa.exc.DataError("INSERT", {}, ValueError("value out of range"))
        return int(real(recording_sid, now, **fields))

    monkeypatch.setattr(svc.voicemails, "report", refusing)
    logging.disable(logging.CRITICAL)
    assert post_signed(client, callback(4)) == 204  # the database is back: a live callback
    for _ in range(3):
        svc.intake.replay()
    logging.disable(logging.NOTSET)
    assert set(rows_per_recording(spool_app)) == {sid(2), sid(3), sid(4)}
    assert svc.intake.pending() == []
    set_aside = svc.intake.quarantined()
    assert sorted(item["recording_sid"] for item in set_aside) == ["", sid(1)]
    refused = next(item for item in set_aside if item["recording_sid"] == sid(1))
    assert "DataError" in refused["reason"] and refused["fields"]["duration"] == 20
    assert next(item for item in set_aside if not item["recording_sid"])["reason"].startswith(
        "unreadable")

    health = client.get("/healthz").get_json()
    assert health["voicemail_spool"] == 0 and health["voicemail_quarantine"] == 2
    assert any("set aside" in w for w in health["warnings"])
    from ivr.ops.doctor import check_backlog

    assert [f.detail for f in check_backlog(spool_app) if f.status == "warn"] == [
        "2 voicemail report(s) the database refused are set aside"]
    log_in(client, "root", ADMIN_PASSWORD)
    inbox = client.get("/dashboard/inbox").get_data(as_text=True)
    assert 'data-set-aside-count="2"' in inbox  # the admins see it where they start
    page = client.get("/dashboard/admin/deliveries").get_data(as_text=True)
    assert "2 voicemail reports set aside" in page and sid(1) in page and "DataError" in page

    monkeypatch.undo()  # the cause is fixed: the report set aside gets another try
    from click.testing import CliRunner

    from ivr.voicemail.cli import requeue_command

    monkeypatch.setattr("ivr.create_app", lambda *args, **kwargs: spool_app)
    result = CliRunner().invoke(requeue_command, [])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 report(s) put back in the spool; 1 written; 1 set aside"
    assert svc.voicemails.by_recording(sid(1))["duration"] == 20


def test_a_report_with_a_malformed_recording_sid_is_set_aside_not_stored(spool_app: Any) -> None:
    svc = spool_app.extensions["ivr"]
    client = spool_app.test_client()
    logging.disable(logging.CRITICAL)
    assert post_signed(client, {**callback(1), "RecordingSid": "RE../../etc"}) == 204
    logging.disable(logging.NOTSET)
    assert svc.voicemails.count() == 0
    [item] = svc.intake.quarantined()
    assert item["recording_sid"] == "RE../../etc" and "RecordingSid" in item["reason"]
    assert json.loads(next(svc.intake.quarantine_dir.glob("*.json")).read_text())["refusals"] == 0


def test_a_passing_failure_keeps_the_report_in_the_spool_however_often(
        spool_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = spool_app.extensions["ivr"]
    client = spool_app.test_client()
    with Outage(spool_app):
        assert post_signed(client, callback(1)) == 204
    real = svc.voicemails.report

    def locked(recording_sid: str, now: Any, **fields: Any) -> int:
        if recording_sid == sid(1):  # the database is up, but busy: nothing wrong with the report
            raise sa.exc.OperationalError("INSERT", {}, RuntimeError("database is locked"))
        return int(real(recording_sid, now, **fields))

    monkeypatch.setattr(svc.voicemails, "report", locked)
    logging.disable(logging.CRITICAL)
    for _ in range(5):
        assert svc.intake.replay() == 0
    logging.disable(logging.NOTSET)
    assert len(svc.intake.pending()) == 1 and svc.intake.quarantined() == []
    monkeypatch.undo()
    assert svc.intake.replay() == 1
    assert rows_per_recording(spool_app) == {sid(1): 1}
