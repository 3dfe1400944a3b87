"""Text conversations: where each texter is in a line's menu, for 30 minutes.

Revision ID: 0022
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create text_conversations."""
    op.create_table(
        "text_conversations",
        sa.Column("menu", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("choices", sa.String(400), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_text_conversations_updated", "text_conversations", ["updated_at"])


def downgrade() -> None:
    """Drop text_conversations."""
    op.drop_index("ix_text_conversations_updated", table_name="text_conversations")
    op.drop_table("text_conversations")
