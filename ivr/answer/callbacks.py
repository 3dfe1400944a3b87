"""Callback requests: kept once per call (or on disk while the database is down), queued, claimed.

A request is written when the caller confirmed a number (ivr.nodes.callback): an insert
keyed on the CallSid, so a retried webhook or a replayed spool file gives one request.
Agents take a request with one conditional UPDATE (queued -> calling), which exactly one
of two concurrent agents wins, on SQLite and PostgreSQL alike. Answering closes it with
who and when; a call that did not reach the caller puts it back in the queue.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ivr.data.tables import calls, metadata, one_with_journey, upsert_insert
from ivr.web.recorder import lock_spool_file

log = logging.getLogger(__name__)

TABS = ("now", "later", "done")
STALE_CLAIM = timedelta(minutes=15)  # a claim whose call never reported back is free again
MAX_LISTED = 200

callback_requests = sa.Table(
    "callback_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
    sa.Column("account_sid", sa.String(64)),
    sa.Column("from_number", sa.String(64)),  # the caller ID as Twilio sent it
    sa.Column("to_number", sa.String(64)),  # the line the caller called
    sa.Column("number", sa.String(20), nullable=False),  # E.164: the number to call back
    sa.Column("number_source", sa.String(10), nullable=False),  # caller_id | keyed
    sa.Column("caller_name", sa.String(80)),  # the name a web visitor gave ("" by phone)
    sa.Column("menu", sa.String(64)),
    sa.Column("node", sa.String(64)),
    sa.Column("lang", sa.String(16)),
    sa.Column("journey", sa.Text),  # JSON list of steps, as voicemails keep it
    sa.Column("reason_recording_sid", sa.String(64)),  # a voicemail row holds its audio
    sa.Column("reason_seconds", sa.Integer, nullable=False, server_default="0"),
    sa.Column("schedule", sa.String(64)),
    sa.Column("due_from", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="queued"),
    sa.Column("claimed_by", sa.Integer),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("outcome", sa.String(20)),  # of the last attempt
    sa.Column("closed_by", sa.Integer),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_callback_requests_queue", "status", "due_from", "id"),
    sa.Index("ix_callback_requests_number", "number"),
)

STATUSES = ("queued", "calling", "done")


class CallbackStore:
    """Callback requests in the database: kept, listed, claimed, released, closed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- keeping a request ------------------------------------------------------------

    def keep(self, call_sid: str, now: datetime, **fields: Any) -> tuple[int, bool]:
        """Store the request of ``call_sid`` once; its id and whether it is new."""
        values = {k: fields.get(k) for k in (
            "account_sid", "from_number", "to_number", "number", "number_source", "menu", "node",
            "lang", "reason_recording_sid", "schedule", "due_from", "due_until", "caller_name")}
        if isinstance(fields.get("journey"), list | tuple):
            values["journey"] = json.dumps(fields["journey"], default=str)
        values["reason_seconds"] = int(fields.get("reason_seconds") or 0)
        values["due_from"] = values["due_from"] or now
        for name in ("due_from", "due_until"):  # stored in UTC, as every time here
            moment = values[name]
            if isinstance(moment, datetime) and moment.tzinfo is not None:
                values[name] = moment.astimezone(UTC)
        stmt = upsert_insert(self.engine, callback_requests).values(
            call_sid=call_sid, created_at=now, updated_at=now, status="queued", **values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["call_sid"]).returning(
            callback_requests.c.id)  # a row only when inserted (rowcount is not reliable here)
        with self.engine.begin() as conn:
            inserted = conn.execute(stmt).scalar()
            if inserted is not None:
                return int(inserted), True
            found = conn.execute(sa.select(callback_requests.c.id).where(
                callback_requests.c.call_sid == call_sid)).scalar_one()
        return int(found), False

    # ---- reading ----------------------------------------------------------------------

    def get(self, callback_id: int) -> dict[str, Any] | None:
        """One request, its journey decoded."""
        return one_with_journey(self.engine, callback_requests, callback_id)

    def queue(self, tab: str, now: datetime, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """A tab of the queue: due ``now`` or ``later`` (oldest first), or ``done`` (newest first)."""
        c = callback_requests.c
        query = sa.select(*[col for col in callback_requests.c if col.name != "journey"])
        if tab == "done":
            query = query.where(c.status == "done").order_by(c.closed_at.desc(), c.id.desc())
        elif tab == "later":
            query = query.where(c.status != "done", c.due_from > now).order_by(c.due_from, c.id)
        else:
            query = query.where(c.status != "done", c.due_from <= now).order_by(c.due_from, c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.limit(max(1, min(limit, 500))))]

    def counts(self, now: datetime) -> dict[str, int]:
        """How many requests each open tab holds."""
        c = callback_requests.c
        due = sa.case((c.due_from <= now, "now"), else_="later")
        query = sa.select(due, sa.func.count()).where(c.status != "done").group_by(due)
        with self.engine.connect() as conn:
            found = {str(k): int(v) for k, v in conn.execute(query)}
        return {"now": found.get("now", 0), "later": found.get("later", 0)}

    def for_number(self, number: str, limit: int = 100) -> list[dict[str, Any]]:
        """Every request to call ``number`` back, newest first."""
        c = callback_requests.c
        query = (sa.select(*[col for col in callback_requests.c if col.name != "journey"])
                 .where(sa.or_(c.number == number, c.from_number == number))
                 .order_by(c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def history(self, number: str, limit: int = 100) -> dict[str, list[dict[str, Any]]]:
        """A caller's calls (by caller ID) and callback requests (to or from ``number``)."""
        query = (sa.select(calls).where(calls.c.from_number == number)
                 .order_by(calls.c.started_at.desc()).limit(limit))
        with self.engine.connect() as conn:
            found = [dict(r._mapping) for r in conn.execute(query)]
        return {"calls": found, "callbacks": self.for_number(number, limit)}

    # ---- agents at work ---------------------------------------------------------------

    def claim(self, callback_id: int, user_id: int, now: datetime) -> bool:
        """Take a queued request for a call; False when another agent has it (or it is done).

        One UPDATE with its condition: the database lets exactly one of two concurrent
        agents change the row. A claim left by a call that never reported back is free
        again after STALE_CLAIM.
        """
        c = callback_requests.c
        stmt = (sa.update(callback_requests)
                .where(c.id == callback_id, c.closed_at.is_(None),
                       sa.or_(c.status == "queued",
                              sa.and_(c.status == "calling", c.claimed_at < now - STALE_CLAIM)))
                .values(status="calling", claimed_by=user_id, claimed_at=now, updated_at=now))
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def release(self, callback_id: int, outcome: str, now: datetime,
                conn: sa.Connection | None = None) -> bool:
        """A call did not reach the caller: the request is queued again, the attempt counted."""
        c = callback_requests.c
        stmt = (sa.update(callback_requests)
                .where(c.id == callback_id, c.closed_at.is_(None), c.status == "calling")
                .values(status="queued", claimed_by=None, claimed_at=None, outcome=outcome[:20],
                        attempts=c.attempts + 1, updated_at=now))
        if conn is not None:
            return conn.execute(stmt).rowcount == 1
        with self.engine.begin() as own:
            return own.execute(stmt).rowcount == 1

    def close(self, callback_id: int, user_id: int | None, outcome: str, now: datetime,
              conn: sa.Connection | None = None) -> bool:
        """Answered (or closed by hand): done, with who and when; only the first close counts."""
        c = callback_requests.c
        stmt = (sa.update(callback_requests)
                .where(c.id == callback_id, c.closed_at.is_(None))
                .values(status="done", closed_by=user_id, closed_at=now, outcome=outcome[:20],
                        attempts=c.attempts + (1 if outcome == "answered" else 0),
                        updated_at=now))
        if conn is not None:
            return conn.execute(stmt).rowcount == 1
        with self.engine.begin() as own:
            return own.execute(stmt).rowcount == 1


# ---- from the call to the database ------------------------------------------------------


class CallbackIntake:
    """Keeps the requests calls make; spools them to disk while the database is down.

    ``on_stored`` holds functions called with each new request's row (a receipt by SMS,
    a notification): a failing one is logged and never loses the request.
    """

    def __init__(self, store: CallbackStore, spool_dir: Path) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.on_stored: list[Callable[[Mapping[str, Any]], None]] = []

    def keep(self, call_sid: str, now: datetime, **fields: Any) -> int | None:
        """Store a request (or spool it); its id, None when it waits on disk."""
        try:
            callback_id, new = self.store.keep(call_sid, now, **fields)
        except SQLAlchemyError as exc:
            log.error("callback request of %s kept on disk: the database did not take it (%s)",
                      call_sid, type(exc).__name__)
            self._spool(call_sid, now, fields)
            return None
        if new:
            self._stored(callback_id)
        return callback_id

    def _stored(self, callback_id: int) -> None:
        row = self.store.get(callback_id)
        for hook in list(self.on_stored):
            try:
                hook(row or {"id": callback_id})
            except Exception:  # noqa: BLE001 - the request is kept whatever a hook does
                log.exception("callback %d: an on_stored hook failed", callback_id)

    def _spool(self, call_sid: str, now: datetime, fields: Mapping[str, Any]) -> None:
        from ivr.voicemail.intake import _write_json
        from ivr.web.recorder import private_dir

        private_dir(self.spool_dir)
        name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.json"
        _write_json(self.spool_dir / name, {"call_sid": call_sid, "at": now.isoformat(),
                                            "fields": {k: _jsonable(v) for k, v in fields.items()}})

    def pending(self) -> list[Path]:
        """Spooled requests not yet in the database, oldest first."""
        return sorted(self.spool_dir.glob("*.json")) if self.spool_dir.is_dir() else []

    def replay(self, limit: int | None = None) -> int:
        """Write spooled requests (each file claimed with flock); how many were written."""
        done = 0
        for path in self.pending()[:limit]:
            fd = lock_spool_file(path)
            if fd is None:
                continue
            try:
                with os.fdopen(fd, "rb", closefd=False) as handle:
                    entry = json.loads(handle.read(1_000_000))
                fields = dict(entry["fields"])
                for name in ("due_from", "due_until"):
                    if fields.get(name):
                        fields[name] = datetime.fromisoformat(fields[name])
                callback_id, new = self.store.keep(str(entry["call_sid"])[:64],
                                                   datetime.fromisoformat(entry["at"]), **fields)
            except SQLAlchemyError:
                break  # still down: the worker tries again
            except (ValueError, KeyError, TypeError) as exc:
                log.error("spooled callback request %s unreadable (%s); left in place",
                          path.name, type(exc).__name__)
                continue
            finally:
                os.close(fd)
            path.unlink(missing_ok=True)
            done += 1
            if new:
                self._stored(callback_id)
        if done:
            log.info("%d spooled callback request(s) written", done)
        return done


def _jsonable(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def journey_of(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The caller's path as kept with a request (the voicemails' shape)."""
    from ivr.voicemail.store import journey_lines

    return journey_lines(list(steps))
