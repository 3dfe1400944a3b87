"""Agents calling callers back: the attempt, the REST call, the bridge TwiML, the outcome.

"Call back" writes an attempt and an outbox row; the outbox places the call through
twilio-python's Client to the agent's own phone (at once, then with backoff after a
REST failure: the request is never lost and stays in the queue). When the agent
answers, their leg hears a short whisper ("Callback for ..., about ...") and dials
the caller; the caller's leg hears who is calling back, in their language, and is
bridged. Twilio's status callbacks for both legs (and the <Dial> action) decide the
outcome. Each leg's status only moves forward (queued < ringing < in-progress < a final
status), with one conditional UPDATE, so retries and reordering apply exactly once, and
only the update that first reaches "answered" closes the item.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr import phones
from ivr.answer.callbacks import CallbackStore
from ivr.data.tables import metadata
from ivr.notify import enqueue, outbox

log = logging.getLogger(__name__)

CHANNEL = "call"  # the outbox channel of agents' calls
MAX_TRIES = 4  # REST attempts before giving up (15 s, 30 s, 60 s apart)
FIRST_RETRY = 15  # seconds
RING_SECONDS = 30  # how long the agent's phone, then the caller's, rings
LEG_EVENTS = ["initiated", "ringing", "answered", "completed"]
STALE = timedelta(minutes=15)  # an attempt Twilio never reported on no longer blocks another
# A leg's statuses in the order they can happen; a lower one never replaces a higher one.
RANK = {"queued": 1, "initiated": 1, "ringing": 2, "in-progress": 3, "answered": 3,
        "completed": 4, "busy": 4, "no-answer": 4, "failed": 4, "canceled": 4}
CALLER_OUTCOME = {"in-progress": "answered", "answered": "answered", "completed": "answered",
                  "busy": "busy", "no-answer": "no_answer", "failed": "failed",
                  "canceled": "no_answer"}
AGENT_OUTCOME = {"busy": "agent_busy", "no-answer": "agent_no_answer", "failed": "agent_failed",
                 "canceled": "agent_no_answer"}
OUTCOME_TEXT = {
    "placing": "Placing the call", "retrying": "Could not place the call yet; retrying",
    "not_placed": "The call could not be placed", "ringing_agent": "Ringing your phone",
    "connecting": "You answered; calling the caller", "answered": "Answered",
    "busy": "The caller's line was busy", "no_answer": "The caller did not answer",
    "failed": "The call to the caller failed", "agent_busy": "Your phone was busy",
    "agent_no_answer": "Your phone did not answer", "agent_failed": "Your phone could not be reached",
    "agent_left": "You hung up before the caller answered",
    "texted": "Answered by text",
}
FINAL = {"answered", "busy", "no_answer", "failed", "agent_busy", "agent_no_answer",
         "agent_failed", "agent_left", "not_placed"}

call_attempts = sa.Table(
    "call_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_kind", sa.String(10), nullable=False),  # callback | voicemail
    sa.Column("item_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("agent_phone", sa.String(20), nullable=False),
    sa.Column("caller_number", sa.String(20), nullable=False),
    sa.Column("from_number", sa.String(20), nullable=False),  # our number, shown to both
    sa.Column("whisper", sa.String(300), nullable=False),  # what the agent hears first
    sa.Column("menu", sa.String(64)),
    sa.Column("lang", sa.String(16)),
    sa.Column("agent_call_sid", sa.String(64), unique=True),
    sa.Column("caller_call_sid", sa.String(64)),
    sa.Column("agent_status", sa.String(20), nullable=False, server_default=""),
    sa.Column("agent_rank", sa.Integer, nullable=False, server_default="0"),
    sa.Column("caller_status", sa.String(20), nullable=False, server_default=""),
    sa.Column("caller_rank", sa.Integer, nullable=False, server_default="0"),
    sa.Column("outcome", sa.String(20), nullable=False, server_default="placing"),
    sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.String(300)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_call_attempts_item", "item_kind", "item_id", "id"),
)


class CallNotPlaced(RuntimeError):
    """Twilio refused the call, or could not be reached (retried through the outbox)."""


class Calls:
    """Attempts in the database and what each status callback changes."""

    def __init__(self, engine: Engine, callbacks: CallbackStore,
                 close_voicemail: Callable[[sa.Connection, int, int | None, datetime], bool]
                 ) -> None:
        self.engine = engine
        self.callbacks = callbacks
        self.close_voicemail = close_voicemail

    def start(self, *, item_kind: str, item_id: int, user_id: int, agent_phone: str,
              caller_number: str, from_number: str, whisper: str, menu: str | None,
              lang: str | None, base_url: str, now: datetime) -> int:
        """Write an attempt and its outbox row (placed at once by the caller of this)."""
        with self.engine.begin() as conn:
            attempt_id = int(conn.execute(sa.insert(call_attempts).values(
                item_kind=item_kind, item_id=item_id, user_id=user_id, agent_phone=agent_phone,
                caller_number=caller_number, from_number=from_number, whisper=whisper[:300],
                menu=menu, lang=lang, created_at=now, updated_at=now)
                .returning(call_attempts.c.id)).scalar_one())
        enqueue(self.engine, outbox_key(attempt_id), CHANNEL,
                {"attempt_id": attempt_id, "base_url": base_url}, now, delay=timedelta(0))
        return attempt_id

    def get(self, attempt_id: int) -> dict[str, Any] | None:
        """One attempt."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(call_attempts).where(
                call_attempts.c.id == attempt_id)).first()
        return dict(row._mapping) if row else None

    def for_item(self, item_kind: str, item_id: int) -> list[dict[str, Any]]:
        """The attempts on a callback or voicemail, newest first, with the outbox's next try."""
        c = call_attempts.c
        query = (sa.select(call_attempts, outbox.c.next_attempt_at.label("next_try"))
                 .outerjoin(outbox, sa.and_(outbox.c.key == sa.literal("call:", sa.String)
                                            + sa.cast(c.id, sa.String),
                                            outbox.c.status == "pending"))
                 .where(c.item_kind == item_kind, c.item_id == item_id).order_by(c.id.desc()))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def for_number(self, number: str, limit: int = 100) -> list[dict[str, Any]]:
        """Every call agents placed to ``number``, newest first."""
        query = (sa.select(call_attempts).where(call_attempts.c.caller_number == number)
                 .order_by(call_attempts.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def active(self, item_kind: str, item_id: int, now: datetime) -> bool:
        """Whether a call on this item is under way (one silent for STALE is not)."""
        c = call_attempts.c
        query = sa.select(c.id).where(c.item_kind == item_kind, c.item_id == item_id,
                                      c.outcome.not_in(sorted(FINAL)),
                                      c.updated_at > now - STALE).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    # ---- the REST call's fate ---------------------------------------------------------

    def placed(self, attempt_id: int, call_sid: str, now: datetime) -> None:
        """Twilio took the call to the agent's phone."""
        c = call_attempts.c
        with self.engine.begin() as conn:
            conn.execute(sa.update(call_attempts).where(c.id == attempt_id).values(
                agent_call_sid=call_sid, tries=c.tries + 1, error=None, updated_at=now,
                outcome=sa.case((c.outcome.in_(("placing", "retrying")), "ringing_agent"),
                                else_=c.outcome)))

    def not_placed(self, attempt_id: int, error: str, final: bool, now: datetime) -> None:
        """The REST call failed: logged on the attempt; the item is queued again when final."""
        c = call_attempts.c
        with self.engine.begin() as conn:
            changed = conn.execute(sa.update(call_attempts).where(
                c.id == attempt_id, c.agent_call_sid.is_(None), c.outcome.not_in(sorted(FINAL)))
                .values(tries=c.tries + 1, error=error[:300], updated_at=now,
                        outcome="not_placed" if final else "retrying")).rowcount
            if final and changed:
                self._ended(conn, attempt_id, "not_placed", now)

    # ---- Twilio's status callbacks ------------------------------------------------------

    def agent_status(self, attempt_id: int, call_sid: str, status: str, now: datetime) -> bool:
        """The agent's leg moved on; True when this report changed anything."""
        rank = RANK.get(status)
        if rank is None:
            return False
        c = call_attempts.c
        with self.engine.begin() as conn:
            changed = conn.execute(sa.update(call_attempts).where(
                c.id == attempt_id, c.agent_rank < rank,
                sa.or_(c.agent_call_sid.is_(None), c.agent_call_sid == call_sid))
                .values(agent_status=status, agent_rank=rank, agent_call_sid=call_sid,
                        updated_at=now)).rowcount == 1
            if not changed:
                return False
            attempt = conn.execute(sa.select(call_attempts).where(c.id == attempt_id)).one()
            if status == "in-progress" and attempt.outcome in ("placing", "retrying",
                                                               "ringing_agent"):
                conn.execute(sa.update(call_attempts).where(c.id == attempt_id)
                             .values(outcome="connecting"))
            elif status in AGENT_OUTCOME and attempt.caller_rank == 0:
                self._finish(conn, attempt_id, AGENT_OUTCOME[status], now)
            elif status == "completed" and attempt.caller_rank == 0:
                # The agent hung up during the whisper, before the caller was dialled.
                self._finish(conn, attempt_id, "agent_left", now)
        return True

    def caller_status(self, attempt_id: int, call_sid: str, status: str, now: datetime) -> bool:
        """The caller's leg (or the <Dial>'s result) moved on; True when this changed anything."""
        rank = RANK.get(status)
        if rank is None:
            return False
        c = call_attempts.c
        with self.engine.begin() as conn:
            changed = conn.execute(sa.update(call_attempts).where(
                c.id == attempt_id, c.caller_rank < rank)
                .values(caller_status=status, caller_rank=rank, updated_at=now,
                        caller_call_sid=sa.func.coalesce(c.caller_call_sid, call_sid or None))
                ).rowcount == 1
            if changed and status in CALLER_OUTCOME:
                self._finish(conn, attempt_id, CALLER_OUTCOME[status], now)
        return changed

    def _finish(self, conn: sa.Connection, attempt_id: int, outcome: str, now: datetime) -> None:
        """Set the attempt's outcome once (answered wins over anything said before)."""
        c = call_attempts.c
        condition = (c.outcome != "answered") if outcome == "answered" else \
            c.outcome.not_in(sorted(FINAL))
        done = conn.execute(sa.update(call_attempts).where(c.id == attempt_id, condition)
                            .values(outcome=outcome, updated_at=now)).rowcount
        if done:
            self._ended(conn, attempt_id, outcome, now)

    def _ended(self, conn: sa.Connection, attempt_id: int, outcome: str, now: datetime) -> None:
        """Close the item when the caller answered, else put a callback back in the queue."""
        attempt = conn.execute(sa.select(call_attempts).where(
            call_attempts.c.id == attempt_id)).one()
        if attempt.item_kind == "callback":
            if outcome == "answered":
                self.callbacks.close(attempt.item_id, attempt.user_id, "answered", now, conn)
            else:
                self.callbacks.release(attempt.item_id, outcome, now, conn)
        elif attempt.item_kind == "voicemail" and outcome == "answered":
            self.close_voicemail(conn, attempt.item_id, attempt.user_id, now)


def outbox_key(attempt_id: int) -> str:
    """The outbox key of an attempt's REST call (one per attempt: placed once)."""
    return f"call:{attempt_id}"


class Dialer:
    """The outbox's handler for agents' calls: places them through twilio-python's Client."""

    channel = CHANNEL
    max_attempts = MAX_TRIES
    first_retry = FIRST_RETRY

    def __init__(self, calls: Calls, client_factory: Callable[[], Any] | None,
                 clock: Callable[[], datetime]) -> None:
        self.calls = calls
        self.client_factory = client_factory
        self.clock = clock

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """Place one attempt's call (nothing when it was placed already); raises on failure."""
        attempt = self.calls.get(int(payload.get("attempt_id") or 0))
        if attempt is None or attempt["agent_call_sid"] or attempt["outcome"] in FINAL:
            return
        base = str(payload.get("base_url") or "").rstrip("/")
        try:
            if self.client_factory is None:
                raise CallNotPlaced("no Twilio account is configured (TWILIO_ACCOUNT_SID)")
            if not base.startswith(("https://", "http://")):
                raise CallNotPlaced("no public URL for Twilio to fetch the call's TwiML")
            urls = leg_urls(base, attempt["id"])
            call = self.client_factory().calls.create(
                to=attempt["agent_phone"], from_=attempt["from_number"], url=urls["agent"],
                method="POST", status_callback=urls["status"], status_callback_method="POST",
                status_callback_event=LEG_EVENTS, timeout=RING_SECONDS)
        except Exception as exc:
            error = _why(exc)
            self.calls.not_placed(attempt["id"], error, False, self.clock())
            raise CallNotPlaced(error) from exc
        self.calls.placed(attempt["id"], str(call.sid), self.clock())

    def gave_up(self, payload: Mapping[str, Any], error: str) -> None:
        """The outbox stops retrying: the attempt failed, the callback is queued again."""
        self.calls.not_placed(int(payload.get("attempt_id") or 0), error, True, self.clock())


def _why(exc: Exception) -> str:
    """A REST failure in a line an agent can act on (Twilio's HTTP status and error code)."""
    status = getattr(exc, "status", None)
    if status is not None:  # twilio.base.exceptions.TwilioRestException
        code = getattr(exc, "code", None)
        return (f"Twilio answered HTTP {status}" + (f" (error {code})" if code else "")
                + f": {getattr(exc, 'msg', '') or exc}")[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def leg_urls(base: str, attempt_id: int) -> dict[str, str]:
    """The URLs Twilio requests for an attempt (signed by Twilio like every webhook)."""
    root = f"{base}/answer/calls/{attempt_id}"
    return {"agent": f"{root}/agent", "status": f"{root}/status", "caller": f"{root}/caller",
            "caller_status": f"{root}/caller-status", "dialed": f"{root}/dialed"}


# ---- what each leg hears ------------------------------------------------------------------

WHISPER = "Callback for {number}{lang}{about}. Connecting you now."
AGENT_AFTER = {"answered": "", "busy": "The caller's line is busy.",
               "no_answer": "The caller did not answer.", "failed": "The call could not go through."}
CALLER_GREETING = {
    "en": "Hello, {name} is calling you back as you asked. Connecting you to an agent now.",
    "fr": "Bonjour, {name} vous rappelle comme vous l'avez demandé. Nous vous mettons en relation "
          "avec un conseiller.",
    "ro": "Bună ziua, {name} vă sună înapoi, așa cum ați cerut. Vă facem legătura cu un coleg.",
}


def spoken_number(e164: str) -> str:
    """A number as a whisper reads it: digit groups, each digit apart ("0 6, 1 2, ...")."""
    return ", ".join(" ".join(group) for group in phones.digits_to_read(e164))


def whisper_text(number: str, lang_name: str, about: str) -> str:
    """What the agent hears when they answer (short: the caller is waiting)."""
    return WHISPER.format(number=spoken_number(number),
                          lang=f", in {lang_name}" if lang_name else "",
                          about=f", about {about}" if about else "")[:300]


def agent_leg(attempt: Mapping[str, Any], base: str) -> str:
    """TwiML for the agent's leg: the whisper, then dial the caller and bridge."""
    urls = leg_urls(base, int(attempt["id"]))
    response = VoiceResponse()
    response.say(attempt["whisper"], voice="Polly.Joanna", language="en-US")
    dial = Dial(caller_id=attempt["from_number"], action=urls["dialed"], method="POST",
                timeout=RING_SECONDS, answer_on_bridge=True)
    dial.number(attempt["caller_number"], url=urls["caller"], method="POST",
                status_callback=urls["caller_status"], status_callback_method="POST",
                status_callback_event=" ".join(LEG_EVENTS))
    response.append(dial)
    return str(response)


def after_dial(outcome: str) -> str:
    """TwiML for the agent once the <Dial> ended: how it went, then hang up."""
    response = VoiceResponse()
    if AGENT_AFTER.get(outcome):
        response.say(AGENT_AFTER[outcome], voice="Polly.Joanna", language="en-US")
    response.hangup()
    return str(response)


def caller_leg(name: str, lang: str, locale: str, voice: str) -> str:
    """TwiML for the caller's leg when they answer: who is calling back, in their language."""
    text = CALLER_GREETING.get(lang.split("-")[0], CALLER_GREETING["en"]).format(name=name)
    response = VoiceResponse()
    response.say(text, voice=voice, language=locale)
    return str(response)


def empty() -> str:
    """An empty answer: the caller's leg is bridged without a word (never an error)."""
    return str(VoiceResponse())


def unavailable() -> str:
    """TwiML for an agent's leg that cannot be bridged (the attempt is gone)."""
    response = VoiceResponse()
    response.say("Sorry, this callback cannot be connected.", voice="Polly.Joanna",
                 language="en-US")
    response.hangup()
    return str(response)


__all__ = ["CallNotPlaced", "Calls", "Dialer", "agent_leg", "caller_leg", "whisper_text"]
