"""How long each store keeps callers' data: the operator's settings, and the purge by age.

One setting per kind of data (docs/configuration.md lists them with their defaults):

- ``IVR_CALL_RETENTION_DAYS``: calls, their journeys and queue calls;
- ``IVR_MESSAGE_RETENTION_DAYS``: voicemails (their rows, audio and notes), transcripts
  and the notifications sent about them;
- ``IVR_CALLBACK_RETENTION_DAYS``: callback requests and agents' calls back;
- ``IVR_TEXT_RETENTION_DAYS``: texts sent to callers;
- ``IVR_ONLINE_RETENTION_DAYS``: questions asked on help pages and by text, and texters'
  conversations.

``0`` keeps that kind forever. Recordings keep their own, older setting
(``IVR_RETENTION_DAYS``, deleted here and at Twilio, the message's context stays), and
callers' words on journey lines theirs (an admin's, on the analytics page). A voicemail
still new and a callback request not yet done are never purged unless
``IVR_RETENTION_PURGE_UNHANDLED`` is true, and a voicemail goes only once its recording
is deleted at Twilio (recordings are deleted first, no later than their messages). The
analytics rollups of purged calls stay:
they hold no number and no words, and a rebuild only recomputes calls that still have a
journey, so the figures of past periods do not change.

The rows are found here and deleted with the same statements as erasing one caller's
number (``ivr.privacy``), so both reach every store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ivr.answer.callbacks import callback_requests
from ivr.answer.calls import call_attempts
from ivr.answer.texts import texts
from ivr.data.tables import calls, journey_steps
from ivr.notify import outbox
from ivr.online.activity import online_steps
from ivr.online.conversations import text_conversations
from ivr.privacy import Deletes, call_deletes, transcript_deletes, voicemail_deletes
from ivr.queues.store import queue_calls
from ivr.transcripts.store import transcripts
from ivr.voicemail.store import voicemails

log = logging.getLogger(__name__)
# kind -> (setting, default days)
SETTINGS: dict[str, tuple[str, int]] = {
    "calls": ("IVR_CALL_RETENTION_DAYS", 365),
    "messages": ("IVR_MESSAGE_RETENTION_DAYS", 365),
    "callbacks": ("IVR_CALLBACK_RETENTION_DAYS", 365),
    "texts": ("IVR_TEXT_RETENTION_DAYS", 365),
    "online": ("IVR_ONLINE_RETENTION_DAYS", 90),
}
PURGE_UNHANDLED = "IVR_RETENTION_PURGE_UNHANDLED"
MAX_DAYS = 36_500
EVERY_SECONDS = 3600.0  # the worker purges at most this often
CHUNK = 500  # rows deleted per transaction (and per IN list)


@dataclass(frozen=True)
class Limits:
    """Days each kind of data is kept (None: forever), and whether unhandled items go too."""

    days: Mapping[str, int | None]
    purge_unhandled: bool = False

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """The limits the settings give; ValueError naming the setting if one is not a number."""
        days: dict[str, int | None] = {}
        for kind, (name, default) in SETTINGS.items():
            raw = str(settings.get(name) if settings.get(name) is not None else default).strip()
            try:
                value = int(raw or default)
            except ValueError:
                raise ValueError(f"{name}={raw[:20]!r}: a number of days (0 keeps forever)") from None
            if not 0 <= value <= MAX_DAYS:
                raise ValueError(f"{name}={value}: 0 (keep forever) to {MAX_DAYS} days")
            days[kind] = value or None
        unhandled = str(settings.get(PURGE_UNHANDLED) or "false").strip().lower()
        return cls(days, unhandled in ("1", "true", "yes", "on"))


def _ids(conn: sa.Connection, query: Any) -> list[Any]:
    return sorted({value for value in conn.execute(query).scalars() if value is not None})


def _delete(engine: sa.Engine, ids: list[Any], deletes: Callable[[list[Any]], Deletes],
            counts: dict[str, int]) -> None:
    """Run ``deletes`` over ``ids`` a chunk per transaction, adding up the rows by kind."""
    for start in range(0, len(ids), CHUNK):
        with engine.begin() as conn:
            for kind, statement in deletes(ids[start:start + CHUNK]):
                counts[kind] = counts.get(kind, 0) + int(conn.execute(statement).rowcount or 0)


def _purge_calls(engine: sa.Engine, cutoff: datetime, counts: dict[str, int]) -> None:
    with engine.connect() as conn:
        sids = set(_ids(conn, sa.select(calls.c.call_sid).where(
            sa.func.coalesce(calls.c.started_at, calls.c.updated_at) < cutoff)))
        # Journeys whose call row never came (a journal replayed without its call).
        sids |= set(_ids(conn, sa.select(journey_steps.c.call_sid)
                         .group_by(journey_steps.c.call_sid)
                         .having(sa.func.max(journey_steps.c.at) < cutoff)))
        queued = _ids(conn, sa.select(queue_calls.c.id).where(queue_calls.c.joined_at < cutoff))
    _delete(engine, sorted(sids), lambda chunk: call_deletes(chunk, rollups=False), counts)
    _delete(engine, queued, lambda chunk: [
        ("queue_calls", queue_calls.delete().where(queue_calls.c.id.in_(chunk)))], counts)


def _purge_callbacks(engine: sa.Engine, cutoff: datetime, unhandled: bool,
                     counts: dict[str, int]) -> None:
    c = callback_requests.c
    query = sa.select(c.id).where(c.created_at < cutoff)
    if not unhandled:
        query = query.where(c.status == "done")
    with engine.connect() as conn:
        requests = _ids(conn, query)
        attempts = _ids(conn, sa.select(call_attempts.c.id).where(
            call_attempts.c.created_at < cutoff))
    _delete(engine, requests, lambda chunk: [
        ("callback_requests", callback_requests.delete().where(c.id.in_(chunk)))], counts)
    _delete(engine, attempts, lambda chunk: [
        ("calls_back", call_attempts.delete().where(call_attempts.c.id.in_(chunk)))], counts)


def _purge_messages(engine: sa.Engine, cutoff: datetime, unhandled: bool,
                    counts: dict[str, int]) -> None:
    v = voicemails.c
    reasons = sa.select(callback_requests.c.reason_recording_sid).where(
        callback_requests.c.reason_recording_sid.is_not(None))
    # Only once its recording is gone, here and at Twilio (purge_all deletes recordings
    # first): a row deleted with its recording still at Twilio would leave it there for good.
    query = sa.select(v.id).where(v.created_at < cutoff, v.recording_status == "deleted")
    if not unhandled:
        # A new voicemail waits for an agent; a callback's reason goes once its request has.
        query = query.where(sa.or_(v.status != "new", sa.and_(
            v.purpose == "callback", v.recording_sid.not_in(reasons))))
    with engine.connect() as conn:
        ids = _ids(conn, query)
    _delete(engine, ids, voicemail_deletes, counts)
    kept_calls = [sa.select(table.c.call_sid).where(table.c.call_sid.is_not(None))
                  for table in (voicemails, callback_requests)]
    with engine.connect() as conn:
        transcript_ids = _ids(conn, sa.select(transcripts.c.id).where(
            transcripts.c.created_at < cutoff,
            *(transcripts.c.call_sid.not_in(kept) for kept in kept_calls)))
        sent = _ids(conn, sa.select(outbox.c.id).where(outbox.c.created_at < cutoff,
                                                        outbox.c.status != "pending"))
    _delete(engine, transcript_ids, transcript_deletes, counts)
    _delete(engine, sent, lambda chunk: [
        ("notifications", outbox.delete().where(outbox.c.id.in_(chunk)))], counts)


def _purge_texts(engine: sa.Engine, cutoff: datetime, counts: dict[str, int]) -> None:
    with engine.connect() as conn:
        ids = _ids(conn, sa.select(texts.c.id).where(texts.c.created_at < cutoff))
    _delete(engine, ids, lambda chunk: [
        ("texts", texts.delete().where(texts.c.id.in_(chunk)))], counts)


def _purge_online(engine: sa.Engine, cutoff: datetime, counts: dict[str, int]) -> None:
    with engine.begin() as conn:
        counts["online_steps"] = int(conn.execute(online_steps.delete().where(
            online_steps.c.at < cutoff)).rowcount or 0)
        counts["text_conversations"] = int(conn.execute(text_conversations.delete().where(
            text_conversations.c.updated_at < cutoff)).rowcount or 0)


def purge(engine: sa.Engine, limits: Limits, now: datetime) -> dict[str, int]:
    """Delete every row older than its kind's limit; how many went, by store."""
    counts: dict[str, int] = {}
    days = limits.days

    def cutoff(kind: str) -> datetime | None:
        limit = days.get(kind)
        return now - timedelta(days=limit) if limit else None

    if (moment := cutoff("calls")) is not None:
        _purge_calls(engine, moment, counts)
    # Callback requests before messages: a request's recorded reason goes with it.
    if (moment := cutoff("callbacks")) is not None:
        _purge_callbacks(engine, moment, limits.purge_unhandled, counts)
    if (moment := cutoff("messages")) is not None:
        _purge_messages(engine, moment, limits.purge_unhandled, counts)
    if (moment := cutoff("texts")) is not None:
        _purge_texts(engine, moment, counts)
    if (moment := cutoff("online")) is not None:
        _purge_online(engine, moment, counts)
    return counts


