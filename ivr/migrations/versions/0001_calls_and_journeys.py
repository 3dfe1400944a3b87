"""Calls and their journeys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the calls and journey_steps tables."""
    op.create_table(
        "calls",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("account_sid", sa.String(64)),
        sa.Column("from_number", sa.String(64)),
        sa.Column("to_number", sa.String(64)),
        sa.Column("menu", sa.String(64)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(20)),
        sa.Column("status_seq", sa.Integer, nullable=False, server_default="-1"),
        sa.Column("duration", sa.Integer),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "journey_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("menu", sa.String(64)),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("input", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome", sa.String(255), nullable=False, server_default=""),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("request_token", sa.String(128)),
        sa.Column("part", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("call_sid", "request_token", "part", name="uq_journey_request"),
    )
    op.create_index("ix_journey_steps_call_sid", "journey_steps", ["call_sid"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_journey_steps_call_sid", "journey_steps")
    op.drop_table("journey_steps")
    op.drop_table("calls")
