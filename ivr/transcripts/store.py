"""Transcription work items in the database: one per recording, whatever the engine.

A work item is generic: which call and node recorded (the key both engines know
from the moment the caller starts speaking), the RecordingSid once Twilio gives it,
the caller's locale, and a *target* saying what the recording belongs to
("voicemail", or e.g. "callback" for a callback request's reason). Whatever the
engine, an item ends in one of the final states, each with a reason a person can read:

- ``completed``: the text is there (it may be empty: the caller said nothing);
- ``unavailable``: it cannot come (engine off, language unsupported, too short or long);
- ``failed``: the engine tried and gave up (after retries, or Twilio reported an error);
- ``timed_out``: nothing came back in time.

Twilio's real-time transcription reports each utterance separately, in any order
and possibly more than once: utterances are kept keyed by their SequenceId, so a
repeat adds nothing and the text is always the utterances in sequence order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata, upsert_insert

FINAL = ("completed", "unavailable", "failed", "timed_out")
STATES = ("queued", "running", *FINAL)
MAX_TEXT = 20_000  # characters kept of a transcript (the voicemail column holds as much)
MAX_PARTS = 2_000  # utterances kept per recording (an hour of speech is far fewer)

transcripts = sa.Table(
    "transcripts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), nullable=False),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("target", sa.String(20), nullable=False),  # voicemail | callback | ...
    sa.Column("recording_sid", sa.String(64)),
    sa.Column("locale", sa.String(16), nullable=False),
    sa.Column("engine", sa.String(20), nullable=False),  # twilio-live | whisper | ...
    sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
    sa.Column("reason", sa.String(300)),
    sa.Column("text", sa.Text),
    sa.Column("duration", sa.Integer),  # seconds of audio, once known
    sa.Column("twilio_sid", sa.String(64)),  # Twilio's TranscriptionSid (GT...), live only
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("call_sid", "node", name="uq_transcripts_call_node"),
    sa.Index("ix_transcripts_recording", "recording_sid"),
    sa.Index("ix_transcripts_status_next", "status", "next_at"),
)

transcript_parts = sa.Table(
    "transcript_parts",
    metadata,
    sa.Column("transcript_id", sa.Integer, primary_key=True),
    sa.Column("sequence", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class WorkItem:
    """What is to be transcribed: a recording, its caller's locale, what it belongs to."""

    call_sid: str
    node: str
    target: str
    locale: str
    recording_sid: str | None = None
    duration: int | None = None


