"""The queue's Twilio webhooks: the <Enqueue> wait URL, the leave key and the action.

The wait URL is asked again and again for every waiting caller (every few seconds
each), so it stays cheap: no journey line unless the caller leaves, the agents'
states read at most once a second per worker. Every answer is TwiML that Twilio
accepts where it is played: the wait URL's only <Say>, <Play>, <Pause>, <Gather>,
<Redirect> and <Leave>.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from ivr.engine import core
from ivr.engine.types import CallState, Enqueue, Input, Leave, QueueEnded, QueueWait, Turn
from ivr.queues.ring import ring_later, whisper
from ivr.web import twiml
from ivr.web.calls import (
    _record,
    _render,
    _texts,
    engine_now,
    field,
    never_fail,
    services,
)
from ivr.web.replies import idempotent, xml
from ivr.web.security import base_url, loggable, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("queues", __name__)

QUEUE_RESULTS = {"bridged", "bridging-in-process", "queue-full", "redirected", "hangup", "leave",
                 "error", "system-error"}
LEAVE = twiml.document([twiml.element("Leave", {})])


def number(name: str, high: int = 10**6) -> int:
    """A whole-number Twilio parameter, bounded (0 when missing or malformed)."""
    raw = field(name, 12)
    return max(0, min(int(raw), high)) if raw.isdigit() else 0


def note_joined(turn: Turn, now: datetime) -> None:
    """Keep the caller's place when a turn puts them in a queue (never raises)."""
    enqueue = next((a for a in turn.actions if isinstance(a, Enqueue)), None)
    if enqueue is None:
        return
    state = enqueue.then.state
    try:
        services().queues.joined(field("CallSid", 64), now, menu=state.menu, node=state.node,
                                 queue=enqueue.queue, lang=state.lang, from_number=field("From", 64))
    except Exception:  # noqa: BLE001 - the caller still waits; only the live view misses them
        log.exception("could not note call %s joining queue %s", loggable(field("CallSid")),
                      enqueue.queue)
        return
    _ring(state.menu, state.node)


def _ring(menu_id: str, node_id: str, after: str = "") -> None:
    """Have the worker ring the queue's agents for the callers waiting (never raises).

    Only an outbox row is written here: Twilio's REST API is called by the worker
    (``ivr.queues.ring.install``), so the webhook answers without waiting for it.
    """
    svc = services()
    menu = svc.catalog.get(menu_id)
    node = menu.nodes.get(node_id) if menu is not None else None
    if node is None or node.kind != "queue" or not node.agents or svc.ringer.client_factory is None:
        return
    try:
        ring_later(svc.store.engine, menu.id, node.id, base_url(), after, svc.clock())
    except Exception:  # noqa: BLE001 - callers keep waiting; the next event rings again
        log.exception("could not ask to ring the agents of %s/%s", menu_id, node_id)


def _note_left(turn: Turn) -> None:
    leave = next((a for a in turn.actions if isinstance(a, Leave)), None)
    if leave is not None:
        services().queues.left(field("CallSid", 64), leave.reason)


@bp.post("/voice/queue/wait")
@twilio_only
@never_fail
def wait() -> Response:
    """What a waiting caller hears next: position, estimated wait, a message; or <Leave>."""
    svc = services()
    state = CallState.from_params(request.args)
    menu = svc.catalog.get(state.menu) if state else None
    if state is None or menu is None or state.node not in menu.nodes:
        return xml(LEAVE)  # the action URL (its own state) decides where the caller goes
    node = menu.nodes[state.node]
    agents = svc.queues.agents_available(menu.id, node.id, getattr(node, "agents", ()))
    rounds = state.pending.removeprefix("queue:")
    info = QueueWait(position=number("QueuePosition", 10_000), waited=number("QueueTime"),
                     average=number("AvgQueueTime"), size=number("CurrentQueueSize", 10_000),
                     round=int(rounds) if rounds.isdigit() else 0, agents=agents)
    now = svc.clock()
    turn = core.wait(menu, state, info, engine_now(now), svc.audio_available)
    if any(isinstance(a, Leave) for a in turn.actions):
        _note_left(turn)
        _record(turn, menu, now)
    return _render(turn)


