"""Rollup tables kept as journeys are written: one row per call, per visited node, per move.

``refresh_calls`` runs after the journey writer's transaction (``Store.write_batch``)
for every call the batch touched. Given the lines the batch really added, it folds
them onto each call's rows (``extend``): the call's counts, and the first and last of
its earlier lines, which the database finds itself, so the Python work of a step does
not grow with the length of its call. A call whose rows do not match its earlier
lines (a batch replayed from the spool, lines arriving out of order, two workers
writing one call, a refresh that failed) has its whole journey read again and its
rows replaced, which keeps the rollups exact. The figures pages only ever read these
small tables (a few rows per call, not one per step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ivr.data import direct
from ivr.data.facts import CallFacts, Tally, summarize
from ivr.data.tables import ROLLUP_LINE, calls, journey_steps, metadata

CHUNK = 500  # calls refreshed per query (keeps IN lists short)
COVERED = ("slot", "seconds", "lang", "contained", "transferred", "transfer_answered", "voicemail",
           "callback", "abandoned", "keys", "spoken", "lookups_found", "lookups_not_found",
           "lookups_failed")

call_facts = sa.Table(
    "call_facts",
    metadata,
    sa.Column("call_sid", sa.String(64), primary_key=True),
    sa.Column("menu", sa.String(64), nullable=False, server_default=""),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    # The quarter-hour the call started in (seconds since 1970 // 900): days and hours in
    # any time zone are sums of these (every zone's offset is a whole number of quarters).
    sa.Column("slot", sa.Integer),
    sa.Column("seconds", sa.Integer),
    sa.Column("lang", sa.String(16), nullable=False, server_default=""),
    sa.Column("steps", sa.Integer, nullable=False, server_default="0"),
    sa.Column("answered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("looked_up", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("transferred", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("transfer_answered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("voicemail", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("callback", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("contained", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("abandoned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("keys", sa.Integer, nullable=False, server_default="0"),
    sa.Column("spoken", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lookups_found", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lookups_not_found", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lookups_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_node", sa.String(64), nullable=False, server_default=""),
    # Covering, in quarter-hour order: the overview's grouped reads are one contiguous
    # range of this index, already in the order they group by, never touching the rows.
    # Placed with the simulator: counted only when an admin asks (Period.simulated).
    sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_call_facts_menu_slot", *("menu",) + COVERED + ("simulated",)),
)

call_nodes = sa.Table(
    "call_nodes",
    metadata,
    sa.Column("call_sid", sa.String(64), primary_key=True),
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("menu", sa.String(64), nullable=False, server_default=""),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("kind", sa.String(32), nullable=False, server_default=""),
    sa.Column("visits", sa.Integer, nullable=False, server_default="0"),
    sa.Column("ended_here", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_call_nodes_menu_started", "menu", "started_at", "node", "kind", "visits",
             "ended_here", "simulated"),  # covering the drop-off's read
)

call_edges = sa.Table(
    "call_edges",
    metadata,
    sa.Column("call_sid", sa.String(64), primary_key=True),
    sa.Column("src", sa.String(64), primary_key=True),
    sa.Column("dst", sa.String(64), primary_key=True),
    sa.Column("menu", sa.String(64), nullable=False, server_default=""),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("moves", sa.Integer, nullable=False, server_default="0"),
    sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_call_edges_menu_started", "menu", "started_at", "src", "dst",
             "simulated"),  # covering
)

analytics_settings = sa.Table(
    "analytics_settings",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

ROLLUPS = (call_facts, call_nodes, call_edges)


def refresh_calls(conn: sa.Connection, call_sids: Iterable[str],
                  added: Sequence[Mapping[str, Any]] | None = None) -> int:
    """Bring the rollup rows of ``call_sids`` up to date; returns calls refreshed.

    ``added``: the journey lines just written (with their ids), folded onto each call's
    rows; without it, every call's whole journey is read again.
    """
    sids = sorted(set(call_sids))
    for start in range(0, len(sids), CHUNK):
        chunk = sids[start:start + CHUNK]
        again = chunk if added is None else extend(conn, chunk, added)
        if again:
            _refresh_chunk(conn, again)
    return len(sids)


class StaleRollup(Exception):
    """Another writer changed a call's rollups meanwhile: try again."""


LINE = ROLLUP_LINE
FACT_FIELDS = tuple(c.name for c in call_facts.columns if c.name != "call_sid")


def _order(line: Mapping[str, Any]) -> tuple[Any, int, int]:
    return (line["at"], int(line["part"] or 0), int(line["id"]))


