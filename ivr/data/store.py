"""Persistence: calls and their journeys, and every query the app makes of them (views
never build SQL). The tables are in ``ivr.data.tables``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ivr.data import direct, rollup
from ivr.data.batch import (
    CALL_DEFAULTS,
    START_COLUMNS,
    STATUS_COLUMNS,
    BatchStatements,
)
from ivr.data.tables import calls, journey_steps, make_engine

log = logging.getLogger(__name__)


def _last_per_call(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per call (the last): an upsert may not touch a row twice in one statement.
    In call order, so workers lock the rows they share in the same order."""
    return sorted({row["call_sid"]: row for row in rows}.values(), key=_call_sid)


def _call_sid(row: dict[str, Any]) -> str:
    return str(row["call_sid"])


# PostgreSQL ended the transaction to break a deadlock (40P01) or a serialization conflict
# (40001) with another worker's: it can simply run again.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
BATCH_ATTEMPTS = 3


def _transient(exc: Exception) -> bool:
    """Whether a failed transaction may just be run again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRIED_SQLSTATES


def _latest_status_per_call(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The status with the highest sequence number per call (ties: the later one)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen = latest.get(row["call_sid"])
        if seen is None or row["status_seq"] >= seen["status_seq"]:
            latest[row["call_sid"]] = row
    return list(latest.values())

class Store:
    """The app's database: calls and their journeys."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # write_batch's upserts, built once per dialect (tests swap the engine).
        self._statements: tuple[str, BatchStatements] | None = None

    @property
    def _driver_error(self) -> type[Exception]:
        """The base class of the database driver's errors."""
        return self.engine.dialect.loaded_dbapi.Error

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def write_batch(
        self,
        starts: Sequence[dict[str, Any]],
        steps: Sequence[dict[str, Any]],
        statuses: Sequence[dict[str, Any]],
    ) -> None:
        """Write a batch of journey data in one transaction; repeats are ignored.

        Each kind is one prepared statement run over all its rows (building a statement
        per row cost more than the database's own work). In the same transaction, the
        analytics rollups of the calls the batch touched are brought up to date
        (ivr.data.rollup), so another worker never finds lines committed without their
        rollups (which would make it read those calls' whole journeys again).
        """
        for attempt in range(BATCH_ATTEMPTS):
            try:
                self._write_batch(starts, steps, statuses)
                return
            except sa.exc.DBAPIError as exc:  # every line is keyed: running again is safe
                if attempt == BATCH_ATTEMPTS - 1 or not _transient(exc):
                    raise
                log.info("journey batch ran into another worker's (%s); writing it again",
                         getattr(exc.orig, "sqlstate", ""))

    def _write_batch(self, starts: Sequence[dict[str, Any]], steps: Sequence[dict[str, Any]],
                     statuses: Sequence[dict[str, Any]]) -> None:
        """One try of write_batch: one transaction."""
        try:
            self._write_transaction(starts, steps, statuses)
        except self._driver_error as exc:  # from the driver's cursor: as SQLAlchemy raises it
            raise sa.exc.DBAPIError.instance(None, None, exc, self._driver_error) from exc

    def _write_transaction(self, starts: Sequence[dict[str, Any]],
                           steps: Sequence[dict[str, Any]],
                           statuses: Sequence[dict[str, Any]]) -> None:
        sql = self._batch_statements()
        added: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            cursor = direct.cursor_of(conn)
            if starts:
                sql.start.run(cursor, [[row.get(name, CALL_DEFAULTS.get(name))
                                        for name in START_COLUMNS]
                                       for row in _last_per_call(starts)])
            if statuses:
                sql.status.run(cursor, [[row.get(name, CALL_DEFAULTS.get(name))
                                         for name in STATUS_COLUMNS]
                                        for row in _latest_status_per_call(statuses)])
            if steps:  # the lines really added (a repeat adds none), for the rollups
                added = sql.add_steps(cursor, steps)
            touched = {row["call_sid"] for rows in (starts, statuses, steps) for row in rows}
            if touched:
                self._fold(conn, touched, added)

    def _fold(self, conn: sa.Connection, call_sids: set[str], added: Sequence[dict[str, Any]],
              attempts: int = 3) -> bool:
        """The rollups of ``call_sids``, inside the journey's transaction but under a
        savepoint of their own: a failure here is undone alone and never costs a journey
        line (the next line or status of the call, or `ivr report --rebuild`, brings the
        rollups up to date); False (logged) if it failed. Two workers folding one call at
        once collide on its rows; the one that lost tries again, reading the other's rows."""
        # The savepoint on the driver's cursor: SQLAlchemy's own (begin_nested) cost more
        # CPU than the rollups' statements on PostgreSQL.
        cursor = direct.cursor_of(conn)
        for attempt in range(attempts):
            cursor.execute("SAVEPOINT journey_rollups")
            try:
                rollup.refresh_calls(conn, call_sids, added)
                cursor.execute("RELEASE SAVEPOINT journey_rollups")
                return True
            except Exception:  # noqa: BLE001 - analytics must never stop journeys
                cursor.execute("ROLLBACK TO SAVEPOINT journey_rollups")
                cursor.execute("RELEASE SAVEPOINT journey_rollups")
                if attempt == attempts - 1:
                    log.exception("analytics rollups of %d call(s) not refreshed", len(call_sids))
        return False

    def _batch_statements(self) -> BatchStatements:
        """The statements of write_batch, built once per store."""
        dialect = self.engine.dialect.name  # the statements are dialect-specific upserts
        cached = self._statements
        built = cached[1] if cached and cached[0] == dialect else None
        if built is None:
            built = BatchStatements(self.engine.dialect)
            self._statements = (dialect, built)
        return built

    def journey(self, call_sid: str) -> list[dict[str, Any]]:
        """The steps of one call, in order."""
        query = (
            sa.select(journey_steps)
            .where(journey_steps.c.call_sid == call_sid)
            .order_by(journey_steps.c.at, journey_steps.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def call(self, call_sid: str) -> dict[str, Any] | None:
        """One call's row."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(calls).where(calls.c.call_sid == call_sid)).first()
        return dict(row._mapping) if row else None

    def count_steps(self) -> int:
        """How many journey steps are stored."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(journey_steps))
                       .scalar_one())

    def recent_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest calls, newest first."""
        query = sa.select(calls).order_by(calls.c.started_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
