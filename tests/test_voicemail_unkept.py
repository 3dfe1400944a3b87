"""The database down AND the spool disk full: no voicemail may be lost.

Nothing can be kept here, so Twilio must keep it: the recording status callback is
answered 503 (Twilio retries a failed callback, and the recording stays in the
account), /healthz says the instance is not healthy, and once the database is back
`ivr voicemail reconcile` reads the account's recordings from Twilio's REST API and
adds every one the database lacks.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from tests.conftest import ADMIN_PASSWORD, ROOT, TOKEN, empty_dashboard_tables, make_app, shutdown
from tests.test_voicemail_spool import ACCOUNT, Outage, callback, post_signed, sid

RECORDINGS_API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings.json"
CALL_API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls/" + "{}.json"


@pytest.fixture
def spool_app(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    """An app with its own spool folder and an account SID (for Twilio's REST API)."""
    empty_dashboard_tables(db_url)
    app = make_app(db_url, tmp_path, clock, IVR_SPOOL_DIR=str(tmp_path / "spool"),
                   TWILIO_ACCOUNT_SID=ACCOUNT)
    app.extensions["dashboard"].users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield app
    shutdown(app)


def disk_full(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def recording(number: int) -> dict[str, Any]:
    """One recording as Twilio's REST API lists it."""
    return {"sid": sid(number), "account_sid": ACCOUNT, "call_sid": sid(number, "CA"),
            "duration": "20", "status": "completed", "source": "RecordVerb", "channels": 1,
            "date_created": "Mon, 23 Nov 2026 08:00:20 +0000",
            "start_time": "Mon, 23 Nov 2026 08:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid(number)}.json"}


def mock_twilio(rsps: responses.RequestsMock, numbers: list[int]) -> None:
    """Twilio's REST API: the account's recordings, and each one's call."""
    rsps.add(responses.GET, RECORDINGS_API, json={
        "recordings": [recording(n) for n in numbers], "page": 0, "page_size": 50,
        "start": 0, "end": len(numbers) - 1, "first_page_uri": "/x", "next_page_uri": None,
        "previous_page_uri": None, "uri": "/x"})
    for n in numbers:
        rsps.add(responses.GET, CALL_API.format(sid(n, "CA")), json={
            "sid": sid(n, "CA"), "account_sid": ACCOUNT, "from": f"+3361234560{n % 10}",
            "to": "+15005550006", "status": "completed", "direction": "inbound"})


def test_database_down_and_disk_full_loses_no_voicemail(
        spool_app: Any, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = spool_app.extensions["ivr"]
    client = spool_app.test_client()
    with Outage(spool_app), monkeypatch.context() as patch:
        patch.setattr("ivr.voicemail.intake._write_json", disk_full)
        statuses = [post_signed(client, callback(n)) for n in range(1, 6)]
        health = client.get("/healthz")
    # Not a 2xx: Twilio tries again, and keeps the recording meanwhile.
    assert statuses == [503] * 5
    assert health.status_code == 503
    assert any("voicemail" in problem and "spool" in problem
               for problem in health.get_json()["problems"]), health.get_json()
    assert svc.voicemails.count() == 0 and svc.intake.pending() == []
    assert client.get("/healthz").status_code == 200  # both back: healthy again

    # Back: the recordings Twilio kept are read from its REST API, once.
    from ivr.cli import cli

    env = {"IVR_ENV": "test", "DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_ACCOUNT_SID": ACCOUNT, "IVR_INSTANCE_DIR": str(tmp_path / "cli-instance"),
           "IVR_SPOOL_DIR": str(tmp_path / "spool"), "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"),
           "IVR_WORKER_IN_APP": "false"}
    with responses.RequestsMock() as rsps:
        mock_twilio(rsps, [1, 2, 3, 4, 5])
        done = CliRunner().invoke(cli, ["voicemail", "reconcile", "--hours", "48"],
                                  env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "5 voicemail(s) added" in done.output
    assert svc.voicemails.count() == 5
    kept = svc.voicemails.by_recording(sid(3))
    assert kept["call_sid"] == sid(3, "CA") and kept["from_number"] == "+33612345603"
    assert kept["duration"] == 20 and kept["recording_status"] == "completed"
    assert kept["recording_url"] == (f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/"
                                     f"Recordings/{sid(3)}")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_twilio(rsps, [1, 2, 3, 4, 5])
        again = CliRunner().invoke(cli, ["voicemail", "reconcile"], env=env,
                                   catch_exceptions=False)
    assert "0 voicemail(s) added" in again.output and svc.voicemails.count() == 5