CALL = ("menu", "started_at", "duration", "simulated")  # what the rollups read of a calls row
# The columns of a call's row in "read" (extend): its calls row, its call_facts row, the
# kind of the node it was last at, then its earlier lines' count, first and last.
READ = (("sid", "has_call") + tuple(f"call_{name}" for name in CALL)
        + ("has_facts",) + tuple(f"f_{name}" for name in FACT_FIELDS)
        + ("kind", "lines", "first_id", "last_id"))
_FIRST = len(READ)
_LAST = _FIRST + len(LINE)


_BUILT: dict[str, dict[str, Any]] = {}


def _statements(dialect: sa.Dialect) -> dict[str, Any]:
    """The statements ``extend`` runs, built and compiled once per dialect (lists of calls
    and of line ids are single parameters: ``direct.listed``)."""
    built = _BUILT.get(dialect.name)
    if built is None:
        built = _BUILT[dialect.name] = _build(dialect.name, dialect)
    return built


def _build(dialect_name: str, dialect: sa.Dialect) -> dict[str, Any]:
    earlier = journey_steps.alias("earlier")
    sids = direct.listing("sids", sa.String(), dialect_name)
    sid = sids.c.value
    old = direct.member(earlier.c.id, "new_ids", dialect_name, negate=True)
    order = (earlier.c.at, earlier.c.part, earlier.c.id)

    def end(last: bool) -> Any:
        # Found through the call_sid index with no sort of the whole journey.
        return (sa.select(earlier.c.id).where(earlier.c.call_sid == call_facts.c.call_sid, old)
                .order_by(*(c.desc() if last else c for c in order)).limit(1).scalar_subquery())

    # Per call of the batch, in one query: its calls row, its rollup row with the kind of
    # the node it was last at, and its earlier lines' count, first and last.
    per_call = sa.select(
        sid.label("sid"), calls.c.call_sid.label("has_call"),
        *(calls.c[name].label(f"call_{name}") for name in CALL),
        call_facts.c.call_sid.label("has_facts"),
        *(call_facts.c[name].label(f"f_{name}") for name in FACT_FIELDS),
        sa.select(call_nodes.c.kind).where(call_nodes.c.call_sid == call_facts.c.call_sid,
                                           call_nodes.c.node == call_facts.c.last_node)
        .scalar_subquery().label("kind"),
        sa.select(sa.func.count()).select_from(earlier).where(earlier.c.call_sid == sid, old)
        .scalar_subquery().label("lines"),
        end(False).label("first_id"), end(True).label("last_id"),
    ).select_from(sids.outerjoin(calls, calls.c.call_sid == sid)
                  .outerjoin(call_facts, call_facts.c.call_sid == sid)).cte("per_call").prefix_with(
        "MATERIALIZED")  # its subqueries run once per call, not again for each join
    first, last = journey_steps.alias("first_line"), journey_steps.alias("last_line")
    read = sa.select(per_call, *(first.c[name] for name in LINE),
                     *(last.c[name] for name in LINE)).select_from(
        per_call.outerjoin(first, first.c.id == per_call.c.first_id)
        .outerjoin(last, last.c.id == per_call.c.last_id))
    upsert = (postgresql if dialect_name == "postgresql" else sqlite).insert

    def types(table: sa.Table, names: tuple[str, ...]) -> dict[str, Any]:
        return {name: table.c[name].type for name in names}

    def inserting(table: sa.Table, names: tuple[str, ...], keys: list[str] | None = None,
                  added: str = "") -> direct.Many:
        """An insert of rows of ``names``; on a conflict on ``keys``, ``added`` is summed."""
        def make(values: dict[str, Any], rows: Any) -> Any:
            insert = upsert(table)
            insert = insert.values(values) if rows is None else insert.from_select(names, rows)
            if keys is None:
                return insert
            return insert.on_conflict_do_update(
                index_elements=keys, set_={added: table.c[added] + insert.excluded[added]})
        return direct.Many(dialect, types(table, names), make)

    def moving(table: sa.Table) -> direct.Many:
        """A new menu or start for a call's rows of ``table``."""
        return direct.Many(dialect, types(table, ("call_sid", "menu", "started_at")),
                           lambda v, _: table.update().where(table.c.call_sid == v["call_sid"])
                           .values(menu=v["menu"], started_at=v["started_at"]))

    facts_types = types(call_facts, ("call_sid",) + FACT_FIELDS)
    built: dict[str, Any] = {
        "read": direct.Prepared(read, dialect),
        "insert_facts": inserting(call_facts, ("call_sid",) + FACT_FIELDS),
        # Only where the row is still the one read (nobody folded lines on meanwhile).
        "update_facts": direct.Many(dialect, {**facts_types, "old_steps": sa.Integer()},
                                    lambda v, _: call_facts.update().where(
            call_facts.c.call_sid == v["call_sid"], call_facts.c.steps == v["old_steps"])
            .values({name: v[name] for name in FACT_FIELDS})),
        "moved": [moving(table) for table in (call_nodes, call_edges)],
        "nodes": inserting(call_nodes, NODE_COLUMNS, ["call_sid", "node"], "visits"),
        "edges": inserting(call_edges, EDGE_COLUMNS, ["call_sid", "src", "dst"], "moves"),
        # Where the caller is now (none: hung up elsewhere, or the menu ended the call):
        # that node marked, the one marked before no longer.
        "ends": direct.Many(dialect, types(call_nodes, ("call_sid", "node")),
                            lambda v, _: call_nodes.update().where(
            call_nodes.c.call_sid == v["call_sid"],
            sa.or_(call_nodes.c.ended_here, call_nodes.c.node == v["node"]))
            .values(ended_here=sa.case((call_nodes.c.node == v["node"], sa.true()),
                                       else_=sa.false()))),
    }
    assert tuple(CallFacts("", "", None, None, "").row()) == ("call_sid",) + FACT_FIELDS[:-1]
    assert FACT_FIELDS[-1] == "simulated"
    assert tuple(built["read"].columns) == READ + LINE + LINE
    return built


