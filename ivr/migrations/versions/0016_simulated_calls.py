"""Calls placed with the simulator are marked, so that analytics can leave them out.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add calls.simulated (false for every call already there)."""
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("simulated", sa.Boolean, nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    """Drop calls.simulated."""
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("simulated")
