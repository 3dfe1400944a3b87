"""Texts: numbers that opted out (STOP, error 21610), and lines whose hourly cap tripped.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create sms_opt_outs and sms_line_caps."""
    op.create_table(
        "sms_opt_outs",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_line_caps",
        sa.Column("menu", sa.String(64), primary_key=True),
        sa.Column("tripped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("sms_line_caps")
    op.drop_table("sms_opt_outs")
