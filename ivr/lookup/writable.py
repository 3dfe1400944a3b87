"""Database engines for actions: they may write, but only what the operator allows.

SQLite: the file is opened read-write (never created) with an authorizer that lets a
statement insert into or update the connection's tables, and read them, and nothing
else: no other table, no DELETE, no ATTACH, no PRAGMA, no schema change. For the
built-in demo connection that is ``library_holds`` alone, in the app's own file.
PostgreSQL: the operator's role decides (INSERT on the tables actions need, nothing
more; docs/lookups.md), every statement bounded by the time budget, session settings
reset when a connection returns to the pool.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.lookup.policy import Connection
from ivr.lookup.readonly import (
    DENIED_FUNCTIONS,
    HARMLESS_PRAGMAS,
    Authorizer,
    bounded_postgres,
    guarded_sqlite,
)


def write_authorizer(tables: frozenset[str] | None) -> Authorizer:
    """A SQLite authorizer: INSERT or UPDATE of ``tables`` (and reading them), nothing else."""
    allowed = {t.lower() for t in tables} if tables is not None else None

    def table_ok(name: str | None) -> bool:
        return allowed is None or (name or "").lower() in allowed

    def decide(action: int, arg1: str | None, arg2: str | None, _db: str | None,
               _trigger: str | None) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE,
                      sqlite3.SQLITE_TRANSACTION):
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_READ):
            return sqlite3.SQLITE_OK if table_ok(arg1) else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS \
                else sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and arg2 is None and \
                (arg1 or "").lower() in HARMLESS_PRAGMAS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY  # DELETE, ATTACH, PRAGMA, CREATE, DROP, ALTER, ...

    return decide


def sqlite_writer(path: str, tables: frozenset[str] | None, timeout: float) -> Engine:
    """A pool of authorizer-guarded connections to the existing SQLite file ``path``."""
    return guarded_sqlite(path, write_authorizer(tables), timeout, mode="rw", pool=2)


def postgres_writer(url: str, timeout: float) -> Engine:
    """An engine whose statements are bounded by the time budget; the role decides the rest."""
    return bounded_postgres(url, timeout, read_only=False, pool=2)


def action_engine(connection: Connection, timeout: float) -> Engine:
    """The engine for an operator's writable connection (SQLite or PostgreSQL only)."""
    url = sa.engine.make_url(connection.url)
    if url.get_backend_name() == "sqlite":
        return sqlite_writer(url.database or "", connection.tables, timeout)
    return postgres_writer(connection.url, timeout)
