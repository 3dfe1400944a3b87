"""The figures: an overview of a date range, drop-off per node, destinations and lookups.

Everything is read from the rollups (ivr.data.rollup), a few rows per call, never
from the journey lines themselves; dates are days in the menu's time zone.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ivr.data.facts import MENU_KINDS, SLOT_SECONDS
from ivr.data.rollup import call_edges, call_facts, call_nodes

NATURAL_ENDS = frozenset({"hangup", "message", "callback"})
MAX_DAYS = 366  # the longest range a page or report covers


class RangeError(ValueError):
    """A date range that cannot be reported (backwards, too long, not a date)."""


@dataclass(frozen=True)
class Period:
    """Days ``start``..``end`` (both included) in ``zone``, for one menu or (None) all."""

    start: date
    end: date
    zone: ZoneInfo
    menu: str | None = None
    simulated: bool = False  # also count the calls placed with the simulator

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise RangeError("the range ends before it starts")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise RangeError(f"a range covers at most {MAX_DAYS} days")

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The range as UTC instants: [first midnight, the midnight after the last day)."""
        first = datetime.combine(self.start, time(), self.zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), self.zone).astimezone(UTC)
        return first, after

    def days(self) -> list[date]:
        """Every day of the range."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def slots(self) -> tuple[int, int]:
        """The range as quarter-hours since 1970: [first, after) (days in any zone align)."""
        first, after = self.bounds
        return int(first.timestamp()) // SLOT_SECONDS, int(after.timestamp()) // SLOT_SECONDS

    def where(self, table: sa.Table) -> list[Any]:
        """The SQL conditions selecting this period (and menu) in a rollup table."""
        first, after = self.bounds
        conditions = [table.c.started_at >= first, table.c.started_at < after]
        if self.menu:
            conditions.append(table.c.menu == self.menu)
        if not self.simulated:
            conditions.append(table.c.simulated.is_(False))
        return conditions


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise RangeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


@dataclass
class Tally:
    """Calls and what became of them (one menu, or one day)."""

    calls: int = 0
    contained: int = 0
    transferred: int = 0
    transfers_answered: int = 0
    voicemails: int = 0
    callbacks: int = 0
    abandoned: int = 0

    def add(self, row: Any) -> None:
        """Count one call_facts row."""
        self.calls += 1
        self.contained += bool(row.contained)
        self.transferred += bool(row.transferred)
        self.transfers_answered += bool(row.transfer_answered)
        self.voicemails += bool(row.voicemail)
        self.callbacks += bool(row.callback)
        self.abandoned += bool(row.abandoned)

    def as_dict(self) -> dict[str, int]:
        """The counts as JSON."""
        return {"calls": self.calls, "contained": self.contained,
                "transferred": self.transferred, "transfers_answered": self.transfers_answered,
                "transfers_not_answered": self.transferred - self.transfers_answered,
                "voicemails": self.voicemails, "callbacks": self.callbacks,
                "abandoned": self.abandoned}


def share(part: int, whole: int) -> float:
    """``part`` of ``whole`` as a fraction (0 when there is nothing)."""
    return part / whole if whole else 0.0


@dataclass
class Overview:
    """How the help desk did over a period."""

    period: Period
    total: Tally = field(default_factory=Tally)
    by_day: dict[date, Tally] = field(default_factory=dict)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    by_language: Counter[str] = field(default_factory=Counter)
    by_menu: dict[str, Tally] = field(default_factory=dict)
    keys: int = 0
    spoken: int = 0
    lookups_found: int = 0
    lookups_not_found: int = 0
    lookups_failed: int = 0
    average_seconds: float | None = None
    p90_seconds: int | None = None

    @property
    def containment(self) -> float:
        """Contained calls as a share of all calls."""
        return share(self.total.contained, self.total.calls)

    @property
    def key_share(self) -> float:
        """Inputs by key as a share of all the callers' inputs."""
        return share(self.keys, self.keys + self.spoken)

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON (``ivr report --json``)."""
        return {
            "menu": self.period.menu, "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(), "time_zone": str(self.period.zone),
            "simulated_included": self.period.simulated,
            **self.total.as_dict(),
            "containment": round(self.containment, 4),
            "average_seconds": None if self.average_seconds is None
            else round(self.average_seconds, 1),
            "p90_seconds": self.p90_seconds,
            "inputs": {"keys": self.keys, "voice": self.spoken,
                       "key_share": round(self.key_share, 4)},
            "lookups": {"found": self.lookups_found, "not_found": self.lookups_not_found,
                        "source_down": self.lookups_failed},
            "by_language": dict(sorted(self.by_language.items())),
            "by_menu": {menu: tally.as_dict() for menu, tally in sorted(self.by_menu.items())},
            "by_day": [{"day": day.isoformat(), **tally.as_dict()}
                       for day, tally in self.by_day.items()],
            "by_hour": [{"hour": hour, "calls": count} for hour, count in enumerate(self.by_hour)],
        }


def _count(column: Any) -> Any:
    """SUM of a boolean column as an integer (PostgreSQL does not add booleans)."""
    return sa.func.sum(sa.case((column, 1), else_=0))


def _tally(row: Any) -> Tally:
    return Tally(int(row.calls), int(row.contained or 0), int(row.transferred or 0),
                 int(row.transfers_answered or 0), int(row.voicemails or 0),
                 int(row.callbacks or 0), int(row.abandoned or 0))


def _merge(into: Tally, more: Tally) -> None:
    for name in ("calls", "contained", "transferred", "transfers_answered", "voicemails",
                 "callbacks", "abandoned"):
        setattr(into, name, getattr(into, name) + getattr(more, name))


def overview(engine: sa.Engine, period: Period) -> Overview:
    """The overview of ``period``, summed by the database over call_facts (one row a call).

    Three grouped reads of the same index range: by quarter-hour (days and hours in the
    menu's zone are sums of quarters), by menu and language, and by call length.
    """
    result = Overview(period, by_day={day: Tally() for day in period.days()})
    f = call_facts.c
    first_slot, after_slot = period.slots
    where = [f.slot >= first_slot, f.slot < after_slot]
    if period.menu:
        where.insert(0, f.menu == period.menu)
    if not period.simulated:
        where.append(f.simulated.is_(False))
    counts = [sa.func.count().label("calls"), _count(f.contained).label("contained"),
              _count(f.transferred).label("transferred"),
              _count(f.transfer_answered).label("transfers_answered"),
              _count(f.voicemail).label("voicemails"), _count(f.callback).label("callbacks"),
              _count(f.abandoned).label("abandoned")]
    by_slot = sa.select(f.slot, *counts).where(*where).group_by(f.slot)
    by_line = (sa.select(f.menu, f.lang, *counts, sa.func.sum(f["keys"]).label("key_inputs"),
                         sa.func.sum(f.spoken).label("spoken"),
                         sa.func.sum(f.lookups_found).label("found"),
                         sa.func.sum(f.lookups_not_found).label("not_found"),
                         sa.func.sum(f.lookups_failed).label("failed"))
               .where(*where).group_by(f.menu, f.lang))
    by_length = (sa.select(f.seconds, sa.func.count()).where(*where, f.seconds.is_not(None))
                 .group_by(f.seconds))
    zone = period.zone
    with engine.connect() as conn:
        for row in conn.execute(by_slot):
            tally = _tally(row)
            if row.slot is None:
                continue
            local = datetime.fromtimestamp(int(row.slot) * SLOT_SECONDS, UTC).astimezone(zone)
            day = result.by_day.get(local.date())
            if day is not None:
                _merge(day, tally)
            result.by_hour[local.hour] += tally.calls
        for row in conn.execute(by_line):
            tally = _tally(row)
            _merge(result.total, tally)
            _merge(result.by_menu.setdefault(row.menu, Tally()), tally)
            result.by_language[row.lang or "?"] += tally.calls
            result.keys += int(row.key_inputs or 0)
            result.spoken += int(row.spoken or 0)
            result.lookups_found += int(row.found or 0)
            result.lookups_not_found += int(row.not_found or 0)
            result.lookups_failed += int(row.failed or 0)
        lengths = [(int(seconds), int(n)) for seconds, n in conn.execute(by_length)]
    if lengths:
        total = sum(n for _, n in lengths)
        result.average_seconds = sum(s * n for s, n in lengths) / total
        result.p90_seconds = p90_of_counts(lengths)
    return result


def p90_of_counts(counts: list[tuple[int, int]]) -> int | None:
    """The 90th percentile (nearest rank) of values given as (value, how many)."""
    total = sum(n for _, n in counts)
    if not total:
        return None
    rank = max(1, math.ceil(0.9 * total))
    seen = 0
    for value, n in sorted(counts):
        seen += n
        if seen >= rank:
            return value
    return None


@dataclass(frozen=True)
class NodeFigures:
    """One node over a period: calls that reached it, visits, and calls that ended there."""

    node: str
    kind: str
    calls: int
    visits: int
    ended_here: int

    @property
    def drop_rate(self) -> float:
        """Calls that hung up here, as a share of the calls that reached it."""
        return share(self.ended_here, self.calls)


@dataclass
class Dropoff:
    """Where callers went and where they gave up."""

    nodes: dict[str, NodeFigures]
    edges: dict[tuple[str, str], int]  # calls that moved from one node to the next

    def edge_share(self, src: str, dst: str) -> float:
        """The share of the calls that left ``src`` which went on to ``dst``."""
        leaving = sum(n for (a, _), n in self.edges.items() if a == src)
        return share(self.edges.get((src, dst), 0), leaving)

    def worst(self, limit: int = 5, at_least: int = 1) -> list[NodeFigures]:
        """The nodes callers hang up at most, by share (ties: more calls), where anyone hung up.

        Ending after an answer or a callback request is where a call should end: those
        kinds are left out.
        """
        found = [n for n in self.nodes.values() if n.ended_here and n.calls >= at_least
                 and n.kind not in NATURAL_ENDS]
        return sorted(found, key=lambda n: (-n.drop_rate, -n.ended_here, n.node))[:limit]


def dropoff(engine: sa.Engine, period: Period) -> Dropoff:
    """Visits and hang-ups per node, moves per edge (summed in SQL over the rollups)."""
    n, e = call_nodes.c, call_edges.c
    node_query = (sa.select(n.node, sa.func.max(n.kind), sa.func.count(),
                            sa.func.sum(n.visits),
                            sa.func.sum(sa.case((n.ended_here, 1), else_=0)))
                  .where(*period.where(call_nodes)).group_by(n.node))
    edge_query = (sa.select(e.src, e.dst, sa.func.count())
                  .where(*period.where(call_edges)).group_by(e.src, e.dst))
    with engine.connect() as conn:
        nodes = {row[0]: NodeFigures(row[0], row[1] or "", int(row[2]), int(row[3] or 0),
                                     int(row[4] or 0)) for row in conn.execute(node_query)}
        edges = {(row[0], row[1]): int(row[2]) for row in conn.execute(edge_query)}
    return Dropoff(nodes, edges)


def destinations(drop: Dropoff, limit: int = 20) -> list[NodeFigures]:
    """The places callers reached most (menus and language choices left out)."""
    found = [n for n in drop.nodes.values() if n.kind not in MENU_KINDS]
    return sorted(found, key=lambda n: (-n.calls, n.node))[:limit]


def lookups(drop: Dropoff) -> list[NodeFigures]:
    """The lookup and search nodes callers reached, most used first."""
    found = [n for n in drop.nodes.values() if n.kind in ("lookup", "search")]
    return sorted(found, key=lambda n: (-n.calls, n.node))


def spoken_steps(engine: sa.Engine, period: Period, limit: int = 200_000) -> list[dict[str, Any]]:
    """The journey lines of ``period`` that may hold words not understood, by call and time."""
    from ivr.analytics.wording import SPOKEN_EVENTS
    from ivr.data.tables import calls, journey_steps

    s = journey_steps.c
    first, after = period.bounds
    # Only lines that can be "not understood": a spoken request the matcher did not take
    # at once, the "no" of a confirmation, a retry with words, a search that found nothing;
    # and where the caller then chose to go among what was offered.
    relevant = sa.or_(
        sa.and_(s.event == "speech", sa.or_(*(s.outcome.startswith(p) for p in
                                             ("nothing", "refine:", "unsure:", "confirm:",
                                              "topics:")))),
        sa.and_(s.event == "confirm", sa.or_(s.outcome.startswith("no"),
                                             s.outcome.startswith("yes:go:"))),
        sa.and_(s.event.in_(("refine", "topics")), s.outcome.startswith("go:")),
        sa.and_(s.event.in_(("no_match", "nothing_found")), s.input != ""),
        sa.and_(s.event == "search", s.outcome == "nothing"))
    simulated = sa.exists().where(calls.c.call_sid == s.call_sid, calls.c.simulated)
    conditions = [s.at >= first, s.at < after, s.event.in_(SPOKEN_EVENTS), relevant]
    if not period.simulated:
        conditions.append(~simulated)
    if period.menu:
        conditions.insert(0, s.menu == period.menu)
    query = (sa.select(s.call_sid, s.at, s.node, s.event, s.input, s.outcome, s.lang)
             .where(*conditions).order_by(s.call_sid, s.at, s.part, s.id).limit(limit))
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    from ivr.online.activity import spoken_like  # questions typed on help pages or texted

    return rows + spoken_like(engine, first, after, period.menu)[:max(0, limit - len(rows))]
