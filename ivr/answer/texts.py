"""Texts (SMS) to callers: "text me this", receipts, agents' replies, and their delivery.

Every text is a row in ``texts`` (the log agents see on the item it answers) and an
outbox row of the channel ``text`` (``ivr.notify``): webhooks and dashboard forms only
queue, the worker sends through twilio-python's Client with a status callback, retrying
with the outbox's backoff. Twilio's message status callbacks (``ivr.answer.texts_web``)
move a text forward only: a late "sent" never replaces "delivered", and a repeated
callback changes nothing.

In development with no Twilio account (``make run``), texts are ``local``: kept in the
texts log and nothing else, never sent, shown on the dashboard's local outbox and by
``ivr call``, so the demo can be seen texting. Production without an account refuses them.

Texts go only to numbers ``ivr.phones`` accepts (valid, not premium-rate or shared-cost)
that are mobiles, and each number receives at most ``IVR_SMS_DAILY_CAP`` texts in 24
hours, whoever sends them. Twilio answers STOP, START and HELP; ``ivr.answer.optouts`` keeps
the numbers that opted out (from STOP and from Twilio's error 21610) and no text is queued
to one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ivr import phones
from ivr.answer import linecaps, optouts
from ivr.data.tables import metadata
from ivr.engine import texts as verdicts
from ivr.engine.texts import MAX_BODY, TextRequest, segments
from ivr.menu.model import Menu
from ivr.notify import Channel, GiveUp, enqueue_in

log = logging.getLogger(__name__)
CHANNEL = "text"
DEFAULT_DAILY_CAP = 3
CAP_WINDOW = timedelta(hours=24)
SEND_DELAY = timedelta(seconds=0)  # a text to a caller goes out at the worker's next round
PURPOSES = ("text_me", "receipt", "reply", "notify")  # notify: to staff, local outbox only
AUTOMATIC = ("text_me", "receipt")  # texts a caller sets off: the line's hourly cap counts them
LOCAL = "local"  # the status of a text kept in the local outbox
KINDS = ("call", "voicemail", "callback")  # what a text is about (kind, ref)

texts = sa.Table(
    "texts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ref", sa.String(64), nullable=False),
    sa.Column("menu", sa.String(64)),
    sa.Column("lang", sa.String(16)),
    sa.Column("to_number", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("encoding", sa.String(8), nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("status_rank", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error_code", sa.String(16)),
    sa.Column("error", sa.Text),
    sa.Column("message_sid", sa.String(64), unique=True),
    sa.Column("sent_by", sa.Integer),  # the agent who replied (users.id); None: automatic
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_texts_number_day", "to_number", "created_at"),
    sa.Index("ix_texts_ref", "kind", "ref"),
)

# How far along a text is. A status callback applies only when it moves the text forward,
# so retried and reordered callbacks are harmless. Our own "pending" (in the outbox) is 0.
RANKS = {"local": 5, "pending": 0, "accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
         "delivered": 5, "undelivered": 5, "failed": 5, "canceled": 5, "read": 6}
FINAL = ("local", "delivered", "undelivered", "failed", "canceled", "read")
STATUS_WORDS = {"local": "in the local outbox (development: not sent)",
                "pending": "waiting to be sent", "accepted": "accepted by Twilio",
                "scheduled": "scheduled", "queued": "queued at Twilio", "sending": "sending",
                "sent": "sent to the carrier", "delivered": "delivered",
                "undelivered": "not delivered", "failed": "failed", "canceled": "canceled",
                "read": "read"}


@dataclass(frozen=True)
class TextSettings:
    """How texts are sent: from which number (or messaging service), the cap, the callback base."""

    sms_from: str = ""
    messaging_service_sid: str = ""
    daily_cap: int = DEFAULT_DAILY_CAP
    public_url: str = ""
    line_hourly_cap: int = linecaps.DEFAULT_LINE_HOURLY_CAP
    local: bool = False  # development, no Twilio account: texts stay in the local outbox

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, has_account: bool = True
                      ) -> TextSettings:
        """Read IVR_SMS_FROM, IVR_SMS_MESSAGING_SERVICE_SID, IVR_SMS_DAILY_CAP,
        IVR_SMS_LINE_HOURLY_CAP, IVR_PUBLIC_URL.

        ``has_account``: whether a Twilio account can send; without one, development keeps
        texts local and any other environment has none.
        """
        return cls(sms_from=str(settings.get("IVR_SMS_FROM") or ""),
                   messaging_service_sid=str(settings.get("IVR_SMS_MESSAGING_SERVICE_SID") or ""),
                   daily_cap=_count(settings, "IVR_SMS_DAILY_CAP", DEFAULT_DAILY_CAP),
                   public_url=str(settings.get("IVR_PUBLIC_URL") or "").rstrip("/"),
                   line_hourly_cap=_count(settings, "IVR_SMS_LINE_HOURLY_CAP",
                                          linecaps.DEFAULT_LINE_HOURLY_CAP),
                   local=not has_account and settings.get("IVR_ENV") == "development")

    @property
    def enabled(self) -> bool:
        """Whether texts can be sent at all (a sender is configured, or they stay local,
        and the cap is not 0)."""
        return (self.local or bool(self.sms_from or self.messaging_service_sid)) \
            and self.daily_cap > 0


def _count(settings: Mapping[str, Any], name: str, default: int) -> int:
    """A cap setting: a whole number, at least 0 (a wrong value keeps the default)."""
    try:
        return max(0, int(settings.get(name) or default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Target:
    """What an agent's reply answers: a voicemail or a callback request, and its caller."""

    kind: str  # "voicemail" or "callback"
    id: int
    number: str
    language: str
    menu: str = ""


