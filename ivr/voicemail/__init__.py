"""Voicemails: taking Twilio's reports without losing any, their audio, transcripts, retention."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ivr.voicemail.intake import Intake
from ivr.voicemail.store import VoicemailStore

__all__ = ["Intake", "Media", "NoTranscriber", "Transcriber"]

log = logging.getLogger(__name__)


class Transcriber(Protocol):
    """Turns a recording into text for languages Twilio does not transcribe."""

    def transcribe(self, audio: bytes, mimetype: str, locale: str) -> str | None:
        """The text, or None when this transcriber cannot do it."""
        ...


class NoTranscriber:
    """The default: no transcription beyond Twilio's; voicemails say "not transcribed"."""

    def transcribe(self, audio: bytes, mimetype: str, locale: str) -> str | None:
        """Never transcribes."""
        return None


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
        """Download the audio of completed recordings we do not have yet."""
        import requests

        get = self.http_get or requests.get
        fetched = 0
        for voicemail in self.store.needing_media(limit):
            url = f"{voicemail['recording_url']}.mp3"
            auth = (self.account_sid, self.auth_token) if self.account_sid else None
            response = get(url, auth=auth, timeout=20)
            if response.status_code != 200:
                log.warning("recording %s: HTTP %s", voicemail["recording_sid"],
                            response.status_code)
                continue
            self.store.store_media(voicemail["id"], response.content, "audio/mpeg",
                                   now or datetime.now(UTC))
            fetched += 1
        return fetched

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
