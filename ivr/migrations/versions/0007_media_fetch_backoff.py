"""Each recording's download keeps its own retry schedule: attempts, next attempt, last error.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add media_attempts, media_next_at and media_error to voicemails."""
    with op.batch_alter_table("voicemails") as batch:
        batch.add_column(sa.Column("media_attempts", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("media_next_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("media_error", sa.String(200)))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("voicemails") as batch:
        batch.drop_column("media_error")
        batch.drop_column("media_next_at")
        batch.drop_column("media_attempts")