def recipient(number: str) -> tuple[str, str]:
    """(E.164, "") when ``number`` may be texted, else ("", one of the engine's verdicts)."""
    raw = (number or "").strip()
    if not raw or raw.lower() in ("anonymous", "unknown", "restricted", "private", "blocked") \
            or raw.lower().startswith("client:"):
        return "", verdicts.WITHHELD
    checked = phones.check(raw)
    if not checked.ok:
        return "", verdicts.REFUSED
    if not checked.mobile:
        return "", verdicts.NOT_MOBILE
    return checked.e164, ""


def queue(engine: Engine, settings: TextSettings, *, key: str, purpose: str, kind: str, ref: str,
          number: str, body: str, now: datetime, menu: str = "", lang: str = "",
          sent_by: int | None = None, countries: frozenset[str] | None = None,
          line: str = "") -> str:
    """Check, count and queue one text; returns a verdict (``queued`` when it will be sent).

    ``countries``: where the text may go (None: no list); ``line``: the menu whose hourly
    cap of automatic texts it counts against ("" for an agent's reply). Idempotent on
    ``key``: the same key again is ``already`` and queues nothing.
    """
    if not settings.enabled:
        return verdicts.UNAVAILABLE
    e164, refused = recipient(number)
    if refused:
        return refused
    if not phones.in_countries(e164, countries):
        return verdicts.ABROAD
    body = body.strip()[:MAX_BODY]
    measured = segments(body)
    try:
        with engine.begin() as conn:
            _lock_number(conn, e164)
            if conn.execute(sa.select(texts.c.id).where(texts.c.key == key[:200])).first():
                return verdicts.ALREADY
            if optouts.opted_out_in(conn, e164):
                return verdicts.OPTED_OUT
            # Added first, then counted: on SQLite the insert holds the write lock, so two
            # requests for one number cannot both count before either adds (PostgreSQL: the lock).
            status = LOCAL if settings.local else "pending"
            added = conn.execute(sa.insert(texts).values(
                key=key[:200], purpose=purpose, kind=kind, ref=ref[:64], menu=menu[:64] or None,
                lang=lang[:16] or None, to_number=e164, body=body, encoding=measured.encoding,
                segments=measured.count, status=status, status_rank=RANKS[status],
                sent_by=sent_by, created_at=now, updated_at=now))
            text_id = (added.inserted_primary_key or (0,))[0]
            if _sent_recently(conn, e164, now) > settings.daily_cap:
                raise _OverCap
            if line:
                _lock(conn, "line:" + line)
                if _line_recently(conn, line, now) > settings.line_hourly_cap:
                    raise _LineFull
            if settings.local:
                return verdicts.QUEUED  # in the local outbox: nothing to send
            # In the same transaction: a text is in the log if and only if it is in the outbox.
            enqueue_in(conn, f"text:{text_id}", CHANNEL, {"text_id": int(text_id)}, now,
                       SEND_DELAY)
    except _OverCap:
        return verdicts.CAPPED
    except _LineFull:
        linecaps.record_trip(engine, line, now)
        log.warning("line %s: the hourly cap of automatic texts (%s) refused a text", line,
                    settings.line_hourly_cap)
        return verdicts.BUSY
    except sa.exc.IntegrityError:
        return verdicts.ALREADY  # the same request, added at the same moment by another worker
    return verdicts.QUEUED


