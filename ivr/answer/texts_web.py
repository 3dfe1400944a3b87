"""Texts in the app: Twilio's message status callback, and the wiring of texts at start-up.

``POST /sms/status?t=<text id>`` is the ``status_callback`` of every text we send. Twilio
signs it like the voice webhooks (the ``t`` in the URL is part of what it signs) and may
retry it or send the statuses out of order; ``apply_status`` keeps only progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from ivr.answer import optouts
from ivr.answer.reach import Reach
from ivr.answer.texts import (
    CallTexts,
    TextSender,
    TextSettings,
    apply_status,
    get_text,
    keep_local,
    send_receipt,
)
from ivr.menu.model import Menu
from ivr.web.forms import clean
from ivr.web.security import twilio_only

bp = Blueprint("texts", __name__)


def _field(name: str, limit: int = 64) -> str:
    return clean(request.form.get(name) or "")[:limit]


@bp.post("/sms/status")
@twilio_only
def message_status() -> Response:
    """A text moved on at Twilio (queued, sent, delivered, undelivered, failed)."""
    raw = request.args.get("t", "")
    if not raw.isdigit() or len(raw) > 12:
        return Response(status=204)  # not one of ours: nothing to apply, nothing to retry
    svc = current_app.extensions["ivr"]
    status = _field("MessageStatus", 20) or _field("SmsStatus", 20)
    error_code = _field("ErrorCode", 16)
    try:
        apply_status(svc.store.engine, int(raw), status, svc.clock(),
                     message_sid=_field("MessageSid") or _field("SmsSid"), error_code=error_code)
        if error_code == optouts.OPTED_OUT_ERROR:  # Twilio holds an opt-out: keep it too
            _opted_out(svc, int(raw), _field("MessageSid") or _field("SmsSid"))
    except SQLAlchemyError:
        current_app.logger.exception("could not record the status of text %s", raw)
        return Response("Database unavailable\n", 503, mimetype="text/plain")
    return Response(status=204)


def _opted_out(svc: Any, text_id: int, message_sid: str) -> None:
    """Record the opt-out of the number a text went to (ours, never the callback's To)."""
    text = get_text(svc.store.engine, text_id)
    if text is None or (text["message_sid"] and message_sid and text["message_sid"] != message_sid):
        return
    optouts.record_opt_out(svc.store.engine, text["to_number"], optouts.ERROR_21610, svc.clock())


def call_texts(call_sid: str, caller: str, now: datetime) -> CallTexts | None:
    """The engine's Texts port for this webhook request (None when texts are off)."""
    svc = current_app.extensions["ivr"]
    settings: TextSettings | None = getattr(svc, "text_settings", None)
    if settings is None:
        return None
    return CallTexts(svc.store.engine, settings, call_sid, caller, now,
                     countries=lambda menu_id: countries_for(svc.catalog.get(menu_id)))


def countries_for(menu: Menu | None) -> frozenset[str] | None:
    """Where this menu's callbacks and texts may go (None before texts are installed)."""
    reach: Reach | None = getattr(current_app.extensions["ivr"], "reach", None)
    return reach.for_menu(menu) if reach is not None else None


def receipt_for_voicemail(voicemail_id: int | None, menu_id: str, lang: str, number: str,
                          now: datetime) -> None:
    """After a voicemail is stored: queue the menu's receipt (never failing the webhook)."""
    svc = current_app.extensions["ivr"]
    settings: TextSettings | None = getattr(svc, "text_settings", None)
    if voicemail_id is None or settings is None:
        return
    menu = svc.catalog.get(menu_id)
    if menu is None or not menu.receipts:
        return
    try:
        send_receipt(svc.store.engine, settings, menu, lang, number, "voicemail", voicemail_id,
                     now, caller=number, countries=countries_for(menu))
    except Exception:  # noqa: BLE001 - the voicemail is safe; only its receipt is lost
        current_app.logger.exception("could not queue the receipt for voicemail %s", voicemail_id)


def install(app: Flask, settings: dict[str, Any], services: Any, client: Any) -> None:
    """Texts for the app: their settings, the outbox channel, and the status callback."""
    services.text_settings = TextSettings.from_settings(settings, has_account=client is not None)
    services.reach = Reach.from_settings(settings, services.catalog)
    sender = TextSender(services.store.engine, services.text_settings, client, services.clock)
    services.sender.register("text", sender.channel())
    if services.text_settings.local:
        services.sender.local_sms = _local_notification(services)
    app.register_blueprint(bp)


def _local_notification(services: Any) -> Any:
    """SMS notifications of new voicemails, kept in the local outbox (development)."""
    def keep(number: str, body: str, payload: Mapping[str, Any]) -> None:
        ref = str(payload.get("voicemail_id") or "")
        keep_local(services.store.engine, key=f"notify:voicemail:{ref}:{number}", purpose="notify",
                   kind="voicemail", ref=ref, number=number, body=body, now=services.clock())

    return keep
