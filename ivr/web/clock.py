"""A simulated call's clock: the moment an admin chose to try the menu at, never a real call's.

A simulated call (``ivr call --at``, the dashboard's simulator) may carry the time it
pretends to happen at in the ``IvrClock`` form field of its signed webhook requests,
so that opening hours can be tried at any time of day. Only the engine's decisions use
it; journeys and voicemails keep the real time. Twilio never sends that field, and it is
honoured only for:

- requests posted in-process by ``ivr.simulator.FlaskTransport`` (the WSGI environ
  key ``ivr.simulator``, which no HTTP client can set), in any environment;
- signed requests over HTTP when IVR_ENV is development or test (``ivr call --url``
  against a local server). In production, a request from outside is never re-timed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request

FIELD = "IvrClock"  # ISO 8601 with its offset: 2026-12-01T10:00:00+01:00
SIMULATOR_ENVIRON = "ivr.simulator"  # set on requests the in-process simulator posts
MAX_LENGTH = 40


def parse_clock(value: str) -> datetime | None:
    """An ISO 8601 moment with its offset, in UTC; None when malformed or without an offset."""
    if not value or len(value) > MAX_LENGTH:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)


def requested_clock() -> datetime | None:
    """The moment the current webhook request asks to be answered at, if it may ask."""
    if not has_request_context() or request.method != "POST" \
            or not request.path.startswith("/voice"):
        return None
    raw = request.form.get(FIELD)
    if not raw:
        return None
    in_process = bool(request.environ.get(SIMULATOR_ENVIRON))
    from flask import current_app

    if not in_process and current_app.config.get("IVR_ENV") == "production":
        return None
    return parse_clock(raw)
