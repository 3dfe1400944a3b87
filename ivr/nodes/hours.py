"""``type: hours`` — route by opening hours: one way while open, another while closed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Event, Turn
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext


@dataclass(frozen=True)
class HoursNode(Node):
    """Check a schedule from the menu's ``hours`` and branch."""

    schedule: str = ""
    open: str = ""
    closed: str = ""

    kind = "hours"
    summary = "go to `open` or `closed` depending on a schedule in `hours`"

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``schedule``, ``open`` and ``closed``."""
        schedule = fields.require("schedule", "the name of a schedule under 'hours'")
        name = schedule.text("a schedule name") if schedule else None
        if schedule and name is not None and name not in ctx.schedule_names:
            known = ", ".join(sorted(ctx.schedule_names)) or "none defined"
            schedule.error(f"unknown schedule {name!r} (defined under 'hours': {known})")
        when_open = fields.require("open", "where to go while open")
        when_closed = fields.require("closed", "where to go while closed")
        return {
            "schedule": name or "",
            "open": ctx.target(when_open) if when_open else "",
            "closed": ctx.target(when_closed) if when_closed else "",
        }

    def targets(self) -> list[tuple[str, Where]]:
        """Both branches."""
        return [*super().targets(), (self.open, self.where), (self.closed, self.where)]

    def enter(self, call: Call) -> Turn:
        """Branch on the schedule at the call's current time."""
        is_open = call.menu.schedules[self.schedule].is_open(call.now)
        target = self.open if is_open else self.closed
        call.log("hours", outcome=("open" if is_open else "closed") + f":go:{target}")
        return call.go(target, call.hear(self.say))

    def handle(self, call: Call, event: Event) -> Turn:
        """Any event re-evaluates the hours."""
        return self.enter(call)
