"""The SQL tables of calls and their journeys, the engine and helpers every store shares."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

calls = sa.Table(
    "calls",
    metadata,
    sa.Column("call_sid", sa.String(64), primary_key=True),
    sa.Column("account_sid", sa.String(64)),
    sa.Column("from_number", sa.String(64)),
    sa.Column("to_number", sa.String(64)),
    sa.Column("menu", sa.String(64)),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(20)),
    sa.Column("status_seq", sa.Integer, nullable=False, server_default="-1"),
    sa.Column("duration", sa.Integer),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    # Placed with the simulator (the dashboard's, `ivr call`) or on a draft: not a caller,
    # so left out of analytics.
    sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
)

journey_steps = sa.Table(
    "journey_steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("menu", sa.String(64)),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("input", sa.Text, nullable=False, server_default=""),
    sa.Column("outcome", sa.String(255), nullable=False, server_default=""),
    sa.Column("lang", sa.String(16), nullable=False, server_default=""),
    # The kind of the step's node, and (on a turn's last line) the nodes the turn entered
    # as ``id/kind,id/kind``: the caller's path, for analytics.
    sa.Column("kind", sa.String(32), nullable=False, server_default=""),
    sa.Column("entered", sa.Text, nullable=False, server_default=""),
    # Twilio's I-Twilio-Idempotency-Token: a retried webhook adds nothing twice.
    sa.Column("request_token", sa.String(128)),
    sa.Column("part", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("call_sid", "request_token", "part", name="uq_journey_request"),
    sa.Index("ix_journey_steps_menu_event_at", "menu", "event", "at"),  # analytics: words not understood
)
# What the analytics rollups read of each line written (ivr.data.rollup.LINE).
ROLLUP_LINE = ("call_sid", "at", "menu", "node", "event", "input", "outcome", "lang", "kind",
               "entered", "part", "id")  # lines spooled before these columns existed


def make_engine(url: str) -> Engine:
    """An SQLAlchemy engine; SQLite gets WAL and a busy timeout so workers can share it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 15})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def upsert_insert(engine: Engine, table: sa.Table) -> Any:
    """A dialect insert that supports ON CONFLICT."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def one_with_journey(engine: Engine, table: sa.Table, row_id: int) -> dict[str, Any] | None:
    """One row of ``table`` (a voicemail, a callback request) by id, its ``journey`` column
    decoded from JSON (a list of steps; [] when empty or unreadable)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(table).where(table.c.id == row_id)).first()
    if row is None:
        return None
    found = dict(row._mapping)
    try:
        found["journey"] = json.loads(found["journey"]) if found["journey"] else []
    except ValueError:
        found["journey"] = []
    return found


def utc(value: datetime | None = None) -> datetime:
    """An aware UTC timestamp."""
    return value.astimezone(UTC) if value else datetime.now(UTC)


def rows_of(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list copy of rows (batches are handed between threads)."""
    return [dict(i) for i in items]
