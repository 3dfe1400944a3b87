"""Database engines for lookups that can only read, and only what the operator allows.

SQLite: the file is opened read-only (``mode=ro``) with ``query_only`` on, and an
authorizer lets a statement do nothing but SELECT: no ATTACH (which would create
files), no PRAGMA, no writes, and — for the built-in demo connection — no table but
the demo's. PostgreSQL: every transaction is read-only with a statement timeout;
which tables can be read is the operator's role's grants (docs/lookups.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from ivr.lookup.policy import Connection

# What SQLAlchemy itself asks when it first connects (read, never set).
HARMLESS_PRAGMAS = frozenset({"read_uncommitted"})
DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})
Authorizer = Callable[[int, str | None, str | None, str | None, str | None], int]


def authorizer(tables: frozenset[str] | None) -> Authorizer:
    """A SQLite authorizer: SELECT and reads (of ``tables`` only, when given), nothing else."""
    allowed_tables = {t.lower() for t in tables} if tables is not None else None

    def decide(action: int, arg1: str | None, arg2: str | None, _db: str | None,
               _trigger: str | None) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if allowed_tables is None or (arg1 or "").lower() in allowed_tables:
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS \
                else sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and arg2 is None and \
                (arg1 or "").lower() in HARMLESS_PRAGMAS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_TRANSACTION:
            return sqlite3.SQLITE_OK  # BEGIN / ROLLBACK of a read-only connection
        return sqlite3.SQLITE_DENY  # ATTACH, PRAGMA, INSERT, UPDATE, DELETE, CREATE, ...

    return decide


def guarded_sqlite(path: str, guard: Authorizer, timeout: float, *, mode: str = "ro",
                   pool: int = 4) -> Engine:
    """A pool of authorizer-guarded connections to the existing SQLite file ``path``,
    opened ``ro`` (and query-only) or ``rw`` (actions), never created."""
    uri = f"file:{quote(path)}?mode={mode}"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
        if mode == "ro":
            conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(guard)
        return conn

    return sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=pool,
                            max_overflow=pool, pool_timeout=timeout)


def bounded_postgres(url: str, timeout: float, *, read_only: bool = True,
                     pool: int = 4) -> Engine:
    """An engine whose statements are bounded by the time budget, every transaction
    read-only unless ``read_only`` is False (actions: the role decides what they write),
    and session settings reset when a connection returns to the pool."""
    millis = int(timeout * 1000)
    options = f"-c statement_timeout={millis}"
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, round(timeout)),
        "options": options + (" -c default_transaction_read_only=on" if read_only else ""),
    }
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=pool, max_overflow=pool,
                              pool_timeout=timeout, connect_args=connect_args)

    if read_only:
        @sa.event.listens_for(engine, "connect")
        def _read_only(conn: Any, _record: Any) -> None:
            # psycopg begins every transaction READ ONLY. (SQLAlchemy's postgresql_readonly
            # option is not used: afterwards it sets read_only = False, i.e. READ WRITE.)
            conn.read_only = True

    @sa.event.listens_for(engine, "checkin")
    def _reset(conn: Any, record: Any) -> None:
        # A query may have changed a session setting (set_config): back to the above.
        try:
            conn.rollback()
            with conn.cursor() as cursor:
                cursor.execute("RESET ALL")
            conn.commit()
        except Exception:  # noqa: BLE001 - a connection we cannot reset is not reused
            record.invalidate()

    return engine


def sqlite_engine(path: str, tables: frozenset[str] | None, timeout: float) -> Engine:
    """A pool of read-only, authorizer-guarded connections to the SQLite file ``path``."""
    return guarded_sqlite(path, authorizer(tables), timeout)


def postgres_engine(url: str, timeout: float) -> Engine:
    """An engine whose every transaction is read-only and bounded by the time budget."""
    return bounded_postgres(url, timeout)


def lookup_engine(connection: Connection, timeout: float) -> Engine:
    """The engine for an operator's connection (SQLite or PostgreSQL only)."""
    url = sa.engine.make_url(connection.url)
    if url.get_backend_name() == "sqlite":
        return sqlite_engine(url.database or "", connection.tables, timeout)
    return postgres_engine(connection.url, timeout)


def catalogue_engine(url: str, timeout: float) -> Engine:
    """A read-only engine on the app's database for the fixed queries of SQL catalogues.

    Menus never write SQL against it: search nodes name a catalogue and the queries are
    the code's own. SQLite opens the file read-only with ``query_only`` but without the
    authorizer, which would refuse FTS5's own look at its schema.
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return postgres_engine(url, timeout)
    uri = f"file:{quote(parsed.database or '')}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    return sa.create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=4,
                            max_overflow=4, pool_timeout=timeout)
