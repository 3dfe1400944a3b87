"""Recordings' audio: fetched from Twilio's API with the account's credentials, deleted there.

Each recording keeps its own retry schedule in the database (attempts, next attempt,
last error): one that answers 404 or times out waits longer each time and never
holds up the others, and one failure never stops the batch. The account's
credentials go only to Twilio's API hosts over https (api.twilio.com and its
regional forms such as api.dublin.ie1.twilio.com); a RecordingUrl naming any other
host is refused without a request. requests drops the credentials itself if Twilio
redirects the download to another host.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from ivr.voicemail.store import VoicemailStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # about a day of tries (1, 2, 4 ... minutes, then every 6 hours)
FIRST_DELAY = 60  # seconds before the second try
MAX_DELAY = 6 * 3600  # seconds between tries at most
MAX_BYTES = 64 * 1024 * 1024  # Twilio's longest recording (4 hours) as MP3 is smaller
_API_HOST = re.compile(r"api(\.[a-z0-9-]+){0,2}\.twilio\.com")


def twilio_api_url(url: str) -> bool:
    """Whether ``url`` is https on one of Twilio's API hosts (so credentials may go there)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (parts.scheme == "https" and port in (None, 443) and parts.username is None
            and parts.password is None and bool(_API_HOST.fullmatch(parts.hostname or "")))


def next_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure."""
    return timedelta(seconds=min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY))


class Media:
    """Fetches recordings from Twilio with the account's credentials; deletes them there."""

    def __init__(self, store: VoicemailStore, account_sid: str, auth_token: str,
                 http_get: Callable[..., Any] | None = None,
                 client_factory: Callable[[], Any] | None = None) -> None:
        self.store = store
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.http_get = http_get
        self.client_factory = client_factory

    def fetch_missing(self, now: datetime | None = None, limit: int = 20) -> int:
        """Download the audio of completed recordings we lack and that are due; how many."""
        now = now or datetime.now(UTC)
        fetched = 0
        for voicemail in self.store.needing_media(now, MAX_ATTEMPTS, limit):
            url = f"{voicemail['recording_url']}.mp3"
            if not twilio_api_url(url):  # never retried: the URL will not change
                log.error("recording %s: %.80r is not a Twilio API URL; not fetched, no "
                          "credentials sent", voicemail["recording_sid"], url)
                self.store.media_failed(voicemail["id"], "not a Twilio API URL: not fetched",
                                        None, MAX_ATTEMPTS)
                continue
            try:
                error = self._fetch(voicemail["id"], url, now)
            except SQLAlchemyError:
                raise  # the database is gone: every other item would fail the same way
            except Exception as exc:  # noqa: BLE001 - one recording never stops the batch
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                fetched += 1
                continue
            attempts = int(voicemail["media_attempts"] or 0) + 1
            final = attempts >= MAX_ATTEMPTS
            log.warning("recording %s not fetched (attempt %d%s): %s", voicemail["recording_sid"],
                        attempts, ", giving up" if final else "", error[:200])
            self.store.media_failed(voicemail["id"], error,
                                    None if final else now + next_delay(attempts), attempts)
        return fetched

    def _fetch(self, voicemail_id: int, url: str, now: datetime) -> str | None:
        """Fetch one recording from Twilio; None when stored, else what went wrong."""
        import requests

        get = self.http_get or requests.get
        auth = (self.account_sid, self.auth_token) if self.account_sid else None
        with get(url, auth=auth, timeout=20, stream=True) as response:
            if response.status_code != 200:
                return f"HTTP {response.status_code}"
            data = bytearray()
            for chunk in response.iter_content(65536):
                data += chunk
                if len(data) > MAX_BYTES:
                    return f"larger than {MAX_BYTES} bytes"
        self.store.store_media(voicemail_id, bytes(data), "audio/mpeg", now)
        return None

    def purge(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete recordings older than N days, locally and at Twilio; keep their context."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(days=older_than_days)
        client = self.client_factory() if self.client_factory else None
        purged = 0
        for voicemail in self.store.older_than(cutoff):
            if client is not None and voicemail["recording_sid"].startswith("RE"):
                try:
                    client.recordings(voicemail["recording_sid"]).delete()
                except Exception as exc:  # noqa: BLE001 - a 404 means it is already gone
                    if getattr(exc, "status", None) != 404:
                        log.error("could not delete %s at Twilio: %s",
                                  voicemail["recording_sid"], exc)
                        continue
            self.store.forget_recording(voicemail["id"], now)
            purged += 1
        return purged
