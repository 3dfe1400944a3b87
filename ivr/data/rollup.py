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

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

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


SIDS: sa.BindParameter[Any] = sa.bindparam("sids", expanding=True)
NEW_IDS: sa.BindParameter[Any] = sa.bindparam("new_ids", expanding=True)


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """The statements ``extend`` runs, built once per dialect: building SQLAlchemy
    constructs cost more than running them."""
    # Per call with a rollup row: its earlier lines' count, first and last, each found
    # through the call_sid index with no sort of the whole journey.
    earlier = journey_steps.alias("earlier")
    mine = sa.and_(earlier.c.call_sid == call_facts.c.call_sid, earlier.c.id.not_in(NEW_IDS))
    order = (earlier.c.at, earlier.c.part, earlier.c.id)

    def end(last: bool) -> Any:
        return (sa.select(earlier.c.id).where(mine)
                .order_by(*(c.desc() if last else c for c in order)).limit(1).scalar_subquery())

    upsert = (postgresql if dialect == "postgresql" else sqlite).insert
    nodes, edges = upsert(call_nodes), upsert(call_edges)
    return {
        "calls": sa.select(calls.c.call_sid, calls.c.menu, calls.c.started_at, calls.c.duration,
                           calls.c.simulated).where(calls.c.call_sid.in_(SIDS)),
        "facts": sa.select(call_facts).where(call_facts.c.call_sid.in_(SIDS)),
        "ends": sa.select(call_facts.c.call_sid, end(False).label("first_id"),
                          end(True).label("last_id"),
                          sa.select(sa.func.count()).select_from(earlier).where(mine)
                          .scalar_subquery().label("lines"))
        .where(call_facts.c.call_sid.in_(SIDS)),
        "lines": sa.select(*(journey_steps.c[name] for name in LINE))
        .where(journey_steps.c.id.in_(sa.bindparam("ids", expanding=True))),
        "any": sa.select(journey_steps.c.call_sid).distinct()
        .where(journey_steps.c.call_sid.in_(SIDS), journey_steps.c.id.not_in(NEW_IDS)),
        "kinds": sa.select(call_nodes.c.call_sid, call_nodes.c.kind).join(
            call_facts, sa.and_(call_facts.c.call_sid == call_nodes.c.call_sid,
                                call_facts.c.last_node == call_nodes.c.node))
        .where(call_facts.c.call_sid.in_(SIDS)),
        "insert_facts": call_facts.insert(),
        "update_facts": call_facts.update()
        .where(call_facts.c.call_sid == sa.bindparam("new_call_sid"),
               call_facts.c.steps == sa.bindparam("old_steps"))
        .values({name: sa.bindparam(f"new_{name}") for name in FACT_FIELDS}),
        "moved": [table.update().where(table.c.call_sid == sa.bindparam("sid"))
                  .values(menu=sa.bindparam("new_menu"), started_at=sa.bindparam("new_started"))
                  for table in (call_nodes, call_edges)],
        "nodes": nodes.on_conflict_do_update(
            index_elements=["call_sid", "node"],
            set_={"visits": call_nodes.c.visits + nodes.excluded.visits}),
        "edges": edges.on_conflict_do_update(
            index_elements=["call_sid", "src", "dst"],
            set_={"moves": call_edges.c.moves + edges.excluded.moves}),
        "left": call_nodes.update().where(call_nodes.c.call_sid.in_(SIDS), call_nodes.c.ended_here)
        .values(ended_here=False),
        "here": call_nodes.update().where(call_nodes.c.call_sid == sa.bindparam("sid"),
                                          call_nodes.c.node == sa.bindparam("at_node"))
        .values(ended_here=True),
    }


def extend(conn: sa.Connection, sids: list[str], added: Sequence[Mapping[str, Any]]) -> list[str]:
    """Fold the lines just written onto the rollups of ``sids``; returns the calls whose
    rows must be recomputed from their whole journeys instead."""
    sql = _statements(conn.dialect.name)
    new: dict[str, list[Mapping[str, Any]]] = {sid: [] for sid in sids}
    for line in added:
        if line["call_sid"] in new:
            new[line["call_sid"]].append(line)
    new_ids = [int(line["id"]) for lines in new.values() for line in lines]
    call_rows = {row.call_sid: dict(row._mapping)
                 for row in conn.execute(sql["calls"], {"sids": sids})}
    had = {row.call_sid: dict(row._mapping) for row in conn.execute(sql["facts"], {"sids": sids})}
    earlier = _ends_of_earlier_lines(conn, sql, sids, list(had), new_ids)
    kinds = {} if not had else {row.call_sid: row.kind for row in conn.execute(
        sql["kinds"], {"sids": list(had)})}
    again: list[str] = []
    done: list[tuple[Tally, dict[str, Any] | None]] = []
    for sid in sids:
        lines = sorted(new[sid], key=_order)
        count, first, last = earlier.get(sid, (0, None, None))
        row = had.get(sid)
        if (call_rows.get(sid, {}).get("simulated") or (row is None and count)
                or (row is not None and row["steps"] != count)
                or (lines and last is not None and _order(lines[0]) <= _order(last))):
            again.append(sid)  # out of step with the journey: read it whole
            continue
        if row is None and not lines and sid not in call_rows:
            continue  # nothing to count
        tally = _resume(sid, row, first, last, kinds.get(sid))
        for line in lines:
            tally.add(line)
        tally.finish(call_rows.get(sid))
        done.append((tally, row))
    if done:
        _write(conn, sql, done)
    return again


