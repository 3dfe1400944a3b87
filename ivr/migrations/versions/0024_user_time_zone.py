"""Each dashboard user's own time zone (an IANA name), for every time the dashboard shows.

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add users.time_zone (empty: the zone of the first schedule of the first menu)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64)))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
