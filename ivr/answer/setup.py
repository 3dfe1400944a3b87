"""Wiring the answering half into the app: stores, the intake, the dialer, the routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from ivr.answer.callbacks import CallbackIntake, CallbackStore
from ivr.answer.calls import Calls, Dialer
from ivr.config import spool_root
from ivr.notify import Channel
from ivr.voicemail.setup import twilio_client_factory
from ivr.voicemail.store import VoicemailStore


@dataclass
class Answering:
    """What the dashboard and Twilio's callbacks share to answer callers."""

    callbacks: CallbackStore
    intake: CallbackIntake  # .on_stored: hooks run once per new request (receipts...)
    calls: Calls
    dialer: Dialer
    from_number: str  # IVR_CALLBACK_FROM: empty = the number the caller called


def install(app: Flask, settings: dict[str, Any], services: Any) -> Answering:
    """Build the answering services on the app's database; register the routes and jobs."""
    engine = services.store.engine
    callbacks = CallbackStore(engine)
    intake = CallbackIntake(callbacks, spool_root(settings, Path(app.instance_path)) / "callbacks")
    calls = Calls(engine, callbacks, VoicemailStore.close)
    dialer = Dialer(calls, twilio_client_factory(settings), services.clock)
    found = Answering(callbacks, intake, calls, dialer,
                      str(settings.get("IVR_CALLBACK_FROM") or ""))
    app.extensions["answer"] = found
    services.sender.register(dialer.channel, Channel(
        deliver=dialer.deliver, gave_up=dialer.gave_up, max_attempts=dialer.max_attempts,
        first_retry=dialer.first_retry))
    intake.on_stored.append(_receipt(services))  # the menu's receipt by text, if it sends one
    services.worker.jobs.insert(1, intake.replay)  # after the journeys, like voicemails
    from ivr.answer.web import bp

    app.register_blueprint(bp)
    return found


def _receipt(services: Any) -> Callable[[Mapping[str, Any]], None]:
    """Text the caller the menu's receipt once their callback request is stored (opt-in)."""
    from ivr.answer.texts import send_receipt

    def hook(row: Mapping[str, Any]) -> None:
        settings = getattr(services, "text_settings", None)
        menu = services.catalog.get(str(row.get("menu") or ""))
        if settings is None or menu is None or not menu.receipts or not row.get("number"):
            return
        if row.get("number_source") != "caller_id":
            return  # a keyed number (or one typed on the help pages) is never texted
        reach = getattr(services, "reach", None)
        send_receipt(services.store.engine, settings, menu,
                     str(row.get("lang") or menu.default_language), str(row["number"]),
                     "callback", int(row["id"]), services.clock(),
                     caller=str(row.get("from_number") or ""),
                     countries=reach.for_menu(menu) if reach is not None else None)

    return hook