NODE_COLUMNS = ("call_sid", "node", "menu", "started_at", "kind", "visits", "ended_here")
EDGE_COLUMNS = ("call_sid", "src", "dst", "menu", "started_at", "moves")


def extend(conn: sa.Connection, sids: list[str], added: Sequence[Mapping[str, Any]]) -> list[str]:
    """Fold the lines just written onto the rollups of ``sids``; returns the calls whose
    rows must be recomputed from their whole journeys instead."""
    dialect = conn.dialect
    sql = _statements(dialect)
    new: dict[str, list[Mapping[str, Any]]] = {sid: [] for sid in sids}
    new_ids = []
    for line in added:
        lines = new.get(line["call_sid"])
        if lines is not None:
            lines.append(line)
            new_ids.append(int(line["id"]))
    cursor = direct.cursor_of(conn)
    read = sql["read"]
    direct.run(cursor, read, {"sids": direct.listed(sids, dialect),
                              "new_ids": direct.listed(new_ids, dialect)})
    found = {row[0]: row for row in read.rows(cursor)}
    again: list[str] = []
    done: list[tuple[Tally, dict[str, Any] | None]] = []
    for sid in sids:
        lines = sorted(new[sid], key=_order)
        got = found.get(sid)
        if got is None:  # not in the database at all: nothing to count
            continue
        call = dict(zip(CALL, got[2:6], strict=True)) if got[1] is not None else None
        row = (dict(zip(FACT_FIELDS, got[7:7 + len(FACT_FIELDS)], strict=True))
               if got[6] is not None else None)
        count = int(got[len(READ) - 3] or 0)
        last = (dict(zip(LINE, got[_LAST:], strict=True))
                if got[len(READ) - 1] is not None else None)
        if ((call or {}).get("simulated") or (row is None and count)
                or (row is not None and row["steps"] != count)
                or (lines and last is not None and _order(lines[0]) <= _order(last))):
            again.append(sid)  # out of step with the journey: read it whole
            continue
        if row is None and not lines and call is None:
            continue  # nothing to count
        first = (dict(zip(LINE, got[_FIRST:_LAST], strict=True))
                 if got[len(READ) - 2] is not None else None)
        tally = _resume(sid, row, first, last, got[len(READ) - 4])
        for line in lines:
            tally.add(line)
        tally.finish(call)
        done.append((tally, row))
    if done:
        _write(conn, cursor, sql, done)
    return again


def _resume(sid: str, row: Mapping[str, Any] | None, first: dict[str, Any] | None,
            last: dict[str, Any] | None, kind: str | None) -> Tally:
    """A tally standing where the call's rollup row (and its earlier lines) left it;
    ``kind``: that of the node the call was last at, if it entered any."""
    if row is None:
        return Tally(CallFacts(sid, "", None, None, ""))
    facts = CallFacts(sid, row["menu"], row["started_at"], row["seconds"], row["lang"],
                      **{name: row[name] for name in RESUMED})
    path_last = (row["last_node"], kind) if kind is not None else None
    return Tally(facts, first, last, str((last or {}).get("input") or ""), path_last)


RESUMED = ("steps", "answered", "looked_up", "transferred", "transfer_answered", "voicemail",
           "callback", "keys", "spoken", "lookups_found", "lookups_not_found", "lookups_failed",
           "last_node")


