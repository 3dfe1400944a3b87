"""The Twilio voice webhooks: read the request, run the engine, answer TwiML.

Every answer is valid TwiML, even when our own code fails: a caller must never
hear Twilio's "an application error has occurred".
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from ivr import twiml
from ivr.engine import core
from ivr.engine.messages import BUILTIN
from ivr.engine.types import (
    CallState,
    DialEnded,
    Done,
    Enter,
    Event,
    Input,
    Next,
    Record,
    Recorded,
    Silence,
    Step,
    Turn,
)
from ivr.menu.model import Menu
from ivr.ops import metrics
from ivr.web.clock import SIMULATOR_ENVIRON, requested_clock
from ivr.web.forms import encode_query
from ivr.web.replies import idempotent
from ivr.web.security import base_url, loggable, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__)
F = TypeVar("F", bound=Callable[..., Any])

MAX_FIELD = 2000  # longer form values are cut: no caller says more in one breath
DIAL_STATUSES = {"completed", "answered", "busy", "no-answer", "failed", "canceled"}
QUEUE_PATHS = {"wait": "/voice/queue/wait", "key": "/voice/queue/key", "queue": "/voice/queue/done"}


def services() -> Any:
    """The app's shared services (catalog, recorder, clock)."""
    return current_app.extensions["ivr"]


def xml(body: str) -> Response:
    """A TwiML response."""
    return Response(body, 200, mimetype="text/xml")


def field(name: str, limit: int = MAX_FIELD) -> str:
    """A form field from Twilio, bounded in length and safe to store in any database."""
    return clean(request.form.get(name) or "")[:limit]


def call_fields() -> dict[str, str]:
    """The call's identity as stored in the calls table (its columns hold 64 characters)."""
    return {"call_sid": field("CallSid", 64), "account_sid": field("AccountSid", 64),
            "from_number": field("From", 64), "to_number": field("To", 64)}


def clean(value: str) -> str:
    """Drop NUL and lone surrogates: PostgreSQL refuses them, and would refuse the whole batch."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value.encode("utf-8", "ignore").decode("utf-8") if not value.isascii() else value


def engine_now(now: datetime) -> datetime:
    """The time the engine decides by (opening hours): now, or a simulated call's own clock.

    Only the engine's decisions move: what is stored (journeys, voicemails) keeps real time.
    """
    return requested_clock() or now


def url_for_next(nxt: Next) -> str:
    """The absolute callback URL of an engine step (its state is in the query)."""
    params = {**nxt.state.to_params(), "e": nxt.event}
    path = QUEUE_PATHS.get(nxt.event, "/voice/step")  # a queue's wait URL, key and action
    return f"{base_url()}{path}?{encode_query(params)}"


def side_url(kind: str, nxt: Next) -> str:
    """The URL of an asynchronous callback (recording status, transcription) for a call."""
    params = {k: v for k, v in nxt.state.to_params().items() if k in ("m", "n", "l", "s")}
    return f"{base_url()}/voice/{kind}?{encode_query(params)}"


def audio_url(path: str) -> str:
    """The public URL of a recorded prompt."""
    return f"{base_url()}/prompts/{quote(path)}"


def never_fail(view: F) -> F:
    """Turn any exception into an apology in TwiML (logged with the CallSid)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the caller must hear something sensible
            call_sid = loggable(request.form.get("CallSid", ""))
            log.exception("webhook %s failed for call %s", request.path, call_sid)
            return xml(_apology())

    return wrapper  # type: ignore[return-value]


def _apology() -> str:
    """Apologise in the caller's language and restart at the main menu (once), else hang up."""
    state = CallState.from_params(request.args)
    lang = state.lang if state else "en"
    text = BUILTIN.get(lang, BUILTIN["en"])["error"]
    metrics.webhook_error("error")
    locale, voice = "en-US", "Polly.Joanna"
    menu = services().catalog.get(state.menu) if state else None
    if menu and lang in menu.languages:
        text = menu.message("error", lang)
        locale, voice = menu.languages[lang].locale, menu.languages[lang].voice
    then = None
    if state and menu and request.args.get("x") != "1" and menu.main in menu.nodes:
        restart = Next(CallState(state.menu, menu.main, lang, 0, (), state.started,
                                 menu.version), "go")
        then = url_for_next(restart) + "&x=1"
    return twiml.apology(text, locale, voice, then)


