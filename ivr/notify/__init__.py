"""Telling the team about new voicemails: an outbox in the database, drained by a worker.

Nothing is sent inside a Twilio webhook: the webhook only adds a row to the outbox
(idempotently, keyed per voicemail and channel). The worker (`ivr worker`, or a
thread inside the app in development) sends due rows, retrying with exponential
backoff; a row that keeps failing is marked failed and shown to admins.

Other outbound work rides the same outbox as its own channel: texts to callers
(``ivr.answer.texts``) register a ``Channel`` with the Sender, which then delivers their
rows with the same backoff, and tells the channel when it gives up.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ivr.data.tables import metadata, upsert_insert

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=10)  # let the Record action's details arrive first
BACKOFF_BASE = 30  # seconds; doubles per attempt, capped at an hour

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
)



class GiveUp(Exception):
    """A failure that retrying cannot fix (say, a number that opted out): no more attempts."""


@dataclass(frozen=True)
class Channel:
    """An outbox channel besides the notifications: how to send a row, and what to do at the end."""

    deliver: Callable[[Mapping[str, Any]], None]  # raises to retry later, GiveUp to stop
    gave_up: Callable[[Mapping[str, Any], str], None] | None = None  # the row failed for good
    max_attempts: int = MAX_ATTEMPTS  # tries before giving up
    first_retry: int = BACKOFF_BASE  # seconds before the second try, doubling


@dataclass(frozen=True)
class Channels:
    """Where notifications go, from the environment (empty = that channel is off)."""

    sms_to: str = ""
    sms_from: str = ""
    email_to: str = ""
    email_from: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: bool = False
    webhook_url: str = ""
    dashboard_url: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Channels:
        """Read the IVR_NOTIFY_* and SMTP_* settings."""
        public = str(settings.get("IVR_PUBLIC_URL") or "").rstrip("/")
        return cls(
            sms_to=str(settings.get("IVR_NOTIFY_SMS_TO") or ""),
            sms_from=str(settings.get("IVR_NOTIFY_SMS_FROM") or ""),
            email_to=str(settings.get("IVR_NOTIFY_EMAIL_TO") or ""),
            email_from=str(settings.get("IVR_NOTIFY_EMAIL_FROM") or "ivr@localhost"),
            smtp_host=str(settings.get("SMTP_HOST") or ""),
            smtp_port=int(settings.get("SMTP_PORT") or 25),
            smtp_user=str(settings.get("SMTP_USER") or ""),
            smtp_password=str(settings.get("SMTP_PASSWORD") or ""),
            smtp_tls=str(settings.get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"),
            webhook_url=str(settings.get("IVR_NOTIFY_WEBHOOK_URL") or ""),
            dashboard_url=f"{public}/dashboard" if public else "",
        )

    def enabled(self) -> list[str]:
        """The channels that are configured."""
        out = []
        if self.sms_to and self.sms_from:
            out.append("sms")
        if self.email_to and self.smtp_host:
            out.append("email")
        if self.webhook_url:
            out.append("webhook")
        return out


def enqueue(engine: Engine, key: str, channel: str, payload: Mapping[str, Any],
            now: datetime, delay: timedelta = FIRST_DELAY) -> None:
    """Add a notification unless one with ``key`` exists (repeats add nothing)."""
    with engine.begin() as conn:
        enqueue_in(conn, key, channel, payload, now, delay)


def enqueue_in(conn: Connection, key: str, channel: str, payload: Mapping[str, Any],
               now: datetime, delay: timedelta = FIRST_DELAY) -> None:
    """``enqueue`` inside the caller's transaction: the row exists if and only if it commits."""
    stmt = upsert_insert(conn.engine, outbox).values(
        key=key[:200], channel=channel, payload=json.dumps(payload), status="pending",
        attempts=0, next_attempt_at=now + delay, created_at=now)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


def notify_voicemail(engine: Engine, channels: Channels, voicemail_id: int,
                     recording_sid: str, now: datetime) -> None:
    """Queue one notification per configured channel for a new voicemail."""
    for channel in channels.enabled():
        enqueue(engine, f"voicemail:{recording_sid}:{channel}", channel,
                {"voicemail_id": voicemail_id}, now)


