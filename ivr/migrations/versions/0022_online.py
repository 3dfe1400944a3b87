"""Text conversations (where each texter is, for 30 minutes) and web and text questions.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create text_conversations and online_steps."""
    op.create_table(
        "text_conversations",
        sa.Column("menu", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("choices", sa.String(400), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_text_conversations_updated", "text_conversations", ["updated_at"])
    op.create_table(
        "online_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("session", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("menu", sa.String(64), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("input", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome", sa.String(255), nullable=False, server_default=""),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
    )
    op.create_index("ix_online_steps_at", "online_steps", ["at"])


def downgrade() -> None:
    """Drop online_steps and text_conversations."""
    op.drop_index("ix_online_steps_at", table_name="online_steps")
    op.drop_table("online_steps")
    op.drop_index("ix_text_conversations_updated", table_name="text_conversations")
    op.drop_table("text_conversations")