def _record(turn: Turn, menu: Menu, now: datetime) -> None:
    """Queue the turn's journey lines (written in batches, off the caller's path).

    Each line notes the kind of its node; the turn's last line also notes every node the
    turn entered (``id/kind,...``), so analytics can follow the caller's path and spot
    node kinds (a callback, say) without the menu at hand.
    """
    call_sid = field("CallSid", 64)
    token = clean(request.headers.get("I-Twilio-Idempotency-Token") or "") or None
    metrics.steps_taken(menu.id, turn.steps)
    steps = list(turn.steps)
    if not steps and turn.entered:  # a turn that only moved on still marks the path
        steps = [Step(turn.entered[0], "enter", "", "", turn.state.lang if turn.state else "")]
    entered = ",".join(f"{node}/{kind_of(menu, node)}" for node in turn.entered)
    last = len(steps) - 1
    services().recorder.steps([
        {
            "call_sid": call_sid,
            "at": now,
            "menu": menu.id[:64],
            "node": step.node[:64],
            "event": step.event[:32],
            "input": clean(step.input)[:MAX_FIELD],
            "outcome": clean(step.outcome)[:255],
            "lang": step.lang[:16],
            "kind": kind_of(menu, step.node),
            "entered": entered[:MAX_FIELD] if part == last else "",
            "request_token": token[:128] if token else None,
            "part": part,
        }
        for part, step in enumerate(steps)
    ])


def _texts(now: datetime) -> Any:
    """The engine's Texts port for this call (texts to the caller's own number), or None."""
    from ivr.answer.texts_web import call_texts

    return call_texts(field("CallSid", 64), field("From", 64), now)


def _countries(menu: Menu) -> frozenset[str] | None:
    """Where this menu's callbacks may go (the operator's countries, narrowed by the menu)."""
    from ivr.answer.texts_web import countries_for

    return countries_for(menu)


def kind_of(menu: Menu, node_id: str) -> str:
    """The kind of a node of ``menu`` ("" for one it does not have)."""
    node = menu.nodes.get(node_id)
    return node.kind[:32] if node is not None else ""


def _live_locale(state: CallState, max_length: int) -> str | None:
    """The locale Twilio's real-time transcription listens in at this node's <Record>, if any.

    The one rule for both the <Start> before the <Record> and the <Stop> after it.
    """
    menu = services().catalog.get(state.menu)
    node = menu.nodes.get(state.node) if menu is not None else None
    if menu is None or node is None or state.lang not in menu.languages:
        return None
    locale = menu.languages[state.lang].locale
    if not getattr(node, "transcribe", True):  # `transcribe: false` on the node
        return None
    return locale if services().transcripts.settings.live_applies(locale, max_length) else None


def _adapt_record(record: Record) -> tuple[Record, list[str]]:
    """The <Record> as the transcription settings want it, and a <Start> to put before it."""
    from ivr.transcripts.twilio_live import start_verb, transcription_name

    settings = services().transcripts.settings
    state = record.then.state
    menu = services().catalog.get(state.menu)
    locale = menu.languages[state.lang].locale if menu and state.lang in menu.languages else ""
    if record.transcribe and not settings.twilio_record_applies(locale, record.max_length):
        record = replace(record, transcribe=False)  # transcription is off, or self-hosted
    live = _live_locale(state, record.max_length)
    if live is None:
        return record, []
    callback = side_url("transcript", record.then)
    return record, [start_verb(transcription_name(state.node), live, callback, settings)]


def _render(turn: Turn, prefix: list[str] | None = None) -> Response:
    return xml(twiml.render(turn, url_for_next, audio_url, side_url, _adapt_record, prefix or ()))


def _stop_live(state: CallState) -> list[str]:
    """A <Stop> for the real-time transcription of the recording that just ended, if any.

    The node's ``max_length`` is the one its <Record> had (a recording node without one
    is taken as long, which real-time transcription covers in every language).
    """
    from ivr.transcripts.twilio_live import stop_verb, transcription_name

    menu = services().catalog.get(state.menu)
    node = menu.nodes.get(state.node) if menu is not None else None
    max_length = int(getattr(node, "max_length", 0) or 3600)
    if _live_locale(state, max_length) is None:
        return []
    return [stop_verb(transcription_name(state.node))]


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
