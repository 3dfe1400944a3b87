"""Voicemails in the database: one row per RecordingSid, whatever order Twilio reports in.

Twilio tells us about a voicemail up to three times — the <Record> action, the
recording status callback and (English only) the transcription callback — in any
order, sometimes more than once. Each report is an upsert keyed on RecordingSid that
only fills in what it knows, so any sequence gives exactly one complete row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata, one_with_journey, upsert_insert

STATUSES = ("new", "in_progress", "done")
TRANSCRIPT_STATES = ("pending", "completed", "failed", "not_transcribed")
# A later recording status never downgrades a final one.
RECORDING_RANK = {"": 0, "in-progress": 1, "completed": 2, "absent": 3, "failed": 3, "deleted": 4}

voicemails = sa.Table(
    "voicemails",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recording_sid", sa.String(64), nullable=False, unique=True),
    sa.Column("call_sid", sa.String(64)),
    sa.Column("account_sid", sa.String(64)),
    sa.Column("from_number", sa.String(64)),
    sa.Column("to_number", sa.String(64)),
    sa.Column("menu", sa.String(64)),
    sa.Column("node", sa.String(64)),
    sa.Column("lang", sa.String(16)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("duration", sa.Integer),
    sa.Column("recording_url", sa.String(512)),
    sa.Column("recording_status", sa.String(20), nullable=False, server_default=""),
    sa.Column("transcript", sa.Text),
    sa.Column("transcript_status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("status", sa.String(20), nullable=False, server_default="new"),
    sa.Column("assigned_to", sa.Integer),
    sa.Column("journey", sa.Text),  # JSON list of {node, event, input, outcome, at}
    # Downloading the recording: each one retries on its own schedule (ivr.voicemail.media).
    sa.Column("media_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("media_next_at", sa.DateTime(timezone=True)),
    sa.Column("media_error", sa.String(200)),
    # NULL for a voicemail; "callback" for the short reason a callback request recorded
    # (kept here for its audio and transcript, listed with the request, not in the inbox).
    sa.Column("purpose", sa.String(20)),
    # Who answered the caller (an agent's call back) and when.
    sa.Column("closed_by", sa.Integer),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_voicemails_status_id", "status", "id"),
    sa.Index("ix_voicemails_from_number", "from_number"),
    sa.Index("ix_voicemails_created_at", "created_at"),
)

voicemail_media = sa.Table(
    "voicemail_media",
    metadata,
    sa.Column("voicemail_id", sa.Integer, primary_key=True),
    sa.Column("mimetype", sa.String(40), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)

# Columns a report may fill; a NULL in a report never erases what another one stored.
FILLABLE = ("call_sid", "account_sid", "from_number", "to_number", "menu", "node", "lang",
            "duration", "recording_url", "journey", "purpose")
# What the inbox lists: messages (left by phone, or "web" from a help page), not callback reasons.
INBOX = sa.or_(voicemails.c.purpose.is_(None), voicemails.c.purpose == "web")



def _midnight(day: date, zone: tzinfo) -> datetime:
    """The start of ``day`` in ``zone``, in UTC (the stored times are UTC)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _rank_case(column: Any) -> Any:
    return sa.case({k: v for k, v in RECORDING_RANK.items()}, value=column, else_=0)


