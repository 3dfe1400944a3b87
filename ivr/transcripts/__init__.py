"""Transcripts of recordings in every language: work items, engines, the worker's job.

A recording (a voicemail, a callback request's reason...) becomes a work item the
moment it is known: which call and node made it, its RecordingSid, the caller's
locale and its *target* (what it belongs to). The configured engine then makes the
text, or the item ends with a reason (ivr.transcripts.store). Each target registers
where its audio comes from and where the text goes (``Transcripts.register``), so a
new kind of recording needs no change here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ivr.transcripts.engines import (
    ENGINE_NAMES,
    LIVE_WAIT,
    MIN_SECONDS,
    WORKER_WAIT,
    TranscriberConfigError,
    TranscriptionSettings,
)
from ivr.transcripts.store import TranscriptStore, WorkItem
from ivr.voicemail import Transcriber

log = logging.getLogger(__name__)
__all__ = ["ENGINE_NAMES", "Target", "Transcripts", "TranscriptionSettings", "TranscriptStore",
           "WorkItem"]

MAX_ATTEMPTS = 4  # tries of the self-hosted engine before an item is given up
FIRST_RETRY = timedelta(minutes=1)  # doubles per attempt
AUDIO_POLL = timedelta(minutes=1)  # how often to look again for audio not downloaded yet


@dataclass(frozen=True)
class Target:
    """What a kind of recording needs from transcription: its audio, and where text goes."""

    audio: Callable[[dict[str, Any]], tuple[bytes, str] | None]  # (bytes, mimetype) once fetched
    deliver: Callable[[dict[str, Any]], None]  # the item, completed, with its text


class Transcripts:
    """Creates work items as recordings are reported and runs the self-hosted engine."""

    def __init__(self, store: TranscriptStore, settings: TranscriptionSettings,
                 transcriber: Transcriber | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.settings = settings
        self.transcriber = transcriber
        self.clock = clock
        self.targets: dict[str, Target] = {}

    def register(self, kind: str, target: Target) -> None:
        """Say where the audio of ``kind`` recordings comes from and where their text goes."""
        self.targets[kind] = target

    # ---- a recording is reported --------------------------------------------------------

    def recorded(self, item: WorkItem, max_length: int, status: str = "completed") -> int | None:
        """A recording exists (or failed): make or complete its work item; its id.

        ``max_length`` is the <Record>'s limit, which decided the engine when the call
        was answered; ``status`` is Twilio's RecordingStatus. Twilio's own recording
        transcription (American English) reports to the voicemail directly: no item.
        """
        now = self.clock()
        engine = self.settings.engine_for(item.locale, max_length)
        if engine == "twilio-record" and item.target == "voicemail":
            return None
        if engine == "twilio-record":  # only voicemails have that callback: listen live instead
            engine = "twilio-live" if item.locale in self.settings.live_locales else None
        if engine is None:
            state, reason = self.settings.why_not(item.locale)
            return self.store.request(item, "none", now, state, reason)
        found = self.store.request(item, engine, now)
        if status in ("absent", "failed"):
            self.store.finish(found, "unavailable", f"Twilio reported the recording {status}", now)
        elif engine == "whisper":
            self._check_whisper(found, item, now)
        return found

    def _check_whisper(self, transcript_id: int, item: WorkItem, now: datetime) -> None:
        """End an item Whisper cannot take: unknown language, too short, too long."""
        if not self.settings.whisper_supports(item.locale):
            self.store.finish(transcript_id, "unavailable",
                              f"Whisper does not transcribe {item.locale}", now)
        elif item.duration is not None and item.duration < MIN_SECONDS:
            self.store.finish(transcript_id, "unavailable",
                              f"the recording is too short ({item.duration} s)", now)
        elif item.duration is not None and item.duration > self.settings.whisper_max_seconds:
            self.store.finish(transcript_id, "unavailable",
                              f"the recording is too long ({item.duration} s; the limit is "
                              f"{self.settings.whisper_max_seconds} s, IVR_WHISPER_MAX_SECONDS)",
                              now)

    def delivered(self, transcript_id: int) -> None:
        """Hand a completed item's text to its target (again, if more text came)."""
        item = self.store.get(transcript_id)
        if item is None or item["status"] != "completed":
            return
        target = self.targets.get(item["target"])
        if target is not None:
            target.deliver(item)

    # ---- the worker's job -----------------------------------------------------------------

    def run_due(self, limit: int = 5) -> int:
        """Transcribe what is due with the self-hosted engine, end what waited too long."""
        now = self.clock()
        self.store.overdue({"twilio-live": LIVE_WAIT, "whisper": WORKER_WAIT}, now)
        if self.settings.engine != "whisper" or self.transcriber is None:
            return 0
        done = 0
        for item in self.store.due("whisper", now, limit):
            done += self._transcribe(item, now)
        return done

    def _transcribe(self, item: dict[str, Any], now: datetime) -> bool:
        """One attempt at one item; whether it was completed."""
        target = self.targets.get(item["target"])
        found = target.audio(item) if target is not None and item["recording_sid"] else None
        if found is None:  # not downloaded yet: look again soon; the time limit ends the wait
            self.store.retry_later(item["id"], item["attempts"],
                                   "waiting for the recording to be downloaded",
                                   now + AUDIO_POLL, now)
            return False
        audio, mimetype = found
        assert self.transcriber is not None
        try:
            text = self.transcriber.transcribe(audio, mimetype, item["locale"])
        except TranscriberConfigError as exc:  # the admin's to fix: keep the item waiting
            log.error("self-hosted transcription is not set up: %s", exc)
            self.store.retry_later(item["id"], item["attempts"], f"engine not set up: {exc}",
                                   now + FIRST_RETRY * 10, now)
            return False
        except Exception as exc:  # noqa: BLE001 - any engine failure is retried, then reported
            attempts = int(item["attempts"]) + 1
            error = f"{type(exc).__name__}: {exc}"
            log.warning("transcription of %s failed (attempt %d): %s", item["recording_sid"],
                        attempts, error[:200])
            if attempts >= MAX_ATTEMPTS:
                self.store.finish(item["id"], "failed",
                                  f"the engine failed {attempts} times ({error})", now)
            else:
                self.store.retry_later(item["id"], attempts, error,
                                       now + FIRST_RETRY * 2 ** (attempts - 1), now)
            return False
        if text is None:
            self.store.finish(item["id"], "unavailable",
                              f"the engine does not transcribe {item['locale']}", now)
            return False
        self.store.complete(item["id"], text, now)
        self.delivered(item["id"])
        return True
