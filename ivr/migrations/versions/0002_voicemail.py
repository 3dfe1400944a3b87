"""Voicemails, their audio, and the notification outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create voicemails, voicemail_media and outbox."""
    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recording_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("call_sid", sa.String(64)),
        sa.Column("account_sid", sa.String(64)),
        sa.Column("from_number", sa.String(64)),
        sa.Column("to_number", sa.String(64)),
        sa.Column("menu", sa.String(64)),
        sa.Column("node", sa.String(64)),
        sa.Column("lang", sa.String(16)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.Integer),
        sa.Column("recording_url", sa.String(512)),
        sa.Column("recording_status", sa.String(20), nullable=False, server_default=""),
        sa.Column("transcript", sa.Text),
        sa.Column("transcript_status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("status", sa.String(20), nullable=False, server_default="new"),
        sa.Column("assigned_to", sa.Integer),
        sa.Column("journey", sa.Text),
    )
    op.create_index("ix_voicemails_status_id", "voicemails", ["status", "id"])
    op.create_index("ix_voicemails_from_number", "voicemails", ["from_number"])
    op.create_index("ix_voicemails_created_at", "voicemails", ["created_at"])
    op.create_table(
        "voicemail_media",
        sa.Column("voicemail_id", sa.Integer, primary_key=True),
        sa.Column("mimetype", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_outbox_due", "outbox")
    op.drop_table("outbox")
    op.drop_table("voicemail_media")
    op.drop_index("ix_voicemails_created_at", "voicemails")
    op.drop_index("ix_voicemails_from_number", "voicemails")
    op.drop_index("ix_voicemails_status_id", "voicemails")
    op.drop_table("voicemails")
