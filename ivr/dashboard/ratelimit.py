"""Counters for the `limits` library in the app's own database, shared by every worker.

`limits` does the rate limiting; it keeps its counters in a storage. Its own storages
are process memory (one count per gunicorn worker, so N workers allow N times the
limit) or a separate server (redis, memcached, MongoDB). This storage keeps them in
the database every worker and instance already shares, with each increment one
atomic upsert, so parallel requests are all counted. IVR_RATE_LIMIT_STORAGE chooses
another `limits` storage by URI (e.g. ``redis://host:6379``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from limits import RateLimitItem
from limits.storage import Storage, storage_from_string
from sqlalchemy.engine import Connection, Engine

from ivr.data.tables import metadata, upsert_insert

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # seconds since the epoch
)

DATABASE = "database"  # IVR_RATE_LIMIT_STORAGE's default: this module's storage


class DatabaseStorage(Storage):
    """A fixed-window `limits` storage on a SQLAlchemy engine (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = None  # built from the app's engine, never from a URI

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        super().__init__()
        self.engine = engine
        self.clock = clock
        self._statement: Any = None

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """What a database failure raises."""
        return sa.exc.SQLAlchemyError

    def _upsert(self) -> Any:
        """The atomic increment, built once: parameters key, amount, now, ends."""
        if self._statement is None:
            insert = upsert_insert(self.engine, rate_limits)
            live = rate_limits.c.expires_at > sa.bindparam("now", type_=sa.Float)
            amount: Any = sa.bindparam("amount", type_=sa.Integer)
            ends = sa.bindparam("ends", type_=sa.Float)
            statement = insert.values(key=sa.bindparam("key", type_=sa.String), count=amount,
                                      expires_at=ends)
            self._statement = statement.on_conflict_do_update(
                index_elements=[rate_limits.c.key],
                set_={"count": sa.case((live, rate_limits.c.count + amount), else_=amount),
                      "expires_at": sa.case((live, rate_limits.c.expires_at), else_=ends)},
            ).returning(rate_limits.c.count)
        return self._statement

    def _add(self, conn: Connection, key: str, expiry: float, amount: int, now: float) -> int:
        return int(conn.execute(self._upsert(), {"key": key[:255], "amount": amount,
                                                 "now": now, "ends": now + expiry}).scalar_one())

    def _quick(self, conn: Connection) -> None:
        """On PostgreSQL, commit without waiting for the write-ahead log to reach the disk:
        the count is as atomic and as visible to every worker at once, and only a crash of
        the database server could forget its last fraction of a second of hits (a counter,
        not a record). A text's answer then never waits for a disk flush."""
        if self.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))

    def _tidy(self, conn: Connection, now: float) -> None:
        if random.random() < 0.02:  # now and then, forget counters long expired
            conn.execute(rate_limits.delete().where(rate_limits.c.expires_at < now - 3600))

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to a live counter, or start one that ends in ``expiry`` seconds."""
        now = self.clock()
        with self.engine.begin() as conn:
            self._quick(conn)
            count = self._add(conn, key, expiry, amount, now)
            self._tidy(conn, now)
        return count

    def hit_in_order(self, counters: Sequence[tuple[RateLimitItem, tuple[str, ...]]]) -> int:
        """One hit on each (limit, identifiers) in order, as `limits`' fixed window counts
        them, in one transaction; it stops at the first counter over its limit (later
        ones are not counted). Its index, or -1 when every counter is within its limit."""
        now = self.clock()
        with self.engine.begin() as conn:
            self._quick(conn)
            for index, (item, who) in enumerate(counters):
                if self._add(conn, item.key_for(*who), item.get_expiry(), 1, now) > item.amount:
                    return index
            self._tidy(conn, now)
        return -1

    def get(self, key: str) -> int:
        """A live counter's value (0 when there is none)."""
        query = sa.select(rate_limits.c.count).where(rate_limits.c.key == key[:255],
                                                     rate_limits.c.expires_at > self.clock())
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def get_expiry(self, key: str) -> float:
        """When a live counter ends (now when there is none)."""
        now = self.clock()
        query = sa.select(rate_limits.c.expires_at).where(rate_limits.c.key == key[:255],
                                                          rate_limits.c.expires_at > now)
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return float(found) if found is not None else now

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        with self.engine.begin() as conn:
            return int(conn.execute(rate_limits.delete()).rowcount)

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self.engine.begin() as conn:
            conn.execute(rate_limits.delete().where(rate_limits.c.key == key[:255]))


def make_storage(uri: str, engine: Engine, clock: Callable[[], float]) -> Storage:
    """The configured storage: this database (the default) or any `limits` storage URI."""
    if not uri or uri == DATABASE:
        return DatabaseStorage(engine, clock)
    found = storage_from_string(uri)
    if not isinstance(found, Storage):  # an async storage (async+redis://...) cannot serve Flask
        raise ValueError(f"IVR_RATE_LIMIT_STORAGE={uri!r} is an asynchronous storage")
    return found
