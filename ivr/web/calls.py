"""What every call webhook shares: Twilio's fields, the app's services, the URLs of a
call's next steps, a turn's journey lines and its TwiML, and the apology when our own code
fails (``ivr.web.voice``, the queues' webhooks)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Response, current_app, request

from ivr.engine.messages import BUILTIN
from ivr.engine.types import CallState, Next, Record, Step, Turn
from ivr.menu.model import Menu
from ivr.ops import metrics
from ivr.web import twiml
from ivr.web.clock import requested_clock
from ivr.web.forms import clean, encode_query
from ivr.web.replies import xml
from ivr.web.security import base_url, loggable

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

MAX_FIELD = 2000  # longer form values are cut: no caller says more in one breath
QUEUE_PATHS = {"wait": "/voice/queue/wait", "key": "/voice/queue/key", "queue": "/voice/queue/done"}


def services() -> Any:
    """The app's shared services (catalog, recorder, clock)."""
    return current_app.extensions["ivr"]


def field(name: str, limit: int = MAX_FIELD) -> str:
    """A form field from Twilio, bounded in length and safe to store in any database."""
    return clean(request.first_values.get(name) or "")[:limit]  # type: ignore[attr-defined]


def call_fields() -> dict[str, str]:
    """The call's identity as stored in the calls table (its columns hold 64 characters)."""
    return {"call_sid": field("CallSid", 64), "account_sid": field("AccountSid", 64),
            "from_number": field("From", 64), "to_number": field("To", 64)}


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
            return xml(apology())

    return wrapper  # type: ignore[return-value]


def apology() -> str:
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
