"""Open dashboard sessions, kept server side so that logging out really ends one.

The signed session cookie carries only a random session id; this table says whether
that id is still open, whose it is, and when it was last used. Logging out deletes
the row, so a copy of the cookie taken earlier stops working at once; a password
change, an admin's password reset or disabling a user deletes all of that user's
rows. Only a SHA-256 of each id is stored: a read of the table opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_user_sessions_user",
                                                   ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_user_sessions_user", "user_id"),
)

SEEN_EVERY = timedelta(seconds=60)  # how stale seen_at may get before it is written again


def _hash(session_id: str) -> str:
    """What the table stores for a session id."""
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC times; compare like with like."""
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Logins:
    """Start, look up and end dashboard sessions."""

    def __init__(self, engine: Engine, idle: timedelta, absolute: timedelta) -> None:
        self.engine = engine
        self.idle = idle
        self.absolute = absolute

    def start(self, user_id: int, now: datetime) -> str:
        """Open a session for a user; returns its id (for the signed cookie only)."""
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            # Sessions past their absolute lifetime are dead anyway: forget them here.
            conn.execute(user_sessions.delete().where(user_sessions.c.created_at < now - self.absolute))
            conn.execute(user_sessions.insert().values(id_hash=_hash(session_id), user_id=user_id,
                                                       created_at=now, seen_at=now))
        return session_id

    def user_id(self, session_id: str, now: datetime) -> int | None:
        """Whose open session this is; None (and the row gone) when it ended or timed out."""
        key = _hash(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(user_sessions).where(user_sessions.c.id_hash == key)).first()
        if row is None:
            return None
        created, seen = _aware(row.created_at), _aware(row.seen_at)
        if now - seen > self.idle or now - created > self.absolute:
            self.end(session_id)
            return None
        if now - seen > SEEN_EVERY:
            with self.engine.begin() as conn:
                conn.execute(user_sessions.update().where(user_sessions.c.id_hash == key)
                             .values(seen_at=now))
        return int(row.user_id)

    def end(self, session_id: str) -> None:
        """Close one session (logging out)."""
        with self.engine.begin() as conn:
            conn.execute(user_sessions.delete().where(user_sessions.c.id_hash == _hash(session_id)))

    def end_all(self, user_id: int, keep: str | None = None) -> int:
        """Close every session of a user, but ``keep`` (the one asking); returns how many."""
        query = user_sessions.delete().where(user_sessions.c.user_id == user_id)
        if keep:
            query = query.where(user_sessions.c.id_hash != _hash(keep))
        with self.engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    def open_for(self, user_id: int) -> list[dict[str, Any]]:
        """A user's open sessions (start and last use), newest first."""
        query = (sa.select(user_sessions.c.created_at, user_sessions.c.seen_at)
                 .where(user_sessions.c.user_id == user_id)
                 .order_by(user_sessions.c.created_at.desc()))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
