"""Wiring voicemail into the app: stores, the intake, notifications and the worker."""

from __future__ import annotations

import atexit
import logging
import sys
from pathlib import Path
from typing import Any

from flask import Flask

from ivr.config import spool_root
from ivr.notify import Channels, Sender, Worker, notify_voicemail
from ivr.voicemail import Intake, Media
from ivr.voicemail.store import VoicemailStore

log = logging.getLogger(__name__)


def twilio_client_factory(settings: dict[str, Any]) -> Any:
    """A function giving a Twilio REST client for the configured account (or None)."""
    sid, token = settings.get("TWILIO_ACCOUNT_SID"), settings.get("TWILIO_AUTH_TOKEN")
    if not sid or settings.get("IVR_DEV_TOKEN"):
        return None

    def make() -> Any:
        from twilio.rest import Client

        return Client(sid, token)

    return make


def install(app: Flask, settings: dict[str, Any], services: Any) -> None:
    """Give the app its voicemail services and, where configured, an in-app worker."""
    engine = services.store.engine
    voicemails = VoicemailStore(engine)
    channels = Channels.from_settings(settings)
    services.voicemails = voicemails
    services.channels = channels
    services.intake = Intake(
        voicemails, spool_root(settings, Path(app.instance_path)) / "voicemail",
        on_new=lambda vid, sid: notify_voicemail(engine, channels, vid, sid, services.clock()),
        journey_of=services.store.journey)
    client = twilio_client_factory(settings)
    services.media = Media(voicemails, settings.get("TWILIO_ACCOUNT_SID") or "",
                           settings.get("TWILIO_AUTH_TOKEN") or "", client_factory=client)
    services.transcripts = transcripts(settings, services, voicemails)
    services.sender = Sender(engine, channels, twilio_client=client, load_voicemail=voicemails.get,
                             clock=services.clock)
    from ivr.answer.texts_web import install as install_texts

    install_texts(app, settings, services, client)  # texts to callers ride the same outbox
    # Spooled journeys first: a replayed voicemail then finds its caller's journey.
    from ivr.analytics.retention import purge_job
    from ivr.privacy.retention import purge_job as retention_job

    services.worker = Worker([services.recorder.replay, services.intake.replay,
                              services.sender.send_due, services.media.fetch_missing,
                              services.transcripts.run_due, purge_job(engine, services.clock),
                              retention_job(services, settings, services.clock)])
    in_app = str(settings.get("IVR_WORKER_IN_APP") or "auto").lower()
    if in_app in ("1", "true", "yes") or (in_app == "auto" and
                                          settings.get("IVR_ENV") == "development"):
        services.worker.start_thread()
        atexit.register(services.worker.stop)

    from ivr.transcripts.twilio_live import bp as transcripts_bp
    from ivr.voicemail.web import bp

    app.register_blueprint(bp)
    app.register_blueprint(transcripts_bp)


def transcripts(settings: dict[str, Any], services: Any, voicemails: VoicemailStore) -> Any:
    """The transcription engine the settings choose, with voicemails as a target."""
    from ivr.transcripts import Target, TranscriptionSettings, Transcripts, TranscriptStore

    chosen = TranscriptionSettings.from_settings(settings)
    problem = chosen.problem()
    if problem:  # loud, but not fatal: calls and voicemails work without transcripts
        log.error("transcription: %s", problem)
        print(f"ivr: warning: {problem}; voicemails wait for a transcript until it is fixed",
              file=sys.stderr, flush=True)
    transcriber = None
    if chosen.engine == "whisper":
        from ivr.transcripts.whisper import WhisperTranscriber

        transcriber = WhisperTranscriber(chosen)
    service = Transcripts(TranscriptStore(services.store.engine), chosen, transcriber,
                          clock=services.clock)

    def audio(item: dict[str, Any]) -> tuple[bytes, str] | None:
        found = voicemails.by_recording(item["recording_sid"] or "")
        return voicemails.media(found["id"]) if found else None

    def deliver(item: dict[str, Any]) -> None:
        voicemails.set_transcript(item["call_sid"], item["node"], item["text"] or "",
                                  services.clock())

    service.register("voicemail", Target(audio=audio, deliver=deliver))
    return service
