"""Twilio request signatures: only Twilio (or a holder of the auth token) may drive calls."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def base_url() -> str:
    """The public base URL Twilio uses for this app (no trailing slash)."""
    configured = current_app.config.get("IVR_PUBLIC_URL") or ""
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.host}{request.script_root}"


def requested_url() -> str:
    """The URL exactly as Twilio requested it, which is what it signed."""
    query = request.query_string.decode("latin-1")
    return f"{base_url()}{request.path}" + (f"?{query}" if query else "")


def signature_ok() -> bool:
    """Whether X-Twilio-Signature matches this request."""
    signature = request.headers.get("X-Twilio-Signature", "")
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    if not signature or not token:
        return False
    validator = RequestValidator(token)
    return bool(validator.validate(requested_url(), request.form, signature))


def twilio_only(view: F) -> F:
    """Refuse (403) any request not signed with our auth token."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not signature_ok():
            log.warning("refused unsigned or forged request to %s (CallSid %s)",
                        request.path, request.form.get("CallSid", "?"))
            return Response("Forbidden: invalid Twilio signature\n", 403,
                            mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