def backlog(engine: Engine) -> int:
    """Notifications still waiting to be sent."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                .where(outbox.c.status == "pending")).scalar_one())


def list_failed_deliveries(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    """Notifications given up on, newest first (the admin dashboard shows them)."""
    query = (sa.select(outbox.c.id, outbox.c.channel, outbox.c.key, outbox.c.attempts,
                       outbox.c.last_error, outbox.c.created_at)
             .where(outbox.c.status == "failed").order_by(outbox.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def message_text(voicemail: Mapping[str, Any] | None, dashboard_url: str) -> str:
    """What a notification says about a voicemail."""
    if voicemail is None:
        return "New voicemail."
    who = voicemail.get("from_number") or "an unknown caller"
    seconds = voicemail.get("duration")
    parts = [f"New voicemail from {who}"]
    if seconds:
        parts[0] += f" ({seconds} s"
        parts[0] += f", {voicemail.get('lang')})" if voicemail.get("lang") else ")"
    if voicemail.get("menu"):
        parts.append(f"menu {voicemail['menu']}")
    text = ", ".join(parts) + "."
    if voicemail.get("transcript"):
        text += f' "{str(voicemail["transcript"])[:300]}"'
    if dashboard_url:
        text += f" {dashboard_url}/voicemails/{voicemail.get('id')}"
    return text


class Sender:
    """Delivers outbox rows over SMS (Twilio REST), e-mail (SMTP) and webhooks (JSON).

    ``handlers`` take other channels (texts to callers, an agent's call placed through
    Twilio's REST API): each says how often it is retried and hears when the outbox gives up.
    """

    def __init__(self, engine: Engine, channels: Channels, *,
                 twilio_client: Callable[[], Any] | None = None,
                 load_voicemail: Callable[[int], Mapping[str, Any] | None] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 handlers: Mapping[str, Channel] | None = None) -> None:
        self.engine = engine
        self.channels = channels
        self.handlers: dict[str, Channel] = dict(handlers or {})
        self.twilio_client = twilio_client
        self.load_voicemail = load_voicemail or (lambda _id: None)
        self.clock = clock
        # Development without a Twilio account: SMS notifications go here (number, text, payload).
        self.local_sms: Callable[[str, str, Mapping[str, Any]], None] | None = None

    def send_due(self, limit: int = 20) -> int:
        """Send what is due; returns how many were delivered."""
        now = self.clock()
        with self.engine.connect() as conn:
            due = [dict(r._mapping) for r in conn.execute(
                sa.select(outbox).where(outbox.c.status == "pending",
                                        outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.next_attempt_at).limit(limit))]
        return sum(self._send(row, now) for row in due)

    def send_now(self, key: str) -> bool:
        """Send one row at once if it is due (an agent waiting for their phone to ring)."""
        now = self.clock()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(outbox).where(
                outbox.c.key == key, outbox.c.status == "pending",
                outbox.c.next_attempt_at <= now)).first()
        return row is not None and self._send(dict(row._mapping), now)

    def _send(self, row: Mapping[str, Any], now: datetime) -> bool:
        """Deliver one row, or note the failure and when to retry."""
        # Claim the row for this try: the worker and a request never send it twice at once.
        with self.engine.begin() as conn:
            claimed = conn.execute(sa.update(outbox).where(
                outbox.c.id == row["id"], outbox.c.status == "pending",
                outbox.c.next_attempt_at <= now).values(
                    next_attempt_at=now + timedelta(minutes=5))).rowcount == 1
        if not claimed:
            return False
        try:
            self.deliver(row["channel"], json.loads(row["payload"]))
        except GiveUp as exc:
            self._failed(row, f"{exc}"[:500], now, final=True)
            return False
        except Exception as exc:  # noqa: BLE001 - any channel failure is retried
            self._failed(row, f"{type(exc).__name__}: {exc}"[:500], now)
            return False
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == row["id"]).values(
                status="sent", sent_at=now, attempts=row["attempts"] + 1, last_error=None))
        return True

    def register(self, channel: str, handler: Channel) -> None:
        """Deliver the outbox rows of ``channel`` with ``handler``."""
        self.handlers[channel] = handler

    def _failed(self, row: Mapping[str, Any], error: str, now: datetime,
                final: bool = False) -> None:
        attempts = row["attempts"] + 1
        handler = self.handlers.get(str(row["channel"]))
        limit = handler.max_attempts if handler is not None else MAX_ATTEMPTS
        base = handler.first_retry if handler is not None else BACKOFF_BASE
        final = final or attempts >= limit
        from ivr.ops.metrics import notification_failed  # imported late: see ivr.ops

        notification_failed(str(row["channel"]))
        wait = timedelta(seconds=min(3600, base * 2 ** (attempts - 1)))
        log.warning("notification %s (%s) failed, attempt %d%s: %s", row["key"], row["channel"],
                    attempts, " - giving up" if final else "", error)
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == row["id"]).values(
                attempts=attempts, last_error=error, next_attempt_at=now + wait,
                status="failed" if final else "pending"))
        if final and handler is not None and handler.gave_up is not None:
            try:
                handler.gave_up(json.loads(row["payload"]), error)
            except Exception:  # noqa: BLE001 - the outbox row is already marked failed
                log.exception("channel %s could not record a failure", row["channel"])

    def deliver(self, channel: str, payload: Mapping[str, Any]) -> None:
        """Send one notification; raises on failure."""
        if channel in self.handlers:
            self.handlers[channel].deliver(payload)
            return
        voicemail = self.load_voicemail(int(payload.get("voicemail_id") or 0))
        text = message_text(voicemail, self.channels.dashboard_url)
        if channel == "sms":
            if self.twilio_client is None and self.local_sms is not None:
                self.local_sms(self.channels.sms_to, text[:1500], payload)
                return
            if self.twilio_client is None:
                raise RuntimeError("no Twilio account configured for SMS")
            self.twilio_client().messages.create(to=self.channels.sms_to,
                                                 from_=self.channels.sms_from, body=text[:1500])
        elif channel == "email":
            message = EmailMessage()
            message["Subject"] = text.split(".")[0][:120]
            message["From"] = self.channels.email_from
            message["To"] = self.channels.email_to
            message.set_content(text)
            with smtplib.SMTP(self.channels.smtp_host, self.channels.smtp_port, timeout=10) as smtp:
                if self.channels.smtp_tls:
                    smtp.starttls()
                if self.channels.smtp_user:
                    smtp.login(self.channels.smtp_user, self.channels.smtp_password)
                smtp.send_message(message)
        elif channel == "webhook":
            body = json.dumps({"text": text, "voicemail": _jsonable(voicemail)}).encode()
            request = urllib.request.Request(self.channels.webhook_url, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status >= 300:
                    raise RuntimeError(f"webhook answered HTTP {response.status}")
        else:
            raise ValueError(f"unknown channel {channel!r}")


def _jsonable(voicemail: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if voicemail is None:
        return None
    keep = ("id", "from_number", "to_number", "menu", "lang", "duration", "transcript",
            "transcript_status", "created_at")
    return {k: (str(voicemail[k]) if isinstance(voicemail.get(k), datetime) else voicemail.get(k))
            for k in keep}


class Worker:
    """Drains the outbox (and runs other periodic jobs) every few seconds."""

    def __init__(self, jobs: list[Callable[[], Any]], every: float = 5.0) -> None:
        self.jobs = jobs
        self.every = every
        self._stop = threading.Event()

    def run_once(self) -> None:
        """Run every job once; a failing job is logged and does not stop the others."""
        for job in self.jobs:
            try:
                job()
            except Exception:  # noqa: BLE001 - the worker must keep going
                log.exception("background job %s failed", getattr(job, "__name__", job))

    def run_forever(self) -> None:
        """Loop until stopped."""
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_once()
            self._stop.wait(max(0.1, self.every - (time.monotonic() - started)))

    def start_thread(self) -> threading.Thread:
        """Run in a daemon thread (the embedded default, inside the app)."""
        thread = threading.Thread(target=self.run_forever, name="ivr-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask the loop to end."""
        self._stop.set()
