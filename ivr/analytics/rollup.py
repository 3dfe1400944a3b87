"""Rollup tables kept as journeys are written: one row per call, per visited node, per move.

``refresh_calls`` runs inside the journey writer's transaction (``Store.write_batch``)
for every call the batch touched: it reads those calls' whole journeys again and
replaces their rows. Recomputing rather than adding keeps the rollups exact when a
batch is replayed from the spool, arrives out of order or repeats a line, and the
figures pages only ever read these small tables (a few rows per call, not one per step).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ivr.analytics.facts import summarize
from ivr.store import calls, journey_steps, metadata

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


def refresh_calls(conn: sa.Connection, call_sids: Iterable[str]) -> int:
    """Recompute the rollup rows of ``call_sids`` from their journeys; returns calls refreshed."""
    sids = sorted(set(call_sids))
    for start in range(0, len(sids), CHUNK):
        _refresh_chunk(conn, sids[start:start + CHUNK])
    return len(sids)


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