class TranscriptStore:
    """Work items and their outcome; every write is idempotent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- asking for a transcript --------------------------------------------------

    def request(self, item: WorkItem, engine: str, now: datetime,
                status: str = "queued", reason: str | None = None) -> int:
        """Create the work item of a recording, or complete what is known of it; its id.

        Repeats (and reports in any order) give one row: a later request fills in the
        RecordingSid and duration but never resets an item that has started or ended.
        """
        row = {"call_sid": item.call_sid[:64], "node": item.node[:64], "target": item.target[:20],
               "recording_sid": item.recording_sid, "locale": item.locale[:16],
               "engine": engine[:20], "status": status, "reason": reason,
               "duration": item.duration, "created_at": now, "updated_at": now,
               "next_at": now if status == "queued" else None,
               "finished_at": now if status in FINAL else None}
        stmt = upsert_insert(self.engine, transcripts).values(**row)
        new, current = stmt.excluded, transcripts.c
        stmt = stmt.on_conflict_do_update(
            index_elements=["call_sid", "node"],
            set_={"recording_sid": sa.func.coalesce(current.recording_sid, new.recording_sid),
                  "duration": sa.func.coalesce(new.duration, current.duration),
                  "updated_at": new.updated_at})
        with self.engine.begin() as conn:
            conn.execute(stmt)
            found = conn.execute(sa.select(transcripts.c.id).where(
                transcripts.c.call_sid == row["call_sid"],
                transcripts.c.node == row["node"])).scalar_one()
        return int(found)

    # ---- reading ---------------------------------------------------------------------

    def get(self, transcript_id: int) -> dict[str, Any] | None:
        """One work item."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(transcripts).where(
                transcripts.c.id == transcript_id)).first()
        return dict(row._mapping) if row else None

    def find(self, call_sid: str, node: str) -> dict[str, Any] | None:
        """The work item of the recording a call made at a node."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(transcripts).where(
                transcripts.c.call_sid == call_sid[:64], transcripts.c.node == node[:64])).first()
        return dict(row._mapping) if row else None

    def for_calls(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Work items of many (call, node) pairs at once (a page of the inbox)."""
        calls = sorted({c for c, _ in keys if c})
        if not calls:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(transcripts).where(transcripts.c.call_sid.in_(calls)))
            found = {(r.call_sid, r.node): dict(r._mapping) for r in rows}
        return {k: found[k] for k in keys if k in found}

    def parts(self, transcript_id: int) -> list[str]:
        """The utterances received so far, in sequence order."""
        with self.engine.connect() as conn:
            return [str(t) for t in conn.execute(
                sa.select(transcript_parts.c.text)
                .where(transcript_parts.c.transcript_id == transcript_id)
                .order_by(transcript_parts.c.sequence)).scalars()]

    # ---- Twilio's real-time transcription --------------------------------------------

    def live_started(self, transcript_id: int, twilio_sid: str, now: datetime) -> None:
        """Twilio started transcribing: queued becomes running (a late repeat changes nothing)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(transcripts).where(
                transcripts.c.id == transcript_id, transcripts.c.status == "queued")
                .values(status="running", twilio_sid=twilio_sid[:64], updated_at=now))

    def live_part(self, transcript_id: int, sequence: int, text: str, now: datetime) -> bool:
        """Keep one final utterance (once per SequenceId); whether it was new."""
        stmt = upsert_insert(self.engine, transcript_parts).values(
            transcript_id=transcript_id, sequence=sequence, text=text[:MAX_TEXT])
        with self.engine.begin() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(transcript_parts).where(
                transcript_parts.c.transcript_id == transcript_id)).scalar_one()
            if count >= MAX_PARTS:
                return False
            added = conn.execute(stmt.on_conflict_do_nothing(
                index_elements=["transcript_id", "sequence"])).rowcount
        if added:
            self._assemble(transcript_id, now)
        return bool(added)

    def live_stopped(self, transcript_id: int, now: datetime) -> None:
        """Twilio stopped transcribing: the text is what was heard (parts arriving later join)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(transcripts).where(
                transcripts.c.id == transcript_id,
                transcripts.c.status.in_(("queued", "running", "timed_out")))
                .values(status="completed", reason=None, finished_at=now, updated_at=now))
        self._assemble(transcript_id, now)

    def _assemble(self, transcript_id: int, now: datetime) -> None:
        """Write the text as the utterances in sequence order (idempotent)."""
        text = " ".join(p.strip() for p in self.parts(transcript_id) if p.strip())[:MAX_TEXT]
        with self.engine.begin() as conn:
            conn.execute(sa.update(transcripts).where(transcripts.c.id == transcript_id)
                         .values(text=text, updated_at=now))

    # ---- outcomes --------------------------------------------------------------------

    def complete(self, transcript_id: int, text: str, now: datetime) -> None:
        """The engine made the text."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(transcripts).where(transcripts.c.id == transcript_id).values(
                status="completed", text=text[:MAX_TEXT], reason=None, finished_at=now,
                updated_at=now, next_at=None))

    def finish(self, transcript_id: int, status: str, reason: str, now: datetime) -> None:
        """End an item that cannot produce text, with why (a completed one stays completed)."""
        if status not in FINAL or status == "completed":
            raise ValueError(f"not a final state without text: {status!r}")
        with self.engine.begin() as conn:
            conn.execute(sa.update(transcripts).where(
                transcripts.c.id == transcript_id, transcripts.c.status != "completed")
                .values(status=status, reason=reason[:300], finished_at=now, updated_at=now,
                        next_at=None))

    def retry_later(self, transcript_id: int, attempts: int, error: str, at: datetime,
                    now: datetime) -> None:
        """A failed attempt: note it and when to try again."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(transcripts).where(transcripts.c.id == transcript_id).values(
                attempts=attempts, reason=error[:300], next_at=at, updated_at=now))

    def due(self, engine: str, now: datetime, limit: int = 5) -> list[dict[str, Any]]:
        """Queued items of a worker engine whose next try is due, oldest first."""
        c = transcripts.c
        query = (sa.select(transcripts).where(c.engine == engine, c.status == "queued",
                                              c.next_at <= now)
                 .order_by(c.next_at, c.id).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def overdue(self, engines: Mapping[str, timedelta], now: datetime) -> int:
        """Items still waiting past their engine's time limit become ``timed_out``; how many."""
        ended = 0
        with self.engine.begin() as conn:
            for engine, wait in engines.items():
                ended += conn.execute(sa.update(transcripts).where(
                    transcripts.c.engine == engine,
                    transcripts.c.status.in_(("queued", "running")),
                    transcripts.c.created_at < now - wait).values(
                    status="timed_out", finished_at=now, updated_at=now, next_at=None,
                    reason=f"no transcript within {int(wait.total_seconds() // 60)} minutes"))\
                    .rowcount
        return ended
