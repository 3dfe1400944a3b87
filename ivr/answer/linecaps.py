"""The hourly cap of automatic texts per line, and when it last refused a text.

"Text me" and receipts go to whoever calls, so a line's automatic texts are capped per
hour (``IVR_SMS_LINE_HOURLY_CAP``; a line is a menu, whichever of its numbers was called).
When the cap refuses a text the line is marked here (one row per menu: when, and how many
were refused since it first tripped in the hour), and the dashboard warns for an hour:
either callers are unusually many, or someone is pumping texts through the line.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata

WINDOW = timedelta(hours=1)
DEFAULT_LINE_HOURLY_CAP = 20

sms_line_caps = sa.Table(
    "sms_line_caps",
    metadata,
    sa.Column("menu", sa.String(64), primary_key=True),
    sa.Column("tripped_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
)


def record_trip(engine: Engine, menu: str, now: datetime) -> None:
    """The line's cap refused a text: mark it (the count restarts after an hour's quiet)."""
    menu = menu[:64]
    c = sms_line_caps.c
    with engine.begin() as conn:
        row = conn.execute(sa.select(sms_line_caps).where(c.menu == menu)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(sms_line_caps).values(menu=menu, tripped_at=now,
                                                                 refused=1))
                return
            except sa.exc.IntegrityError:
                row = conn.execute(sa.select(sms_line_caps).where(c.menu == menu)).first()
        fresh = row is not None and _aware(row.tripped_at) > now - WINDOW
        conn.execute(sa.update(sms_line_caps).where(c.menu == menu).values(
            tripped_at=now, refused=(c.refused + 1) if fresh else 1))


def recent_trips(engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """Lines whose cap refused texts in the last hour: menu, tripped_at, refused."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sms_line_caps)
                            .where(sms_line_caps.c.tripped_at > now - WINDOW)
                            .order_by(sms_line_caps.c.menu)).all()
    return [dict(row._mapping) for row in rows]


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were written in UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
