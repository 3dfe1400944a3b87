"""Transcription work items in every language, and the utterances Twilio sends live.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create transcripts and transcript_parts."""
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("recording_sid", sa.String(64)),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("reason", sa.String(300)),
        sa.Column("text", sa.Text),
        sa.Column("duration", sa.Integer),
        sa.Column("twilio_sid", sa.String(64)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("call_sid", "node", name="uq_transcripts_call_node"),
    )
    op.create_index("ix_transcripts_recording", "transcripts", ["recording_sid"])
    op.create_index("ix_transcripts_status_next", "transcripts", ["status", "next_at"])
    op.create_table(
        "transcript_parts",
        sa.Column("transcript_id", sa.Integer, primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("transcript_parts")
    op.drop_index("ix_transcripts_status_next", table_name="transcripts")
    op.drop_index("ix_transcripts_recording", table_name="transcripts")
    op.drop_table("transcripts")
