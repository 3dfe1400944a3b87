"""Persistence for the agents' dashboard: users (passwords, authenticator codes) and notes."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.data.tables import metadata

ROLES = ("agent", "admin")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    # Optional authenticator-app codes (TOTP): the shared secret, and the last time step
    # accepted, so that one code cannot be used twice.
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("totp_last_step", sa.BigInteger),
    # The agent's own phone (E.164): "Call back" rings it, then bridges the caller.
    sa.Column("phone", sa.String(20)),
    # The zone the user reads every time in (IANA name); None: the first menu's zone.
    sa.Column("time_zone", sa.String(64)),
    sa.UniqueConstraint("username", name="uq_users_username"),
)

voicemail_notes = sa.Table(
    "voicemail_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # No foreign key to voicemails: the notes outlive a voicemail's retention clean-up.
    sa.Column("voicemail_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_voicemail_notes_user"),
              nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_voicemail_notes_voicemail", "voicemail_id", "id"),
)

# What a user row shows outside this module (never the password hash).
_PUBLIC = [users.c.id, users.c.username, users.c.role, users.c.active, users.c.created_at,
           users.c.last_login_at, users.c.totp_secret.is_not(None).label("totp"), users.c.phone,
           users.c.time_zone]


@functools.cache
def _decoy_hash() -> str:
    """A hash of nothing in particular, checked when the name is unknown."""
    return generate_password_hash(secrets.token_hex(16))


class UserExists(ValueError):
    """A user with this name already exists."""


class DashboardStore:
    """The dashboard's tables: who may log in and what they wrote."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- users ---------------------------------------------------------------------------

    def add_user(self, username: str, password: str, role: str, now: datetime) -> int:
        """Create a user with a hashed password; raises UserExists or ValueError (role)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if self.user_by_name(username) is not None:
            raise UserExists(username)
        values = {"username": username, "password_hash": generate_password_hash(password),
                  "role": role, "active": True, "created_at": now}
        try:
            with self.engine.begin() as conn:
                key = conn.execute(users.insert().values(**values)).inserted_primary_key
        except sa.exc.IntegrityError as exc:  # a concurrent add of the same name
            raise UserExists(username) from exc
        assert key is not None
        return int(key[0])

    def user(self, user_id: int) -> dict[str, Any] | None:
        """One user by id (without the password hash)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_PUBLIC).where(users.c.id == user_id)).first()
        return dict(row._mapping) if row else None

    def user_by_name(self, username: str) -> dict[str, Any] | None:
        """One user by name (without the password hash)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_PUBLIC).where(users.c.username == username)).first()
        return dict(row._mapping) if row else None

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The active user whose password this is, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        # An unknown name costs a hash check too, so timing does not tell which names exist.
        stored = row.password_hash if row is not None else _decoy_hash()
        if not check_password_hash(stored, password) or row is None or not row.active:
            return None
        return self.user(int(row.id))

    def users(self) -> list[dict[str, Any]]:
        """Every user, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*_PUBLIC).order_by(users.c.username))
            return [dict(row._mapping) for row in rows]

    def usernames(self, ids: Iterable[int]) -> dict[int, str]:
        """Names of the users with these ids."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users.c.id, users.c.username)
                                .where(users.c.id.in_(sorted(wanted))))
            return {row.id: row.username for row in rows}

    def set_active(self, username: str, active: bool) -> bool:
        """Enable or disable a user; False when there is no such user."""
        with self.engine.begin() as conn:
            result = conn.execute(users.update().where(users.c.username == username)
                                  .values(active=active))
        return result.rowcount == 1

    def record_login(self, user_id: int, now: datetime) -> None:
        """Remember when a user last logged in."""
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == user_id).values(last_login_at=now))

    def check_password(self, user_id: int, password: str) -> bool:
        """Whether this is the user's password."""
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(users.c.password_hash)
                                  .where(users.c.id == user_id)).scalar()
        return stored is not None and check_password_hash(stored, password)

    def set_password(self, username: str, password: str) -> bool:
        """Give a user a new password; False when there is no such user."""
        with self.engine.begin() as conn:
            result = conn.execute(users.update().where(users.c.username == username)
                                  .values(password_hash=generate_password_hash(password)))
        return result.rowcount == 1

    # -- authenticator codes (TOTP) -----------------------------------------------------

    def totp_secret(self, user_id: int) -> str | None:
        """The user's authenticator secret, or None when they have not set one up."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(users.c.totp_secret).where(users.c.id == user_id)).scalar()
        return str(found) if found else None

    def set_totp(self, username: str, secret: str | None) -> bool:
        """Set up (or, with None, remove) a user's authenticator; False when no such user."""
        with self.engine.begin() as conn:
            result = conn.execute(users.update().where(users.c.username == username)
                                  .values(totp_secret=secret, totp_last_step=None))
        return result.rowcount == 1

    def set_phone(self, user_id: int, phone: str | None) -> bool:
        """Keep (or, with None, forget) the agent's own phone number, already checked (E.164)."""
        with self.engine.begin() as conn:
            result = conn.execute(users.update().where(users.c.id == user_id).values(phone=phone))
        return result.rowcount == 1

    def set_time_zone(self, user_id: int, zone: str | None) -> bool:
        """Keep (or, with None, forget) the user's own time zone, an already checked IANA name."""
        with self.engine.begin() as conn:
            result = conn.execute(users.update().where(users.c.id == user_id).values(time_zone=zone))
        return result.rowcount == 1

    def use_totp_step(self, user_id: int, step: int) -> bool:
        """Accept a code's time step once: False when it (or a later one) was used already."""
        newer = sa.or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step)
        with self.engine.begin() as conn:
            result = conn.execute(users.update().where(users.c.id == user_id, newer)
                                  .values(totp_last_step=step))
        return result.rowcount == 1

    # -- notes ---------------------------------------------------------------------------

    def add_note(self, voicemail_id: int, user_id: int, body: str, now: datetime) -> int:
        """Add an agent's note to a voicemail."""
        with self.engine.begin() as conn:
            key = conn.execute(voicemail_notes.insert().values(
                voicemail_id=voicemail_id, user_id=user_id, body=body, created_at=now)
            ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def notes(self, voicemail_id: int) -> list[dict[str, Any]]:
        """A voicemail's notes, oldest first, each with its author's name."""
        query = (
            sa.select(voicemail_notes, users.c.username)
            .join(users, users.c.id == voicemail_notes.c.user_id)
            .where(voicemail_notes.c.voicemail_id == voicemail_id)
            .order_by(voicemail_notes.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
