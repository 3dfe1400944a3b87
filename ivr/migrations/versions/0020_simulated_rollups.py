"""Simulated calls get rollup rows too, marked, so an admin can choose to count them.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None

COVERED = ("slot", "seconds", "lang", "contained", "transferred", "transfer_answered", "voicemail",
           "callback", "abandoned", "keys", "spoken", "lookups_found", "lookups_not_found",
           "lookups_failed")
# Each covering index, before and after: the figures' reads stay inside the index.
INDEXES = {
    "call_facts": ("ix_call_facts_menu_slot", ["menu", *COVERED]),
    "call_nodes": ("ix_call_nodes_menu_started",
                   ["menu", "started_at", "node", "kind", "visits", "ended_here"]),
    "call_edges": ("ix_call_edges_menu_started", ["menu", "started_at", "src", "dst"]),
}


def upgrade() -> None:
    """Add ``simulated`` (false for the rows already there) to the rollups and their indexes.

    The simulated calls made before this have no rollup rows: ``ivr report --rebuild`` adds them.
    """
    for table, (index, columns) in INDEXES.items():
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("simulated", sa.Boolean, nullable=False,
                                       server_default=sa.false()))
        op.create_index(index, table, [*columns, "simulated"])


def downgrade() -> None:
    """Drop the simulated calls' rollup rows and the column."""
    for table, (index, columns) in INDEXES.items():
        op.execute(sa.text(f"DELETE FROM {table} WHERE simulated"))
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("simulated")
        op.create_index(index, table, columns)
