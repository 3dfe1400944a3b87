"""Wiring voicemail into the app: stores, the intake, notifications and the worker."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from flask import Flask

from ivr.config import spool_root
from ivr.notify import Channels, Sender, Worker, notify_voicemail
from ivr.voicemail import Intake, Media
from ivr.voicemail.store import VoicemailStore


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
    services.sender = Sender(engine, channels, twilio_client=client, load_voicemail=voicemails.get,
                             clock=services.clock)
    # Spooled journeys first: a replayed voicemail then finds its caller's journey.
    from ivr.analytics.retention import purge_job

    services.worker = Worker([services.recorder.replay, services.intake.replay,
                              services.sender.send_due, services.media.fetch_missing,
                              purge_job(engine, services.clock)])
    in_app = str(settings.get("IVR_WORKER_IN_APP") or "auto").lower()
    if in_app in ("1", "true", "yes") or (in_app == "auto" and
                                          settings.get("IVR_ENV") == "development"):
        services.worker.start_thread()
        atexit.register(services.worker.stop)

    from ivr.voicemail.web import bp

    app.register_blueprint(bp)
