"""`ivr twilio connect`: point a Twilio number's voice webhooks at this service.

It does through Twilio's REST API what the console's number page does by hand:
find the account's IncomingPhoneNumber by its number, then set "A call comes in"
to POST BASE/voice and "Call status changes" to POST BASE/voice/status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

E164 = re.compile(r"\+[1-9]\d{6,14}")


class ConnectError(Exception):
    """The number could not be connected; the message says why and what to do."""


@dataclass(frozen=True)
class Connected:
    """A number as Twilio reports it after the update."""

    sid: str
    phone_number: str
    voice_url: str
    voice_method: str
    status_callback: str
    status_callback_method: str


def webhook_urls(base_url: str) -> tuple[str, str]:
    """The voice and status callback URLs under ``base_url``; raises ConnectError if unusable."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectError(f"--base-url must be an absolute http(s) URL, not {base_url!r}")
    if parts.query or parts.fragment:
        raise ConnectError(f"--base-url must not have a query or fragment: {base_url!r}")
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return f"{base}/voice", f"{base}/voice/status"


def connect_number(client: Any, number: str, base_url: str) -> Connected:
    """Set the number's voice webhook and status callback (both POST) under ``base_url``.

    ``client`` is a twilio.rest.Client. Raises ConnectError for a malformed or unknown
    number, refused credentials, or Twilio's refusal of the update.
    """
    from twilio.base.exceptions import TwilioException, TwilioRestException

    if not E164.fullmatch(number):
        raise ConnectError(f"{number!r} is not a phone number in E.164 form, e.g. +15005550006")
    voice_url, status_url = webhook_urls(base_url)
    try:
        found = client.incoming_phone_numbers.list(phone_number=number, limit=20)
        matches = [n for n in found if n.phone_number == number]
        if not matches:
            raise ConnectError(f"{number} is not a number of account {client.username}: "
                               "check the number, or use that account's SID and auth token")
        updated = client.incoming_phone_numbers(matches[0].sid).update(
            voice_url=voice_url, voice_method="POST",
            status_callback=status_url, status_callback_method="POST")
    except TwilioRestException as exc:
        raise _refused(exc.status, exc.msg) from exc
    except TwilioException as exc:  # a listing page Twilio refused carries its response
        response = next((a for a in exc.args if hasattr(a, "status_code")), None)
        if response is None:
            raise ConnectError(f"Twilio's API failed: {exc}") from exc
        raise _refused(int(response.status_code), _message(str(getattr(response, "text", "")))) \
            from exc
    except OSError as exc:  # requests' connection errors are OSErrors
        raise ConnectError(f"could not reach Twilio's API: {exc}") from exc
    return Connected(sid=updated.sid, phone_number=updated.phone_number,
                     voice_url=updated.voice_url, voice_method=updated.voice_method,
                     status_callback=updated.status_callback,
                     status_callback_method=updated.status_callback_method)


def _refused(status: int, message: str) -> ConnectError:
    """The error for an HTTP refusal from Twilio's API."""
    if status in (401, 403):
        return ConnectError(
            f"Twilio refused the credentials (HTTP {status}): check TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN (Twilio console > Account > API keys & tokens)")
    return ConnectError(f"Twilio answered HTTP {status}: {message[:300]}")


def _message(body: str) -> str:
    """Twilio's error message from a JSON error body (the body itself otherwise)."""
    import json

    try:
        return str(json.loads(body).get("message") or body)
    except (ValueError, AttributeError):
        return body
