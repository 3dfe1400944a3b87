"""Twilio's requests about agents' calls: each leg's TwiML, the <Dial> result, status callbacks.

Every route is signature-checked like the voice webhooks (the attempt's id is in the
URL Twilio signed). The TwiML routes always answer valid TwiML: the caller's leg gets
an empty answer (bridged without a word) rather than an error. Status callbacks answer
204 and may come more than once, in any order: ivr.answer.calls applies each once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request

from ivr import phones
from ivr.answer import calls as legs
from ivr.engine.types import CallbackRequest, CallState
from ivr.web.forms import clean
from ivr.web.replies import xml
from ivr.web.security import base_url, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("answer", __name__, url_prefix="/answer")
F = TypeVar("F", bound=Callable[..., Any])


def answering() -> Any:
    """The app's answering services (ivr.answer.setup.Answering)."""
    return current_app.extensions["answer"]


def _field(name: str, limit: int = 64) -> str:
    return clean(request.form.get(name) or "")[:limit]


def keep_requests(requests: tuple[CallbackRequest, ...], state: CallState, now: datetime) -> None:
    """A callback node asked for callbacks: keep them (or spool them); never raise."""
    svc = current_app.extensions["ivr"]
    try:
        svc.recorder.flush()  # the journey so far, kept with the request
        steps = svc.store.journey(_field("CallSid"))
    except Exception:  # noqa: BLE001 - without the database the journey is left out
        steps = []
    from ivr.answer.callbacks import journey_of

    for wanted in requests:
        if not phones.check(wanted.number).ok:  # the engine refuses them; never kept anyway
            log.warning("callback request of %s to a number never called: not kept",
                        _field("CallSid"))
            continue
        try:
            answering().intake.keep(
                _field("CallSid"), now, account_sid=_field("AccountSid"),
                from_number=_field("From"), to_number=_field("To"), number=wanted.number,
                number_source=wanted.source, menu=state.menu, node=wanted.node,
                lang=state.lang, journey=journey_of(steps) or None,
                reason_recording_sid=wanted.reason_sid or None,
                reason_seconds=wanted.reason_seconds, schedule=wanted.schedule or None,
                due_from=wanted.due_from, due_until=wanted.due_until)
        except Exception:  # noqa: BLE001 - the caller is thanked whatever happens here
            log.exception("callback request of %s could not be kept", _field("CallSid"))


def _attempt_or_none(attempt_id: int) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] | None = answering().calls.get(attempt_id)
    except Exception:  # noqa: BLE001 - the leg still gets valid TwiML
        log.exception("call attempt %d could not be read", attempt_id)
        return None
    return found


def _twiml_or(fallback: Callable[[], str]) -> Callable[[F], F]:
    """Answer ``fallback()``'s TwiML when the view fails: a leg never hears an error."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except Exception:  # noqa: BLE001 - Twilio would play its application error
                log.exception("%s failed", request.path)
                return xml(fallback())

        return wrapper  # type: ignore[return-value]

    return wrap


@bp.post("/calls/<int:attempt_id>/agent")
@twilio_only
@_twiml_or(legs.unavailable)
def agent(attempt_id: int) -> Response:
    """The agent answered: the whisper, then dial the caller and bridge them."""
    attempt = _attempt_or_none(attempt_id)
    if attempt is None:
        return xml(legs.unavailable())
    return xml(legs.agent_leg(attempt, base_url()))


@bp.post("/calls/<int:attempt_id>/caller")
@twilio_only
@_twiml_or(legs.empty)
def caller(attempt_id: int) -> Response:
    """The caller answered: who is calling back, in their language, then the bridge."""
    attempt = _attempt_or_none(attempt_id)
    menu = current_app.extensions["ivr"].catalog.get(attempt["menu"] or "") if attempt else None
    if attempt is None or menu is None:
        return xml(legs.empty())
    lang = attempt["lang"] if attempt["lang"] in menu.languages else menu.default_language
    language = menu.languages[lang]
    return xml(legs.caller_leg(menu.name or menu.id, lang, language.locale, language.voice))


@bp.post("/calls/<int:attempt_id>/dialed")
@twilio_only
@_twiml_or(legs.empty)
def dialed(attempt_id: int) -> Response:
    """The <Dial> to the caller ended: DialCallStatus is the caller's leg's outcome too."""
    status = {"answered": "completed"}.get(_field("DialCallStatus", 20),
                                           _field("DialCallStatus", 20))
    svc = current_app.extensions["ivr"]
    answering().calls.caller_status(attempt_id, _field("DialCallSid"), status, svc.clock())
    return xml(legs.after_dial(legs.CALLER_OUTCOME.get(status, "failed")))


@bp.post("/calls/<int:attempt_id>/status")
@twilio_only
def agent_status(attempt_id: int) -> Response:
    """Status callback of the agent's leg (initiated, ringing, in-progress, completed...)."""
    svc = current_app.extensions["ivr"]
    answering().calls.agent_status(attempt_id, _field("CallSid"), _field("CallStatus", 20),
                                   svc.clock())
    return Response(status=204)


@bp.post("/calls/<int:attempt_id>/caller-status")
@twilio_only
def caller_status(attempt_id: int) -> Response:
    """Status callback of the caller's leg: answered closes the item, once."""
    svc = current_app.extensions["ivr"]
    answering().calls.caller_status(attempt_id, _field("CallSid"), _field("CallStatus", 20),
                                    svc.clock())
    return Response(status=204)
