"""Opening hours: weekly wall-clock ranges in a timezone, with dated exceptions.

Hours are compared in local wall-clock time, so "09:00-17:00" means nine to five
on both sides of a daylight-saving change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Range = tuple[int, int]  # minutes since midnight, [start, end)

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Schedule:
    """When a service is open."""

    name: str
    timezone: str
    weekly: Mapping[int, tuple[Range, ...]]  # weekday (0=Monday) -> ranges
    closed_dates: frozenset[date]
    special: Mapping[date, tuple[Range, ...]]  # a date's own hours (replaces the weekly)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The opening ranges that start on ``day``."""
        if day in self.closed_dates:
            return ()
        if day in self.special:
            return self.special[day]
        return self.weekly.get(day.weekday(), ())

    def is_open(self, now: datetime) -> bool:
        """Whether the service is open at ``now`` (an aware datetime)."""
        local = now.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        today = local.date()
        if any(start <= minute < end for start, end in self.ranges_on(today)):
            return True
        # A range past midnight ("22:00-02:00") is stored as ending after 24:00.
        yesterday = today - timedelta(days=1)
        return any(end > 1440 and minute < end - 1440 for _, end in self.ranges_on(yesterday))

    def window(self, now: datetime, horizon_days: int = 14) -> tuple[datetime, datetime] | None:
        """The opening period ``now`` falls in, else the next one: (start, end), aware.

        A callback asked for while open may be answered from now until closing; one asked
        for while closed, from the next opening to that period's closing. None when the
        schedule opens nowhere within ``horizon_days``.
        """
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        for offset in range(-1, horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            midnight = datetime.combine(day, time(), tzinfo=zone)
            for start, end in sorted(self.ranges_on(day)):
                # Wall-clock minutes, made aware per moment (a DST day keeps 09:00 at 09:00).
                opens = _at(midnight, start, zone)
                closes = _at(midnight, end, zone)
                if closes > local:
                    return (max(opens, local), closes)
        return None

    def next_opening(self, now: datetime, horizon_days: int = 14) -> datetime | None:
        """The next local time the service opens, within ``horizon_days``."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            for start, _ in sorted(self.ranges_on(day)):
                moment = datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)
                if moment > local:
                    return moment
        return None


def parse_ranges(text: str) -> tuple[tuple[Range, ...], str | None]:
    """Parse "09:00-12:00, 13:00-17:30" or "closed"; returns (ranges, error)."""
    text = text.strip().lower()
    if text in ("closed", ""):
        return (), None
    ranges = []
    for part in text.split(","):
        match = _RANGE.match(part)
        if not match:
            return (), f"expected hours like \"09:00-17:30\" or \"closed\", found {part.strip()!r}"
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            return (), f"{part.strip()!r} is not a valid time range"
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == start:
            return (), f"{part.strip()!r} is empty"
        if end < start:  # past midnight
            end += 1440
        ranges.append((start, end))
    return tuple(sorted(ranges)), None


DAY_NAMES = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}


def parse_days(text: str) -> tuple[list[int], str | None]:
    """Parse "mon-fri", "sat,sun", "daily", "weekdays" or "weekend" into weekday numbers."""
    text = text.strip().lower()
    if text in ("daily", "every day"):
        return list(range(7)), None
    if text == "weekdays":
        return list(range(5)), None
    if text == "weekend":
        return [5, 6], None
    days: list[int] = []
    hint = "(use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, lists like sat,sun)"
    for part in (p.strip() for p in text.split(",")):
        first, dash, last = part.partition("-")
        if dash:
            a, b = DAY_NAMES.get(first.strip()), DAY_NAMES.get(last.strip())
            if a is None or b is None:
                return [], f"unknown day range {part!r} {hint}"
            days.extend(DAYS.index(d) for d in _cycle(a, b))
        elif part in DAY_NAMES:
            days.append(DAY_NAMES[part])
        else:
            return [], f"unknown day {part!r} {hint}"
    return days, None


def _cycle(a: int, b: int) -> list[str]:
    """Days from a to b inclusive, wrapping past Sunday."""
    out = [DAYS[a]]
    while a != b:
        a = (a + 1) % 7
        out.append(DAYS[a])
    return out


def _at(midnight: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time ``minutes`` after ``midnight`` (past 24:00: the next day)."""
    day = midnight.date() + timedelta(days=minutes // 1440)
    minutes %= 1440
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def menu_zone(menu: Any) -> str:
    """The time zone of a menu's opening hours (its first schedule's), else UTC."""
    schedules = list(menu.schedules.values()) if menu is not None else []
    return str(schedules[0].timezone) if schedules else "UTC"


def moment(text: str, zone: str) -> datetime | None:
    """"2026-12-01 10:00" in ``zone``, or a time with its own offset; None if unreadable."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed
