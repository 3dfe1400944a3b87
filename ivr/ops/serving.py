"""Per-request hooks: a request id (X-Request-Id), the CallSid for the logs, webhook timing."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time
from typing import Any

from flask import Flask, Response, g, request

from ivr.ops import metrics

HEADER = "X-Request-Id"
# A proxy's id is kept when it is short and plain; anything else is replaced, so a
# caller of the public URL cannot inject text into the logs.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
WEBHOOK_PREFIX = "/voice"


# A new id is this process's random prefix and a counter: unique, and unlike uuid4 no
# system call (and so no thread switch) per request.
_PREFIX = ""
_COUNTER = itertools.count(1)


def _new_prefix() -> None:
    global _PREFIX
    _PREFIX = f"{secrets.token_hex(6)}-"


_new_prefix()
os.register_at_fork(after_in_child=_new_prefix)  # gunicorn's workers: each its own prefix


def request_id(environ: dict[str, Any]) -> str:
    """The request's X-Request-Id when it is acceptable, else a new random one."""
    incoming = str(environ.get("HTTP_X_REQUEST_ID", ""))
    if _ACCEPTABLE_ID.fullmatch(incoming):
        return incoming
    return f"{_PREFIX}{next(_COUNTER):x}"


def _before() -> None:
    """Name the request, note its CallSid, start the clock."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # one lookup, not ten
    environ = req.environ
    ids = g._get_current_object()
    ids.request_id = rid = request_id(environ)
    ids.started = time.perf_counter()
    call_sid = ""
    # Only a request that claims to be Twilio's is parsed here: an unsigned one is refused
    # (403) by the view without its body ever being read.
    if req.path.startswith(WEBHOOK_PREFIX) and "HTTP_X_TWILIO_SIGNATURE" in environ and \
            environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() == \
            "application/x-www-form-urlencoded":
        sid = req.form.get("CallSid", "")
        call_sid = sid if _CALL_SID.fullmatch(sid) else ""
    ids.call_sid = call_sid
    # gunicorn's access log line sees the WSGI environ, not Flask's g.
    environ["ivr.request_id"] = rid
    environ["ivr.call_sid"] = call_sid


def _after(response: Response) -> Response:
    """Echo the request id; time the Twilio webhooks."""
    ids = g._get_current_object()
    response.headers[HEADER] = ids.get("request_id", "")
    started = ids.get("started")
    if started is not None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if req.path.startswith(WEBHOOK_PREFIX) and req.endpoint:
            metrics.observe_webhook(req.endpoint, time.perf_counter() - started)
    return response


def install(app: Flask) -> None:
    """Register the hooks on the app."""
    app.before_request(_before)
    app.after_request(_after)
