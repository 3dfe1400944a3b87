"""The Twilio voice webhooks: read the request, run the engine, answer TwiML.

Every answer is valid TwiML, even when our own code fails: a caller must never
hear Twilio's "an application error has occurred".
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import datetime

from flask import Blueprint, Response, current_app, request

from ivr.engine import core
from ivr.engine.messages import BUILTIN
from ivr.engine.types import (
    CallState,
    DialEnded,
    Done,
    Enter,
    Event,
    Input,
    Recorded,
    Silence,
    Turn,
)
from ivr.menu.model import Menu
from ivr.ops import metrics
from ivr.web import twiml
from ivr.web.calls import (
    _countries,
    _record,
    _render,
    _stop_live,
    _texts,
    call_fields,
    engine_now,
    field,
    never_fail,
    services,
)
from ivr.web.clock import SIMULATOR_ENVIRON
from ivr.web.replies import idempotent, xml
from ivr.web.security import loggable, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__)
DIAL_STATUSES = {"completed", "answered", "busy", "no-answer", "failed", "canceled"}


def _no_menu() -> Response:
    """No menu can answer: say so and hang up (still valid TwiML)."""
    metrics.webhook_error("no_menu")
    log.error("no menu answers %s (menus loaded: %s)", loggable(field("To"), 64),
              ", ".join(services().catalog.menus) or "none")
    return xml(twiml.apology(BUILTIN["en"]["error"], "en-US", "Polly.Joanna", None))


@bp.post("/voice")
@twilio_only
@idempotent
@never_fail
def incoming() -> Response:
    """A call comes in: pick the menu by the number called and enter its start node."""
    svc = services()
    svc.catalog.maybe_reload()
    if current_app.config.get("IVR_ANNOUNCE_NUMBER"):
        from ivr.recorded_announcements import answer, is_line

        if is_line(field("To", 64)):
            return answer()  # an admin recording an announcement by phone
    draft = request.args.get("draft")
    # A simulated call on an unpublished draft (the admins' simulator signs it like Twilio).
    menu = svc.catalog.draft_menu(draft) if draft else svc.catalog.for_number(field("To"))
    if menu is None:
        return _no_menu()
    metrics.call_started(menu.id)
    now = svc.clock()
    turn = core.start(menu, engine_now(now), svc.audio_available, caller=field("From"),
                      lookups=svc.lookups, texts=_texts(now), countries=_countries(menu),
                      queues=svc.queues)
    turn = _announced(turn, menu, now)
    svc.recorder.call_started({
        **call_fields(),
        "menu": menu.id[:64],
        "started_at": now,
        # The in-process simulator (its WSGI environ key, which no HTTP client can set) or
        # a draft: an admin trying the menu, whom analytics leave out.
        "simulated": bool(draft) or bool(request.environ.get(SIMULATOR_ENVIRON)),
    })
    _record(turn, menu, now)
    _queue_joined(turn, now)
    return _render(turn)


def _announced(turn: Turn, menu: Menu, now: datetime) -> Turn:
    """A new call first hears the line's announcements (ivr.announcements), if any."""
    from ivr.announcements import spoken

    try:
        said = spoken(menu, services().announcements.active(menu.id, now))
    except Exception:  # noqa: BLE001 - the menu is heard all the same
        log.exception("announcements of %s unavailable", menu.id)
        return turn
    return replace(turn, actions=(*said, *turn.actions)) if said else turn


def _queue_joined(turn: Turn, now: datetime) -> None:
    """A turn that put the caller in a queue: keep their place (ivr.queues)."""
    if turn.actions and type(turn.actions[-1]).__name__ == "Enqueue":
        from ivr.queues.web import note_joined

        note_joined(turn, now)


def parse_event(name: str) -> Event:
    """The engine event for a callback's ``e`` parameter and Twilio's form fields."""
    if name == "in":
        confidence = None
        raw = field("Confidence")
        if raw:
            try:
                value = float(raw)
                confidence = value if math.isfinite(value) else None
            except ValueError:
                confidence = None
        digits = "".join(c for c in field("Digits") if c in "0123456789*#")[:32]
        return Input(digits=digits, speech=field("SpeechResult").strip(), confidence=confidence)
    if name == "silence":
        return Silence()
    if name == "done":
        return Done()
    if name == "dial":
        status = field("DialCallStatus")
        return DialEnded(status if status in DIAL_STATUSES else "failed")
    if name == "rec":
        try:
            duration = max(0, int(field("RecordingDuration") or 0))
        except ValueError:
            duration = 0
        return Recorded(field("RecordingSid")[:64], duration, field("Digits")[:16])
    return Enter()


@bp.post("/voice/step")
@twilio_only
@idempotent
@never_fail
def step() -> Response:
    """A callback within a call: apply the caller's input to the state in the URL."""
    svc = services()
    svc.catalog.maybe_reload()
    now = svc.clock()
    state = CallState.from_params(request.args)
    menu = svc.catalog.get(state.menu) if state else None
    stop: list[str] = []
    if state is None or menu is None:
        # A state we cannot read (or a menu that was removed): start the call afresh.
        menu = svc.catalog.for_number(field("To"))
        if menu is None:
            return _no_menu()
        log.warning("unreadable call state for %s; restarting the menu",
                    loggable(field("CallSid")))
        turn = core.start(menu, engine_now(now), svc.audio_available, caller=field("From"),
                          lookups=svc.lookups, texts=_texts(now), countries=_countries(menu),
                          queues=svc.queues)
    else:
        event = parse_event(request.args.get("e", "go"))
        if isinstance(event, Recorded):
            from ivr.voicemail.web import on_record_action

            on_record_action(state, now)  # stored (or spooled) before the caller is thanked
            stop = _stop_live(state)
        turn = core.step(menu, state, event, engine_now(now), svc.audio_available,
                         caller=field("From"), lookups=svc.lookups, texts=_texts(now),
                         countries=_countries(menu), queues=svc.queues)
        if turn.requests:
            from ivr.answer.web import keep_requests

            keep_requests(turn.requests, state, now)  # kept (or spooled) before the thanks
    _record(turn, menu, now)
    _queue_joined(turn, now)
    return _render(turn, stop)


@bp.post("/voice/status")
@twilio_only
@never_fail
def status() -> Response:
    """Twilio's call status callback: remember how the call ended."""
    try:
        sequence = int(field("SequenceNumber") or 0)
    except ValueError:
        sequence = 0
    try:
        duration: int | None = int(field("CallDuration")) if field("CallDuration") else None
    except ValueError:
        duration = None
    svc = services()
    svc.recorder.status({
        **call_fields(),
        "status": field("CallStatus")[:20],
        "status_seq": sequence,
        "duration": duration,
        "updated_at": svc.clock(),
    })
    return Response(status=204)