@bp.post("/voice/queue/key")
@twilio_only
@idempotent
@never_fail
def key() -> Response:
    """A key pressed while waiting: the leave key answers <Leave>, any other goes on waiting."""
    svc = services()
    state = CallState.from_params(request.args)
    menu = svc.catalog.get(state.menu) if state else None
    if state is None or menu is None:
        return xml(LEAVE)
    digits = "".join(c for c in field("Digits", 8) if c in "0123456789*#")
    now = svc.clock()
    turn = core.step(menu, state, Input(digits=digits), engine_now(now), svc.audio_available,
                     caller=field("From"), queues=svc.queues)
    _note_left(turn)
    _record(turn, menu, now)
    return _render(turn)


@bp.post("/voice/queue/done")
@twilio_only
@idempotent
@never_fail
def done() -> Response:
    """The <Enqueue> action: the caller is out of the queue (answered, left, full, gone)."""
    svc = services()
    state = CallState.from_params(request.args)
    menu = svc.catalog.get(state.menu) if state else None
    if state is None or menu is None:
        # The voice webhook's own step, by its endpoint: it restarts the menu for the
        # number called, as for any unreadable state.
        return cast(Response, current_app.view_functions["voice.step"]())
    result = field("QueueResult", 32)
    result = result if result in QUEUE_RESULTS else "error"
    call_sid = field("CallSid", 64)
    waited = number("QueueTime")
    now = svc.clock()
    event = QueueEnded(result, waited, svc.queues.reason_of(call_sid) if result == "leave" else "")
    svc.queues.ended(call_sid, result, waited, now)
    turn = core.step(menu, state, event, engine_now(now), svc.audio_available,
                     caller=field("From"), lookups=svc.lookups, texts=_texts(now),
                     queues=svc.queues)
    note_joined(turn, now)
    _record(turn, menu, now)
    return _render(turn)


# ---- the agents' side -------------------------------------------------------------------


def _queue_node(menu_id: str, node_id: str) -> tuple[Any, Any]:
    menu = services().catalog.get(menu_id)
    node = menu.nodes.get(node_id) if menu is not None else None
    return (menu, node) if node is not None and node.kind == "queue" else (None, None)


@bp.post("/voice/queue/agent")
@twilio_only
@idempotent
@never_fail
def agent() -> Response:
    """An agent answered their ringing phone: the whisper, then the longest-waiting caller."""
    svc = services()
    menu, node = _queue_node(request.args.get("m", ""), request.args.get("n", ""))
    if menu is None:
        return xml(twiml.document([twiml.element("Hangup", {})]))
    first = next(iter(menu.languages.values()))
    say = {"voice": first.voice, "language": first.locale}
    queue = node.name_in(menu.id)
    head = svc.queues.head(queue)
    if head is None:
        return xml(twiml.document([
            twiml.element("Say", say, "No caller is waiting any more. Thank you."),
            twiml.element("Hangup", {})]))
    svc.recorder.flush()  # the caller's path so far
    path = [step["node"] for step in svc.store.journey(head["call_sid"])]
    svc.queues.taken_by(head["call_sid"], field("To", 64))
    connect = f"{base_url()}/voice/queue/connect?{urlencode({'m': menu.id})}"
    return xml(twiml.document([
        twiml.element("Say", say, whisper(menu, head, path, svc.clock())),
        twiml.element("Dial", {}, None, [twiml.element("Queue", {"url": connect, "method": "POST"},
                                                       queue)])]))


@bp.post("/voice/queue/connect")
@twilio_only
@never_fail
def connect() -> Response:
    """Played to the caller as an agent takes them: "connecting you", in their language."""
    svc = services()
    menu = svc.catalog.get(request.args.get("m", ""))
    lang = svc.queues.lang_of(field("CallSid", 64))
    if menu is None:
        return xml(twiml.document([]))
    language = menu.languages.get(lang) or next(iter(menu.languages.values()))
    table = menu.messages.get(language.code, {})
    text = table.get("queue_connect") or menu.messages[next(iter(menu.languages))].get(
        "queue_connect", "")
    return xml(twiml.document([twiml.element(
        "Say", {"voice": language.voice, "language": language.locale}, text)] if text else []))


@bp.post("/voice/queue/agent-status")
@twilio_only
@never_fail
def agent_status() -> Response:
    """Twilio's status callback for an agent's call: talking, or free (then ring again)."""
    status = field("CallStatus", 20)
    row = services().queues.agent_call(field("CallSid", 64), status)
    if row is not None and status not in ("in-progress", "answered", "ringing", "initiated",
                                          "queued"):
        unanswered = status in ("no-answer", "busy", "failed", "canceled")
        _ring(request.args.get("m", ""), request.args.get("n", ""),
              after=str(row["number"]) if unanswered else "")
    return Response(status=204)