def _write(conn: sa.Connection, cursor: Any, sql: dict[str, Any],
           done: list[tuple[Tally, dict[str, Any] | None]]) -> None:
    """Write the folded rows: the facts (only where nobody changed them meanwhile), then
    the visits and moves added, the node the caller is at now, and any new menu or start."""
    # Simulated calls never come here (extend reads them whole), so every row folded is real.
    fresh, changed, nodes, edges, moved, ends = [], [], [], [], [], []
    for tally, row in done:
        facts = tally.facts
        values = list(facts.row().values())  # call_sid, then FACT_FIELDS but simulated
        values.append(False)  # simulated
        if row is None:
            fresh.append(values)
        else:
            values.append(row["steps"])
            changed.append(values)
        sid, menu, started = facts.call_sid, facts.menu[:64], facts.started_at
        for node, visit in facts.nodes.items():
            nodes.append((sid, node[:64], menu, started, visit.kind[:32], visit.visits, False))
        for (src, dst), count in facts.edges.items():
            edges.append((sid, src[:64], dst[:64], menu, started, count))
        if row is not None and (row["menu"], row["started_at"]) != (menu, started):
            moved.append((sid, menu, started))
        ends.append((sid, facts.last_node[:64] if tally.ends_here else None))
    if fresh:  # a race inserts twice: fails, tried again
        sql["insert_facts"].run(cursor, fresh)
    if changed:
        if conn.dialect.supports_sane_multi_rowcount:
            if sql["update_facts"].run(cursor, changed) != len(changed):
                raise StaleRollup("a call's rollups changed meanwhile")
        else:
            for values in changed:
                if sql["update_facts"].run(cursor, [values]) != 1:
                    raise StaleRollup("a call's rollups changed meanwhile")
    if moved:
        for statement in sql["moved"]:
            statement.run(cursor, moved)
    sql["nodes"].run(cursor, nodes)
    sql["edges"].run(cursor, edges)
    sql["ends"].run(cursor, ends)


def _refresh_chunk(conn: sa.Connection, sids: list[str]) -> None:
    columns = [journey_steps.c[name] for name in
               ("call_sid", "at", "menu", "node", "event", "input", "outcome", "lang", "kind",
                "entered")]
    steps: dict[str, list[dict[str, Any]]] = {sid: [] for sid in sids}
    query = (sa.select(*columns).where(journey_steps.c.call_sid.in_(sids))
             .order_by(journey_steps.c.call_sid, journey_steps.c.at, journey_steps.c.part,
                       journey_steps.c.id))
    for row in conn.execute(query):
        steps[row.call_sid].append(dict(row._mapping))
    call_rows = {row.call_sid: dict(row._mapping) for row in conn.execute(
        sa.select(calls.c.call_sid, calls.c.menu, calls.c.started_at, calls.c.duration,
                  calls.c.simulated)
        .where(calls.c.call_sid.in_(sids)))}
    facts_rows, node_rows, edge_rows = [], [], []
    for sid in sids:
        if not steps[sid] and sid not in call_rows:
            continue
        # An admin trying a menu: marked, counted only when asked for.
        simulated = bool(call_rows.get(sid, {}).get("simulated"))
        facts = summarize(sid, steps[sid], call_rows.get(sid))
        facts_rows.append({**facts.row(), "simulated": simulated})
        for node, visit in facts.nodes.items():
            node_rows.append({"call_sid": sid, "node": node[:64], "menu": facts.menu[:64],
                              "started_at": facts.started_at, "kind": visit.kind[:32],
                              "visits": visit.visits, "ended_here": visit.ended_here,
                              "simulated": simulated})
        for (src, dst), moves in facts.edges.items():
            edge_rows.append({"call_sid": sid, "src": src[:64], "dst": dst[:64],
                              "menu": facts.menu[:64], "started_at": facts.started_at,
                              "moves": moves, "simulated": simulated})
    for table in ROLLUPS:
        conn.execute(table.delete().where(table.c.call_sid.in_(sids)))
    for table, rows in ((call_facts, facts_rows), (call_nodes, node_rows),
                        (call_edges, edge_rows)):
        if rows:
            conn.execute(table.insert(), rows)


def rebuild(engine: sa.Engine, batch: int = 2_000) -> int:
    """Recompute every call's rollups (after an upgrade, or to repair); returns calls done."""
    done = 0
    with engine.connect() as conn:
        sids = [row[0] for row in conn.execute(sa.select(journey_steps.c.call_sid).distinct())]
    for start in range(0, len(sids), batch):
        with engine.begin() as conn:
            done += refresh_calls(conn, sids[start:start + batch])
    return done
