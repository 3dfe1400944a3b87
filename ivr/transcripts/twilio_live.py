"""Twilio's real-time transcription around a <Record>: the TwiML and Twilio's callbacks.

Just before the <Record>, ``<Start><Transcription>`` forks the caller's side of the
call (``inbound_track``) to Twilio's speech engine in the caller's language; the
answer to the <Record> action stops it (``<Stop><Transcription>``), so nothing said
later in the call joins the message. Twilio reports to ``statusCallbackUrl``:

- ``transcription-started``; then, per utterance, ``transcription-content`` with
  ``TranscriptionData`` (JSON: ``transcript``, ``confidence``), ``Final``, ``Track``
  and ``SequenceId``; finally ``transcription-stopped`` (or ``transcription-error``
  with ``TranscriptionError`` and ``TranscriptionErrorCode``).

Each callback is signed like every webhook and checked. It may come more than once,
and not in order: utterances are keyed by SequenceId (a repeat adds nothing) and the
text is always put together in sequence order, so a late utterance still joins.
The callback URL carries the menu, node and language of the call (signed by Twilio
with the rest), which says which recording the transcript belongs to.
"""

from __future__ import annotations

import json
import logging
import re

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from ivr.transcripts.engines import TranscriptionSettings
from ivr.transcripts.store import WorkItem
from ivr.web.forms import clean
from ivr.web.security import twilio_only
from ivr.web.twiml import element

log = logging.getLogger(__name__)
bp = Blueprint("transcripts", __name__)
EVENTS = ("transcription-started", "transcription-content", "transcription-stopped",
          "transcription-error")
_NAME = re.compile(r"[^A-Za-z0-9_-]")
MAX_UTTERANCE = 5_000  # characters of one TranscriptionData transcript


def transcription_name(node: str) -> str:
    """The name a recording's transcription is started and stopped by (one per node)."""
    return "rec-" + _NAME.sub("_", node)[:60]


def start_verb(name: str, locale: str, callback_url: str, settings: TranscriptionSettings) -> str:
    """``<Start><Transcription>`` on the caller's track, final utterances only."""
    return element("Start", {}, None, [element("Transcription", {
        "name": name,
        "track": "inbound_track",
        "languageCode": locale,
        "transcriptionEngine": settings.live_engine,
        "speechModel": settings.live_model or None,
        "partialResults": False,
        "enableAutomaticPunctuation": True,
        "statusCallbackUrl": callback_url,
        "statusCallbackMethod": "POST",
    })])


def stop_verb(name: str) -> str:
    """``<Stop><Transcription name=...>``: the recording is over, stop listening."""
    return element("Stop", {}, None, [element("Transcription", {"name": name})])


def _field(name: str, limit: int = 64) -> str:
    return clean(request.form.get(name) or "")[:limit]


def _utterance(raw: str) -> str:
    """The words of one TranscriptionData (JSON); empty when it cannot be read."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    text = data.get("transcript") if isinstance(data, dict) else None
    return " ".join(str(text).split())[:MAX_UTTERANCE] if isinstance(text, str) else ""


@bp.post("/voice/transcript")
@twilio_only
def live_callback() -> Response:
    """One real-time transcription event, applied once; Twilio ignores the answer.

    While the database is down the answer is 503: Twilio sends the event again (a few
    times), and applying it twice changes nothing.
    """
    try:
        return _apply_event()
    except SQLAlchemyError as exc:
        log.error("transcription event not stored (%s); Twilio will retry", type(exc).__name__)
        return Response(status=503)


def _apply_event() -> Response:
    """Store one event of Twilio's real-time transcription."""
    svc = current_app.extensions["ivr"]
    event = _field("TranscriptionEvent", 40)
    call_sid = _field("CallSid")
    menu_id, node, lang = (request.args.get(k, "")[:64] for k in ("m", "n", "l"))
    if event not in EVENTS or not call_sid.startswith("CA") or not node:
        return Response(status=204)  # not ours to keep; a 4xx would only make Twilio warn
    now = svc.clock()
    menu = svc.catalog.get(menu_id) if menu_id else None
    locale = _field("LanguageCode", 16) or (
        menu.languages[lang].locale if menu is not None and lang in menu.languages else "")
    kind = getattr(menu.nodes.get(node), "kind", "") if menu is not None else ""
    item = WorkItem(call_sid=call_sid, node=node, target=kind or "voicemail", locale=locale)
    store = svc.transcripts.store
    transcript_id = store.request(item, "twilio-live", now)
    if event == "transcription-started":
        store.live_started(transcript_id, _field("TranscriptionSid"), now)
    elif event == "transcription-content":
        if _field("Final", 8).lower() != "false":  # partial results are not asked for
            try:
                sequence = int(_field("SequenceId", 12))
            except ValueError:
                sequence = -1
            text = _utterance(request.form.get("TranscriptionData") or "")
            if sequence >= 0 and text:
                store.live_started(transcript_id, _field("TranscriptionSid"), now)
                store.live_part(transcript_id, sequence, text, now)
                svc.transcripts.delivered(transcript_id)
    elif event == "transcription-stopped":
        store.live_stopped(transcript_id, now)
        svc.transcripts.delivered(transcript_id)
    else:
        code, why = _field("TranscriptionErrorCode", 12), _field("TranscriptionError", 200)
        log.warning("Twilio could not transcribe %s at %s: %s %s", call_sid, node, code, why)
        store.finish(transcript_id, "failed",
                     f"Twilio's transcription failed ({code or 'no code'}: {why or 'no detail'})",
                     now)
    return Response(status=204)

