"""Twilio request signatures: only Twilio (or a holder of the auth token) may drive calls."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlparse

from flask import Response, current_app, request
from twilio.request_validator import add_port, remove_port

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def loggable(value: str, limit: int = 40) -> str:
    """A caller-supplied value fit for a log line: quoted, escaped, at most ``limit`` characters."""
    cut = len(value) - limit
    return repr(value[:limit]) + (f"... ({cut} more characters)" if cut > 0 else "")


def base_url() -> str:
    """The public base URL Twilio uses for this app (no trailing slash).

    Worked out once per request: the signature check and every callback URL of
    the answer need it.
    """
    environ = request.environ
    url: str | None = environ.get("ivr.base_url")
    if url is None:
        configured = current_app.config.get("IVR_PUBLIC_URL") or ""
        url = (configured.rstrip("/") if configured
               else f"{request.scheme}://{request.host}{request.script_root}")
        environ["ivr.base_url"] = url
    return url


def requested_url() -> str:
    """The URL exactly as Twilio requested it, which is what it signed."""
    query = request.query_string.decode("latin-1")
    return f"{base_url()}{request.path}" + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=8)
def _keyed_mac(token: str) -> Any:
    """An HMAC-SHA1 already keyed with the auth token; each request works on a copy."""
    return hmac.new(token.encode("utf-8"), digestmod=hashlib.sha1)


def signed_params(params: Iterable[tuple[str, list[str]]]) -> str:
    """The POST part of what Twilio signs: each name, then each of its distinct values, sorted."""
    parts = []
    for name, values in sorted(params):
        if len(values) == 1:
            parts.append(name + values[0])
        else:
            parts.extend(name + value for value in sorted(set(values)))
    return "".join(parts)


def signed_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """``signed_params`` from a form's (name, value) pairs as parsed: sorting the distinct
    pairs orders them by name, then value, which is what Twilio signs."""
    return "".join(name + value for name, value in sorted(set(pairs)))


def compute_signature(token: str, url: str, signed: str) -> str:
    """base64(HMAC-SHA1(token, url + signed params)), as twilio-python's RequestValidator."""
    mac = _keyed_mac(token).copy()
    mac.update((url + signed).encode("utf-8"))
    return base64.b64encode(mac.digest()).decode("ascii")


def signature_matches(token: str, url: str, params: Iterable[tuple[str, list[str]]],
                      signature: str) -> bool:
    """RequestValidator.validate(url, params, signature) for a form, at a lower cost.

    The same algorithm and the same two URL forms (without, then with, the default
    port), compared in constant time; the params string is built once, and the
    second URL form is tried only when the first does not match.
    """
    return signed_matches(token, url, signed_params(params), signature)


def signed_matches(token: str, url: str, signed: str, signature: str) -> bool:
    """``signature_matches`` with the params' part already built (``signed_params``)."""
    given = signature.encode("utf-8", "replace")
    parsed = urlparse(url)
    for candidate in (remove_port, add_port):
        expected = compute_signature(token, candidate(parsed), signed)
        if hmac.compare_digest(expected.encode("ascii"), given):
            return True
    return False


def signature_ok() -> bool:
    """Whether X-Twilio-Signature matches this request."""
    signature = request.headers.get("X-Twilio-Signature", "")
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    if not signature or not token:
        return False
    form = request.form
    pairs = getattr(request, "form_pairs", None)  # as parsed (ivr.web.forms), when it was
    signed = signed_pairs(pairs) if pairs is not None else signed_params(form.lists())
    return signed_matches(token, requested_url(), signed, signature)


def twilio_only(view: F) -> F:
    """Refuse (403) any request not signed with our auth token."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not signature_ok():
            # An unsigned body is never read; a forged one was (within the webhook limit).
            sent = request.form.get("CallSid", "") if "X-Twilio-Signature" in request.headers \
                else ""
            log.warning("refused unsigned or forged request to %s (CallSid %s)",
                        request.path, loggable(sent) if sent else "not read")
            return Response("Forbidden: invalid Twilio signature\n", 403,
                            mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
