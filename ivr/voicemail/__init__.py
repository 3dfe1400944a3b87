"""Voicemails: taking Twilio's reports without losing any, their audio, transcripts, retention."""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from ivr.voicemail.store import VoicemailStore

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


class Intake:
    """Records Twilio's voicemail reports; when the database is down, spools them to disk.

    A spooled report is a small JSON file written with fsync before the webhook
    answers, replayed (in order) as soon as a write succeeds again or the worker runs.
    """

    def __init__(self, store: VoicemailStore, spool_dir: Path,
                 on_new: Callable[[int, str], None] | None = None,
                 journey_of: Callable[[str], Sequence[Mapping[str, Any]]] | None = None) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.on_new = on_new
        self.journey_of = journey_of  # the call's journey, to complete a spooled report

    def report(self, recording_sid: str, now: datetime, **fields: Any) -> int | None:
        """Store a report (or spool it); returns the voicemail id, None when spooled."""
        try:
            self.replay()
            return self._write(recording_sid, now, fields)
        except SQLAlchemyError:
            log.exception("database unavailable: voicemail %s kept on disk", recording_sid)
            self._spool(recording_sid, now, fields)
            return None

    def _write(self, recording_sid: str, now: datetime, fields: dict[str, Any]) -> int:
        existed = self.store.by_recording(recording_sid) is not None
        voicemail_id = self.store.report(recording_sid, now, **fields)
        if not existed:
            from ivr.ops.metrics import voicemail_stored  # imported late: see ivr.ops

            voicemail_stored()
        if not existed and self.on_new is not None:
            try:
                self.on_new(voicemail_id, recording_sid)
            except SQLAlchemyError:
                log.exception("could not queue notifications for %s", recording_sid)
        return voicemail_id

    def _spool(self, recording_sid: str, now: datetime, fields: dict[str, Any]) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.json"
        tmp = self.spool_dir / (name + ".tmp")
        body = json.dumps({"recording_sid": recording_sid, "at": now.isoformat(),
                           "fields": fields}, default=str)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.rename(self.spool_dir / name)

    def pending(self) -> list[Path]:
        """Spooled reports not yet written to the database, oldest first."""
        if not self.spool_dir.is_dir():
            return []
        return sorted(self.spool_dir.glob("*.json"))

    def replay(self) -> int:
        """Write spooled reports to the database; returns how many were written."""
        done = 0
        for path in self.pending():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.error("unreadable spooled voicemail %s left in place", path.name)
                continue
            fields = data["fields"]
            if fields.get("call_sid") and not fields.get("journey") and self.journey_of:
                # Spooled during the outage without its journey: by now it is in the database.
                from ivr.voicemail.store import journey_lines

                steps: list[Mapping[str, Any]] = list(self.journey_of(fields["call_sid"]))
                fields["journey"] = journey_lines(steps) or None
            self._write(data["recording_sid"], datetime.fromisoformat(data["at"]), fields)
            path.unlink()
            done += 1
        if done:
            log.info("%d spooled voicemail report(s) written", done)
        return done


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