class VoicemailStore:
    """Writing what Twilio reports, and reading voicemails for the dashboard."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reachable(self) -> bool:
        """Whether the database answers at all (a refusal and an outage look alike otherwise)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - unreachable, whatever the driver says
            return False

    # ---- writing: what Twilio reports -----------------------------------------------

    def report(self, recording_sid: str, now: datetime, **fields: Any) -> int:
        """Create or complete the voicemail of ``recording_sid``; returns its id.

        ``fields`` may hold any FILLABLE column, ``recording_status``, ``transcript``
        and ``transcript_status``. Repeats and any order give the same single row.
        """
        values: dict[str, Any] = {k: fields.get(k) for k in FILLABLE}
        if isinstance(values.get("journey"), list | tuple):
            values["journey"] = json.dumps(values["journey"], default=str)
        status = fields.get("recording_status") or ""
        transcript_status = fields.get("transcript_status") or "pending"
        row = {"recording_sid": recording_sid, "created_at": now, "updated_at": now,
               "recording_status": status, "transcript": fields.get("transcript"),
               "transcript_status": transcript_status, **values}
        stmt = upsert_insert(self.engine, voicemails).values(**row)
        new = stmt.excluded
        current = voicemails.c
        update: dict[str, Any] = {k: sa.func.coalesce(new[k], current[k]) for k in FILLABLE}
        update["updated_at"] = new.updated_at
        update["recording_status"] = sa.case(
            (_rank_case(new.recording_status) > _rank_case(current.recording_status),
             new.recording_status), else_=current.recording_status)
        update["transcript"] = sa.func.coalesce(new.transcript, current.transcript)
        # A final transcript state wins over "pending"; "completed" wins over everything.
        update["transcript_status"] = sa.case(
            (new.transcript_status == "completed", new.transcript_status),
            (current.transcript_status == "completed", current.transcript_status),
            (new.transcript_status != "pending", new.transcript_status),
            else_=current.transcript_status)
        stmt = stmt.on_conflict_do_update(index_elements=["recording_sid"], set_=update)
        with self.engine.begin() as conn:
            conn.execute(stmt)
            found = conn.execute(sa.select(voicemails.c.id).where(
                voicemails.c.recording_sid == recording_sid)).scalar_one()
        return int(found)

    def set_transcript(self, call_sid: str, node: str, text: str, now: datetime) -> bool:
        """The transcript of the voicemail a call left at a node (from a transcription engine)."""
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(voicemails).where(
                voicemails.c.call_sid == call_sid, voicemails.c.node == node).values(
                transcript=text[:20_000], transcript_status="completed", updated_at=now))
        return bool(done.rowcount)

    def store_media(self, voicemail_id: int, data: bytes, mimetype: str, now: datetime) -> None:
        """Keep a recording's audio (fetched from Twilio with the account's credentials)."""
        stmt = upsert_insert(self.engine, voicemail_media).values(
            voicemail_id=voicemail_id, data=data, mimetype=mimetype, fetched_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["voicemail_id"], set_={
            "data": stmt.excluded.data, "mimetype": stmt.excluded.mimetype,
            "fetched_at": stmt.excluded.fetched_at})
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def needing_media(self, now: datetime, max_attempts: int,
                      limit: int = 20) -> list[dict[str, Any]]:
        """Completed recordings whose audio we do not have yet and whose next try is due.

        Never tried first, then by when each is due: a recording that keeps failing
        waits for its own next attempt and never holds up the others.
        """
        c = voicemails.c
        query = (sa.select(c.id, c.recording_sid, c.recording_url, c.media_attempts)
                 .outerjoin(voicemail_media, voicemail_media.c.voicemail_id == c.id)
                 .where(c.recording_status == "completed", c.recording_url.is_not(None),
                        voicemail_media.c.voicemail_id.is_(None),
                        c.media_attempts < max_attempts,
                        sa.or_(c.media_next_at.is_(None), c.media_next_at <= now))
                 .order_by(c.media_next_at.is_not(None), c.media_next_at, c.id).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def media_failed(self, voicemail_id: int, error: str, next_at: datetime | None,
                     attempts: int) -> None:
        """Note a failed download: its error, its attempts, and when to try again (None: never)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(voicemails).where(voicemails.c.id == voicemail_id).values(
                media_attempts=attempts, media_next_at=next_at, media_error=error[:200]))

    def older_than(self, cutoff: datetime) -> list[dict[str, Any]]:
        """Voicemails recorded before ``cutoff`` whose recording has not been deleted."""
        query = sa.select(voicemails).where(voicemails.c.created_at < cutoff,
                                            voicemails.c.recording_status != "deleted")
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def for_number(self, number: str, limit: int = 100) -> list[dict[str, Any]]:
        """The voicemails left from ``number``, newest first (a caller's history)."""
        query = (sa.select(*[col for col in voicemails.c if col.name != "journey"])
                 .where(voicemails.c.from_number == number, INBOX)
                 .order_by(voicemails.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def forget_recording(self, voicemail_id: int, now: datetime) -> None:
        """The recording was deleted (retention): drop the audio, keep the message's context."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(voicemail_media).where(
                voicemail_media.c.voicemail_id == voicemail_id))
            conn.execute(sa.update(voicemails).where(voicemails.c.id == voicemail_id).values(
                recording_status="deleted", recording_url=None, updated_at=now))

    # ---- reading: the dashboard ------------------------------------------------------

    def list(self, status: str | None = None, lang: str | None = None, menu: str | None = None,
             date_from: date | None = None, date_to: date | None = None, q: str | None = None,
             before_id: int | None = None, limit: int = 50,
             zone: tzinfo = UTC) -> list[dict[str, Any]]:
        """Voicemails newest first, filtered; page with ``before_id`` (the last id seen).

        ``q`` searches the transcript and the caller's number (case-insensitive).
        ``date_to`` is inclusive; days begin at midnight in ``zone``. Keyset pagination
        on the primary key stays fast at any depth (no OFFSET).
        """
        c = voicemails.c
        query = sa.select(*[col for col in voicemails.c if col.name != "journey"]).where(INBOX)
        if status:
            query = query.where(c.status == status)
        if lang:
            query = query.where(c.lang == lang)
        if menu:
            query = query.where(c.menu == menu)
        if date_from:
            query = query.where(c.created_at >= _midnight(date_from, zone))
        if date_to:
            query = query.where(c.created_at < _midnight(date_to + timedelta(days=1), zone))
        if q:
            like = f"%{q.lower()}%"
            query = query.where(sa.or_(sa.func.lower(c.transcript).like(like),
                                       c.from_number.like(f"%{q}%")))
        if before_id is not None:
            query = query.where(c.id < before_id)
        query = query.order_by(c.id.desc()).limit(max(1, min(limit, 200)))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def count_new(self) -> int:
        """How many voicemails nobody has opened yet."""
        query = sa.select(sa.func.count()).select_from(voicemails).where(
            voicemails.c.status == "new", INBOX)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, voicemail_id: int) -> dict[str, Any] | None:
        """One voicemail with its journey decoded (a list of steps)."""
        return one_with_journey(self.engine, voicemails, voicemail_id)

    def by_recording(self, recording_sid: str) -> dict[str, Any] | None:
        """One voicemail by Twilio's RecordingSid."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(voicemails.c.id).where(
                voicemails.c.recording_sid == recording_sid)).scalar()
        return self.get(int(found)) if found is not None else None

    def latest_id(self) -> int:
        """The newest voicemail's id (0 when there is none): the inbox polls it."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(voicemails.c.id), 0))
                                    .where(INBOX)).scalar_one())

    def count(self) -> int:
        """How many voicemails exist."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(voicemails))
                       .scalar_one())

    def set_status(self, voicemail_id: int, status: str) -> bool:
        """Move a voicemail to new, in_progress or done."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(voicemails).where(voicemails.c.id == voicemail_id)
                                .values(status=status, updated_at=datetime.now(UTC)))
        return bool(done.rowcount)

    @staticmethod
    def close(conn: sa.Connection, voicemail_id: int, user_id: int | None, now: datetime) -> bool:
        """The caller was answered: done, with who and when (the first answer counts)."""
        return conn.execute(sa.update(voicemails).where(
            voicemails.c.id == voicemail_id, voicemails.c.closed_at.is_(None)).values(
                status="done", closed_by=user_id, closed_at=now, updated_at=now)).rowcount == 1

    def assign(self, voicemail_id: int, user_id: int | None) -> bool:
        """Give a voicemail to an agent (None: to nobody)."""
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(voicemails).where(voicemails.c.id == voicemail_id)
                                .values(assigned_to=user_id, updated_at=datetime.now(UTC)))
        return bool(done.rowcount)

    def media(self, voicemail_id: int) -> tuple[bytes, str] | None:
        """The recording's audio and its mimetype, if we have it."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(voicemail_media.c.data, voicemail_media.c.mimetype)
                               .where(voicemail_media.c.voicemail_id == voicemail_id)).first()
        return (bytes(row[0]), str(row[1])) if row else None

    def has_media(self, voicemail_id: int) -> bool:
        """Whether the recording's audio is stored here (without reading it)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(voicemail_media.c.voicemail_id).where(
                voicemail_media.c.voicemail_id == voicemail_id)).first() is not None


def journey_lines(steps: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The caller's path as stored with a voicemail: what they did at each node."""
    return [{"node": s["node"], "event": s["event"], "input": s.get("input", ""),
             "outcome": s.get("outcome", ""), "at": str(s.get("at", ""))} for s in steps]