def summary(counts: Mapping[str, int]) -> str:
    """``3 journey_steps, 1 calls`` (only the stores that lost rows), or ``nothing``."""
    return ", ".join(f"{count} {kind}" for kind, count in counts.items() if count) or "nothing"


def purge_all(services: Any, settings: Mapping[str, Any], now: datetime) -> dict[str, int]:
    """Every retention at once: recordings (``IVR_RETENTION_DAYS``), then every store; logged."""
    limits = Limits.from_settings(settings)
    # Recordings first, and no later than their messages: a message goes only without one.
    recording_days = int(settings.get("IVR_RETENTION_DAYS") or 90)
    message_days = limits.days.get("messages")
    recordings = services.media.purge(min(recording_days, message_days or recording_days), now)
    counts = purge(services.store.engine, limits, now)
    counts["recordings"] = recordings
    log.info("retention: purged %s", summary(counts))  # counts only: no number, no words
    return counts


def purge_job(services: Any, settings: Mapping[str, Any], clock: Callable[[], datetime],
              every: float = EVERY_SECONDS) -> Callable[[], int]:
    """A worker job that purges by age at most once per ``every`` seconds."""
    from ivr.config import ConfigError

    try:  # a setting that is not a number of days stops the start, in one clear line
        Limits.from_settings(settings)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    last = [-every]

    def purge_old_data() -> int:
        if time.monotonic() - last[0] < every:
            return 0
        last[0] = time.monotonic()
        return sum(purge_all(services, settings, clock()).values())

    return purge_old_data
