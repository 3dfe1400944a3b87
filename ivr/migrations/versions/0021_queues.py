"""Callers waiting in queues, agents' availability, and announcements.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create queue_calls, queue_agents and announcements."""
    op.create_table(
        "queue_calls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("menu", sa.String(64), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16)),
        sa.Column("from_number", sa.String(64)),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(24), nullable=False, server_default="waiting"),
        sa.Column("reason", sa.String(16)),
        sa.Column("waited", sa.Integer),
        sa.Column("agent", sa.String(64)),
    )
    op.create_index("ix_queue_calls_waiting", "queue_calls", ["status", "queue"])
    op.create_table(
        "queue_agents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(64), nullable=False, unique=True),
        sa.Column("available", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("ringing_sid", sa.String(64)),
        sa.Column("ringing_since", sa.DateTime(timezone=True)),
        sa.Column("ringing_queue", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False, server_default=""),
    )


    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("menu", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True)),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_by", sa.String(64)),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_announcements_menu", "announcements", ["menu", "cleared_at"])


def downgrade() -> None:
    """Drop the queue and announcement tables."""
    op.drop_index("ix_announcements_menu", table_name="announcements")
    op.drop_table("announcements")
    op.drop_table("queue_agents")
    op.drop_index("ix_queue_calls_waiting", table_name="queue_calls")
    op.drop_table("queue_calls")
