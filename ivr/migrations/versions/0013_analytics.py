"""Analytics: node kinds and the caller's path on journey lines, rollups per call, settings.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None
COVERED = ("slot", "seconds", "lang", "contained", "transferred", "transfer_answered", "voicemail",
           "callback", "abandoned", "keys", "spoken", "lookups_found", "lookups_not_found",
           "lookups_failed")


def _when() -> sa.Column[sa.DateTime]:
    return sa.Column("started_at", sa.DateTime(timezone=True))


def upgrade() -> None:
    """Add kind/entered to journey_steps and the call_facts, call_nodes, call_edges rollups."""
    with op.batch_alter_table("journey_steps") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("entered", sa.Text, nullable=False, server_default=""))
    op.create_index("ix_journey_steps_menu_event_at", "journey_steps", ["menu", "event", "at"])
    false = sa.false()
    op.create_table(
        "call_facts",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("menu", sa.String(64), nullable=False, server_default=""),
        _when(),
        sa.Column("slot", sa.Integer),
        sa.Column("seconds", sa.Integer),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("steps", sa.Integer, nullable=False, server_default="0"),
        *[sa.Column(name, sa.Boolean, nullable=False, server_default=false) for name in
          ("answered", "looked_up", "transferred", "transfer_answered", "voicemail", "callback",
           "contained", "abandoned")],
        *[sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in
          ("keys", "spoken", "lookups_found", "lookups_not_found", "lookups_failed")],
        sa.Column("last_node", sa.String(64), nullable=False, server_default=""),
    )
    # Covering the overview's columns in quarter-hour order: its grouped reads stay inside
    # the index and need no sort.
    op.create_index("ix_call_facts_menu_slot", "call_facts", ["menu", *COVERED])
    op.create_table(
        "call_nodes",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("node", sa.String(64), primary_key=True),
        sa.Column("menu", sa.String(64), nullable=False, server_default=""),
        _when(),
        sa.Column("kind", sa.String(32), nullable=False, server_default=""),
        sa.Column("visits", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ended_here", sa.Boolean, nullable=False, server_default=false),
    )
    op.create_index("ix_call_nodes_menu_started", "call_nodes",
                    ["menu", "started_at", "node", "kind", "visits", "ended_here"])
    op.create_table(
        "call_edges",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("src", sa.String(64), primary_key=True),
        sa.Column("dst", sa.String(64), primary_key=True),
        sa.Column("menu", sa.String(64), nullable=False, server_default=""),
        _when(),
        sa.Column("moves", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_call_edges_menu_started", "call_edges", ["menu", "started_at", "src", "dst"])
    op.create_table(
        "analytics_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    """Drop the rollups, the settings and the new journey columns."""
    op.drop_table("analytics_settings")
    op.drop_index("ix_call_facts_menu_slot", "call_facts")
    op.drop_table("call_facts")
    for table in ("call_edges", "call_nodes"):
        op.drop_index(f"ix_{table}_menu_started", table)
        op.drop_table(table)
    op.drop_index("ix_journey_steps_menu_event_at", "journey_steps")
    with op.batch_alter_table("journey_steps") as batch:
        batch.drop_column("entered")
        batch.drop_column("kind")
