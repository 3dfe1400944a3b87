"""Spool files hold callers' numbers and transcripts: readable by the service's user alone."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN
from tests.test_voicemail_spool import Outage, callback, post_signed
from tests.test_voicemail_unkept import spool_app  # noqa: F401 - the fixture


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_spooled_reports_and_journeys_are_0600_in_0700_folders(spool_app: Any,  # noqa: F811
                                                               tmp_path: Path) -> None:
    svc = spool_app.extensions["ivr"]
    phone = Phone(FlaskTransport(spool_app), TOKEN, called="+15005550002")
    phone.dial()  # its journey is journaled on disk as it is recorded
    with Outage(spool_app):
        assert post_signed(spool_app.test_client(), callback(7)) == 204
    reports = svc.intake.pending()
    journals = list(svc.recorder.spool_dir.iterdir())
    assert reports and journals
    for path in [*reports, *journals]:
        assert mode(path) == 0o600, (path, oct(mode(path)))
        assert mode(path.parent) == 0o700, (path.parent, oct(mode(path.parent)))
