"""Voicemails Twilio kept while this side could keep nothing: read back from its REST API.

With the database down and the spool disk full, a recording status callback is
answered 503 and the <Record> action still thanks the caller: the recording stays in
the Twilio account. `ivr voicemail reconcile` lists the account's recordings made by
<Record> since a moment, and reports each one the database lacks to the Intake, with
the caller's and the line's numbers read from its call. It is idempotent: run it as
often as you like; a recording already known is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ivr.voicemail.intake import Intake

log = logging.getLogger(__name__)
API = "https://api.twilio.com/2010-04-01/Accounts"


def reconcile(intake: Intake, client: Any, account_sid: str, since: datetime,
              now: Callable[[], datetime], limit: int = 1000) -> int:
    """Add the <Record> recordings created since ``since`` that the database lacks; how many."""
    added = 0
    for found in client.recordings.list(date_created_after=since, limit=limit):
        if str(getattr(found, "source", "") or "") not in ("RecordVerb", ""):
            continue  # a call or conference recording, not a voicemail
        if intake.store.by_recording(found.sid) is not None:
            continue
        call_from = call_to = None
        if found.call_sid:
            try:
                call = client.calls(found.call_sid).fetch()
                call_from, call_to = call._from, call.to  # twilio-python names "from" _from
            except Exception as exc:  # noqa: BLE001 - the voicemail counts more than its numbers
                log.warning("recording %s: its call %s not read (%s)", found.sid,
                            found.call_sid, type(exc).__name__)
        status = str(found.status or "completed")
        intake.report(found.sid, now(), call_sid=found.call_sid, account_sid=account_sid,
                      from_number=call_from, to_number=call_to,
                      recording_url=f"{API}/{account_sid}/Recordings/{found.sid}",
                      duration=int(found.duration) if str(found.duration or "").isdigit() else None,
                      recording_status=status if status in ("completed", "absent", "failed")
                      else "completed")
        added += 1
    return added