class _OverCap(Exception):
    """The number has had its texts: undo the one just added."""


class _LineFull(Exception):
    """The line has sent its automatic texts for the hour: undo the one just added."""


def _lock_number(conn: Connection, e164: str) -> None:
    """On PostgreSQL, one transaction at a time counts and adds texts for a number."""
    _lock(conn, e164)


def _lock(conn: Connection, name: str) -> None:
    """A PostgreSQL advisory lock until the transaction ends (a number, then a line)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": "text:" + name})


def _line_recently(conn: Connection, line: str, now: datetime) -> int:
    """Automatic texts of a line in the last hour that were sent or will be."""
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(texts)
        .where(texts.c.menu == line[:64], texts.c.purpose.in_(AUTOMATIC),
               texts.c.created_at > now - linecaps.WINDOW,
               sa.or_(texts.c.status != "failed", texts.c.message_sid.is_not(None)))
    ).scalar_one())


def _sent_recently(conn: Connection, e164: str, now: datetime) -> int:
    """Texts to ``e164`` in the last 24 hours that were sent or will be."""
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(texts)
        .where(texts.c.to_number == e164, texts.c.created_at > now - CAP_WINDOW,
               sa.or_(texts.c.status != "failed", texts.c.message_sid.is_not(None)))
    ).scalar_one())


class CallTexts:
    """The engine's Texts port for one webhook request: texts to this call's caller."""

    def __init__(self, engine: Engine, settings: TextSettings, call_sid: str, caller: str,
                 now: datetime, countries: Callable[[str], frozenset[str] | None] | None = None
                 ) -> None:
        self.engine = engine
        self.settings = settings
        self.call_sid = call_sid
        self.caller = caller  # Twilio's From: the only number a call's texts go to
        self.now = now
        self.countries = countries or (lambda _menu: None)  # menu id -> allowed countries

    def request(self, text: TextRequest) -> str:
        """Queue ``text`` to the caller: once per call and node, in an allowed country,
        within the number's daily cap and the line's hourly cap."""
        try:
            return queue(self.engine, self.settings, key=f"text_me:{self.call_sid}:{text.node}",
                         purpose="text_me", kind="call", ref=self.call_sid, number=self.caller,
                         body=text.body, now=self.now, menu=text.menu, lang=text.lang,
                         countries=self.countries(text.menu), line=text.menu)
        except sa.exc.SQLAlchemyError:
            log.exception("could not queue a text for call %s", self.call_sid)
            return verdicts.UNAVAILABLE


def send_receipt(engine: Engine, settings: TextSettings, menu: Menu | None, language: str,
                 number: str, kind: str, ref: int | str, now: datetime, *, caller: str,
                 countries: frozenset[str] | None) -> str:
    """Text the caller the menu's receipt for a voicemail or callback request, if it sends one.

    Only to ``caller``, the number that called (Twilio's From): a number keyed during the
    call (a callback to another phone) is called back but never texted.
    """
    body = menu.receipt(language) if menu is not None else ""
    if not body:
        return "off"
    e164, _ = recipient(number)
    if not e164 or e164 != recipient(caller)[0]:
        log.info("receipt for %s %s: not the number that called", kind, ref)
        return "keyed"
    verdict = queue(engine, settings, key=f"receipt:{kind}:{ref}", purpose="receipt", kind=kind,
                    ref=str(ref), number=number, body=body, now=now, menu=menu.id if menu else "",
                    lang=language, countries=countries, line=menu.id if menu else "")
    log.info("receipt for %s %s: %s", kind, ref, verdict)
    return verdict


def reply(engine: Engine, settings: TextSettings, target: Target, body: str, user_id: int,
          token: str, now: datetime, countries: frozenset[str] | None = None) -> str:
    """An agent's text to the caller of a voicemail or callback (``token``: the form's, once).

    Checked like automatic texts for the number's type and ``countries``, within the
    number's daily cap (not the line's hourly cap: an agent is no bot); kept with the agent.
    """
    if target.kind not in ("voicemail", "callback"):
        raise ValueError(f"cannot reply to a {target.kind!r}")
    verdict = queue(engine, settings, key=f"reply:{target.kind}:{target.id}:{token[:64]}",
                    purpose="reply", kind=target.kind, ref=str(target.id), number=target.number,
                    body=body, now=now, menu=target.menu, lang=target.language, sent_by=user_id,
                    countries=countries)
    log.info("reply by agent %s to %s %s (%s): %s", user_id, target.kind, target.id,
             phones.mask(target.number), verdict)
    return verdict


def texts_about(engine: Engine, kind: str, ref: int | str,
                call_sid: str | None = None) -> list[dict[str, Any]]:
    """The texts sent about one item (receipt, replies), and during its call if given, oldest first."""
    match = sa.and_(texts.c.kind == kind, texts.c.ref == str(ref))
    if call_sid:
        match = sa.or_(match, sa.and_(texts.c.kind == "call", texts.c.ref == call_sid))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(texts).where(match).order_by(texts.c.id)).all()
    return [{**row._mapping, "status_words": STATUS_WORDS.get(row.status, row.status)}
            for row in rows]


def keep_local(engine: Engine, *, key: str, purpose: str, kind: str, ref: str, number: str,
               body: str, now: datetime) -> None:
    """Put a text the service would send through Twilio (a staff notification) in the local
    outbox instead; the same key again adds nothing."""
    body = body.strip()[:MAX_BODY]
    measured = segments(body)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(texts).values(
                key=key[:200], purpose=purpose, kind=kind, ref=ref[:64], to_number=number[:32],
                body=body, encoding=measured.encoding, segments=measured.count, status=LOCAL,
                status_rank=RANKS[LOCAL], created_at=now, updated_at=now))
    except sa.exc.IntegrityError:
        return  # already there


def local_outbox(engine: Engine, *, after: int = 0, number: str = "",
                 limit: int = 200) -> list[dict[str, Any]]:
    """Texts kept in the local outbox, newest first (``after``: only those with a higher id,
    oldest first; ``number``: only to that number)."""
    query = sa.select(texts).where(texts.c.status == LOCAL, texts.c.id > after)
    if number:
        query = query.where(texts.c.to_number == number)
    query = query.order_by(texts.c.id if after else texts.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def last_text_id(engine: Engine) -> int:
    """The id of the newest text (0 when there is none): where a watcher starts."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(texts.c.id))).scalar() or 0)


