"""Recordings uploaded in the dashboard, kept so that every instance gets a copy.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create prompt_uploads."""
    op.create_table(
        "prompt_uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("author", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_prompt_uploads_path", "prompt_uploads", ["path"])


def downgrade() -> None:
    """Drop prompt_uploads."""
    op.drop_index("ix_prompt_uploads_path", "prompt_uploads")
    op.drop_table("prompt_uploads")