def _ends_of_earlier_lines(conn: sa.Connection, sql: dict[str, Any], sids: list[str],
                           rolled: list[str], new_ids: list[int]
                           ) -> dict[str, tuple[int, dict[str, Any] | None, dict[str, Any] | None]]:
    """Per call: how many lines it had before this batch, and the first and last of them
    (for a call without a rollup row, only whether it had any: 1 line, or none)."""
    ends: dict[str, tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = {}
    picks: dict[str, tuple[int, Any, Any]] = {}
    if rolled:
        picks = {row.call_sid: (int(row.lines), row.first_id, row.last_id) for row in
                 conn.execute(sql["ends"], {"sids": rolled, "new_ids": new_ids})}
    ids = [i for _, first, last in picks.values() for i in (first, last) if i is not None]
    # The statement selects LINE's columns in LINE's order (a row's _mapping is rebuilt
    # on every access).
    lines = {} if not ids else {row.id: dict(zip(LINE, row, strict=True))
                                for row in conn.execute(sql["lines"], {"ids": ids})}
    for sid, (count, first, last) in picks.items():
        ends[sid] = (count, lines.get(first), lines.get(last))
    unrolled = [sid for sid in sids if sid not in picks]
    if unrolled:
        for row in conn.execute(sql["any"], {"sids": unrolled, "new_ids": new_ids}):
            ends[row.call_sid] = (1, None, None)  # lines, but no rollup row: read it whole
    return ends


def _resume(sid: str, row: Mapping[str, Any] | None, first: dict[str, Any] | None,
            last: dict[str, Any] | None, kind: str | None) -> Tally:
    """A tally standing where the call's rollup row (and its earlier lines) left it;
    ``kind``: that of the node the call was last at, if it entered any."""
    if row is None:
        return Tally(CallFacts(sid, "", None, None, ""))
    facts = CallFacts(sid, row["menu"], row["started_at"], row["seconds"], row["lang"],
                      **{name: row[name] for name in (
                          "steps", "answered", "looked_up", "transferred", "transfer_answered",
                          "voicemail", "callback", "keys", "spoken", "lookups_found",
                          "lookups_not_found", "lookups_failed", "last_node")})
    path_last = (row["last_node"], kind) if kind is not None else None
    return Tally(facts, first, last, str((last or {}).get("input") or ""), path_last)


def _write(conn: sa.Connection, sql: dict[str, Any],
           done: list[tuple[Tally, dict[str, Any] | None]]) -> None:
    """Write the folded rows: the facts (only where nobody changed them meanwhile), then
    the visits and moves added, the node the caller is at now, and any new menu or start."""
    # Simulated calls never come here (extend reads them whole), so every row folded is real.
    fresh = [{**t.facts.row(), "simulated": False} for t, row in done if row is None]
    if fresh:
        conn.execute(sql["insert_facts"], fresh)  # a race inserts twice: fails, tried again
    changed = [{**{f"new_{k}": v for k, v in t.facts.row().items()}, "new_simulated": False,
                "old_steps": row["steps"]}
               for t, row in done if row is not None]
    if changed:
        if conn.dialect.supports_sane_multi_rowcount:
            if conn.execute(sql["update_facts"], changed).rowcount != len(changed):
                raise StaleRollup("a call's rollups changed meanwhile")
        else:
            for params in changed:
                if conn.execute(sql["update_facts"], params).rowcount != 1:
                    raise StaleRollup("a call's rollups changed meanwhile")
    nodes, edges, moved, ends = [], [], [], []
    for tally, row in done:
        facts = tally.facts
        sid, menu, started = facts.call_sid, facts.menu[:64], facts.started_at
        for node, visit in facts.nodes.items():
            nodes.append({"call_sid": sid, "node": node[:64], "menu": menu, "started_at": started,
                          "kind": visit.kind[:32], "visits": visit.visits, "ended_here": False})
        for (src, dst), count in facts.edges.items():
            edges.append({"call_sid": sid, "src": src[:64], "dst": dst[:64], "menu": menu,
                          "started_at": started, "moves": count})
        if row is not None and (row["menu"], row["started_at"]) != (menu, started):
            moved.append({"sid": sid, "new_menu": menu, "new_started": started})
        if tally.ends_here:
            ends.append({"sid": sid, "at_node": facts.last_node[:64]})
    if moved:
        for statement in sql["moved"]:
            conn.execute(statement, moved)
    if nodes:
        conn.execute(sql["nodes"], nodes)
    if edges:
        conn.execute(sql["edges"], edges)
    conn.execute(sql["left"], {"sids": [t.facts.call_sid for t, _ in done]})
    if ends:
        conn.execute(sql["here"], ends)


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