def get_text(engine: Engine, text_id: int) -> dict[str, Any] | None:
    """One text by id."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(texts).where(texts.c.id == text_id)).first()
    return dict(row._mapping) if row else None


def apply_status(engine: Engine, text_id: int, status: str, now: datetime, *,
                 message_sid: str = "", error_code: str = "") -> bool:
    """Move a text to ``status`` if that is further along; True when something changed.

    One conditional UPDATE: a repeated callback, or one overtaken by a later status, matches
    no row. A callback for another message (a different MessageSid) never applies.
    """
    rank = RANKS.get(status)
    if rank is None:
        return False
    values: dict[str, Any] = {"status": status, "status_rank": rank, "updated_at": now}
    if message_sid:
        values["message_sid"] = message_sid
    if error_code:
        values["error_code"] = error_code[:16]
    match = [texts.c.id == text_id, texts.c.status_rank < rank]
    if message_sid:
        match.append(sa.or_(texts.c.message_sid.is_(None), texts.c.message_sid == message_sid))
    with engine.begin() as conn:
        return bool(conn.execute(sa.update(texts).where(*match).values(**values)).rowcount)


class TextSender:
    """Sends queued texts through Twilio's REST API (the outbox channel ``text``)."""

    def __init__(self, engine: Engine, settings: TextSettings,
                 client: Callable[[], Any] | None, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.settings = settings
        self.client = client
        self.clock = clock

    def channel(self) -> Channel:
        """This sender as an outbox channel."""
        return Channel(deliver=self.deliver, gave_up=self.gave_up)

    def deliver(self, payload: Mapping[str, Any]) -> None:
        """Send one text; raises to be retried, GiveUp when Twilio refuses it for good."""
        text = get_text(self.engine, int(payload.get("text_id") or 0))
        if text is None:
            raise GiveUp("the text is no longer in the log")
        if text["status_rank"] > 0 or text["message_sid"]:
            return  # already handed to Twilio (a retry after a crash): never send twice
        if self.client is None:
            raise RuntimeError("no Twilio account configured for texts (TWILIO_ACCOUNT_SID)")
        params: dict[str, Any] = {"to": text["to_number"], "body": text["body"]}
        if self.settings.messaging_service_sid:
            params["messaging_service_sid"] = self.settings.messaging_service_sid
        else:
            params["from_"] = self.settings.sms_from
        if self.settings.public_url:
            params["status_callback"] = f"{self.settings.public_url}/sms/status?t={text['id']}"
        from twilio.base.exceptions import TwilioRestException

        try:
            message = self.client().messages.create(**params)
        except TwilioRestException as exc:
            if 400 <= int(exc.status or 0) < 500 and exc.status != 429:
                self._refused(text["id"], exc)
                raise GiveUp(f"Twilio refused the text: {exc.code} {exc.msg}"[:500]) from exc
            raise
        apply_status(self.engine, text["id"], str(getattr(message, "status", "") or "queued"),
                     self.clock(), message_sid=str(message.sid))

    def _refused(self, text_id: int, exc: Any) -> None:
        """Twilio said no (opted out, not a mobile, invalid): the text failed, with the reason."""
        if str(exc.code) == optouts.OPTED_OUT_ERROR:
            text = get_text(self.engine, text_id)
            if text is not None:
                optouts.record_opt_out(self.engine, text["to_number"], optouts.ERROR_21610,
                                       self.clock())
        with self.engine.begin() as conn:
            conn.execute(sa.update(texts).where(texts.c.id == text_id, texts.c.status_rank == 0)
                         .values(status="failed", status_rank=RANKS["failed"],
                                 error_code=str(exc.code or exc.status)[:16],
                                 error=str(exc.msg or "")[:500], updated_at=self.clock()))

    def gave_up(self, payload: Mapping[str, Any], error: str) -> None:
        """The outbox stopped retrying: mark the text failed unless Twilio already has it."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(texts).where(texts.c.id == int(payload.get("text_id") or 0),
                                                texts.c.status_rank == 0)
                         .values(status="failed", status_rank=RANKS["failed"], error=error[:500],
                                 updated_at=self.clock()))
