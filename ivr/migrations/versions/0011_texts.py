"""Texts to callers: the log of every text (with its delivery status) and reply templates.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create texts and sms_templates."""
    op.create_table(
        "texts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("menu", sa.String(64)),
        sa.Column("lang", sa.String(16)),
        sa.Column("to_number", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("status_rank", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_code", sa.String(16)),
        sa.Column("error", sa.Text),
        sa.Column("message_sid", sa.String(64), unique=True),
        sa.Column("sent_by", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_texts_number_day", "texts", ["to_number", "created_at"])
    op.create_index("ix_texts_ref", "texts", ["kind", "ref"])
    op.create_table(
        "sms_templates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", "lang", name="uq_sms_templates_name_lang"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("sms_templates")
    op.drop_index("ix_texts_ref", "texts")
    op.drop_index("ix_texts_number_day", "texts")
    op.drop_table("texts")
