"""What the live view reads: calls in progress with where they are, from calls and journeys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import calls, journey_steps

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")
MAX_LISTED = 200


def calls_in_progress(engine: Engine, now: datetime, max_age: timedelta) -> list[dict[str, Any]]:
    """Calls not reported ended and started less than ``max_age`` ago, oldest first, each
    with its last journey line (the node it is at and the caller's language)."""
    query = (sa.select(calls.c.call_sid, calls.c.menu, calls.c.started_at, calls.c.from_number,
                       calls.c.simulated)
             .where(sa.or_(calls.c.status.is_(None), calls.c.status.not_in(FINAL)),
                    calls.c.started_at > now - max_age)
             .order_by(calls.c.started_at, calls.c.call_sid).limit(MAX_LISTED))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return []
        last = (sa.select(journey_steps.c.call_sid, sa.func.max(journey_steps.c.id).label("id"))
                .where(journey_steps.c.call_sid.in_([r["call_sid"] for r in rows]))
                .group_by(journey_steps.c.call_sid).subquery())
        steps = {r.call_sid: r for r in conn.execute(
            sa.select(journey_steps.c.call_sid, journey_steps.c.node, journey_steps.c.lang,
                      journey_steps.c.event, journey_steps.c.outcome, journey_steps.c.entered)
            .join(last, last.c.id == journey_steps.c.id))}
    for row in rows:
        step = steps.get(row["call_sid"])
        # The turn's last line lists the nodes it entered ("id/kind,..."): the last is where
        # the call is now; a turn that entered none stayed at its line's node.
        entered = step.entered.rsplit(",", 1)[-1].split("/", 1)[0] if step is not None else ""
        row["node"] = entered or (step.node if step is not None else "")
        row["lang"] = step.lang if step is not None else ""
        # The last line of a call that ended by itself (a hangup) before Twilio's status came.
        row["ending"] = bool(step is not None and step.outcome == "hangup")
    return rows
