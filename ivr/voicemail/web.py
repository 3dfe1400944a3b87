"""Twilio's voicemail callbacks: the recording status and the transcription.

Both are asynchronous (Twilio ignores the answer), signed like every webhook, and may
come before or after the <Record> action, more than once. Each is one idempotent
report to the Intake, keyed on RecordingSid.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, request

from ivr.engine.types import CallState
from ivr.menu.model import Menu
from ivr.voicemail.intake import NotKept
from ivr.web.forms import clean
from ivr.web.security import twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("voicemail", __name__)
RECORDING_STATUSES = ("in-progress", "completed", "absent", "failed")


def _not_kept() -> Response:
    """Neither the database nor the spool could keep the report: a 503 so Twilio retries."""
    return Response("Not kept: try again later\n", 503, mimetype="text/plain",
                    headers={"Retry-After": "60"})


def _field(name: str, limit: int = 512) -> str:
    return clean(request.form.get(name) or "")[:limit]


def _duration() -> int | None:
    """RecordingDuration as a number (the intake refuses one outside 0 to a day)."""
    raw = _field("RecordingDuration", 20)
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def transcript_status(menu: Menu | None, node_id: str, lang: str) -> str:
    """"pending" when Twilio's recording transcription will send this voicemail's text, else
    "not_transcribed" (another engine's work item says where its transcript stands)."""
    if menu is None or node_id not in menu.nodes or lang not in menu.languages:
        return "not_transcribed"
    node = menu.nodes[node_id]
    will = getattr(node, "transcribed_by_twilio", None)
    locale = menu.languages[lang].locale
    settings = current_app.extensions["ivr"].transcripts.settings
    return ("pending" if will and will(locale) and settings.twilio_record_applies(
        locale, int(getattr(node, "max_length", 0) or 0)) else "not_transcribed")


def ask_transcript(call_sid: str, menu_id: str | None, node_id: str | None, lang: str | None,
                   recording_sid: str, duration: int | None, status: str = "completed") -> None:
    """Make (or complete) the transcription work item of a voicemail's recording."""
    svc = current_app.extensions["ivr"]
    menu = svc.catalog.get(menu_id) if menu_id else None
    if not call_sid or menu is None or not node_id or node_id not in menu.nodes \
            or lang not in menu.languages:
        return
    from ivr.transcripts import WorkItem

    node = menu.nodes[node_id]
    item = WorkItem(call_sid=call_sid, node=node_id, target="voicemail",
                    locale=menu.languages[lang].locale, recording_sid=recording_sid,
                    duration=duration)
    try:
        if not getattr(node, "transcribe", True):
            svc.transcripts.store.request(item, "none", svc.clock(), "unavailable",
                                          "this voicemail node does not ask for a transcript "
                                          "(transcribe: false)")
            return
        found = svc.transcripts.recorded(item, int(getattr(node, "max_length", 0) or 0), status)
        if found is not None:
            svc.transcripts.delivered(found)  # a live transcript may have finished first
    except Exception:  # noqa: BLE001 - the voicemail is stored; its transcript can wait
        log.exception("no transcription work item for %s", recording_sid)


def context(state: CallState | None) -> dict[str, Any]:
    """Menu, node and language of the call, from the callback URL (signed by Twilio)."""
    if state is None:
        params = request.args
        menu_id, node, lang = params.get("m", ""), params.get("n", ""), params.get("l", "")
    else:
        menu_id, node, lang = state.menu, state.node, state.lang
    menu = current_app.extensions["ivr"].catalog.get(menu_id) if menu_id else None
    kind = menu.nodes[node].kind if menu is not None and node in menu.nodes else ""
    return {"menu": menu_id[:64] or None, "node": node[:64] or None, "lang": lang[:16] or None,
            "transcript_status": transcript_status(menu, node, lang),
            # A callback request's short reason: kept with its audio, listed with the request.
            "purpose": "callback" if kind == "callback" else None}


def on_record_action(state: CallState, now: datetime) -> int | None:
    """The <Record> action arrived: store the voicemail with the caller's whole context."""
    sid = _field("RecordingSid", 64)
    if not sid:
        return None
    svc = current_app.extensions["ivr"]
    svc.recorder.flush()  # the journey so far, including this call's last steps
    try:
        steps = svc.store.journey(_field("CallSid", 64))
    except Exception:  # noqa: BLE001 - without the database the journey waits for later
        steps = []
    from ivr.voicemail.store import journey_lines

    where = context(state)
    voicemail_id: int | None = None
    try:
        voicemail_id = svc.intake.report(
            sid, now, call_sid=_field("CallSid", 64), account_sid=_field("AccountSid", 64),
            from_number=_field("From", 64), to_number=_field("To", 64),
            recording_url=_field("RecordingUrl") or None, duration=_duration(),
            journey=journey_lines(steps) or None, **where)
    except NotKept:
        pass  # the caller is still thanked: Twilio keeps the recording (ivr voicemail reconcile)
    if _duration():
        ask_transcript(_field("CallSid", 64), state.menu, state.node, state.lang, sid, _duration())
    # A callback request's reason is no voicemail: its receipt goes with the request.
    if (_duration() or 0) > 0 and where["purpose"] != "callback":
        from ivr.answer.texts_web import receipt_for_voicemail

        receipt_for_voicemail(voicemail_id, state.menu, state.lang, _field("From", 64), now)
    return voicemail_id


@bp.post("/voice/recording")
@twilio_only
def recording_status() -> Response:
    """recordingStatusCallback: the recording exists (or failed); Twilio ignores the reply."""
    sid = _field("RecordingSid", 64)
    if sid:
        status = _field("RecordingStatus", 20)
        svc = current_app.extensions["ivr"]
        where = context(None)
        try:
            svc.intake.report(
                sid, svc.clock(), call_sid=_field("CallSid", 64) or None,
                account_sid=_field("AccountSid", 64) or None,
                recording_url=_field("RecordingUrl") or None, duration=_duration(),
                recording_status=status if status in RECORDING_STATUSES else "failed",
                **where)
        except NotKept:
            return _not_kept()
        if status in ("completed", "absent", "failed"):
            ask_transcript(_field("CallSid", 64), where["menu"], where["node"], where["lang"],
                           sid, _duration(), status)
    return Response(status=204)


@bp.post("/voice/transcription")
@twilio_only
def transcription() -> Response:
    """transcribeCallback: Twilio's English transcript (or its failure)."""
    sid = _field("RecordingSid", 64)
    if sid:
        svc = current_app.extensions["ivr"]
        ok = _field("TranscriptionStatus", 20) == "completed"
        try:
            svc.intake.report(
                sid, svc.clock(), call_sid=_field("CallSid", 64) or None,
                from_number=_field("From", 64) or None, to_number=_field("To", 64) or None,
                recording_url=_field("RecordingUrl") or None,
                transcript=_field("TranscriptionText", 20000) if ok else None,
                transcript_status="completed" if ok else "failed")
        except NotKept:
            return _not_kept()
    return Response(status=204)
