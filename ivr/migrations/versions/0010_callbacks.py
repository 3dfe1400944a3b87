"""Callback requests, agents' calls to callers, who answered a voicemail, agents' phones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create callback_requests and call_attempts; add voicemails' purpose and closing, users' phone."""
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("account_sid", sa.String(64)),
        sa.Column("from_number", sa.String(64)),
        sa.Column("to_number", sa.String(64)),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("number_source", sa.String(10), nullable=False),
        sa.Column("menu", sa.String(64)),
        sa.Column("node", sa.String(64)),
        sa.Column("lang", sa.String(16)),
        sa.Column("journey", sa.Text),
        sa.Column("reason_recording_sid", sa.String(64)),
        sa.Column("reason_seconds", sa.Integer, nullable=False, server_default="0"),
        sa.Column("schedule", sa.String(64)),
        sa.Column("due_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("claimed_by", sa.Integer),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(20)),
        sa.Column("closed_by", sa.Integer),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("call_sid", name="uq_callback_requests_call_sid"),
    )
    op.create_index("ix_callback_requests_queue", "callback_requests",
                    ["status", "due_from", "id"])
    op.create_index("ix_callback_requests_number", "callback_requests", ["number"])
    op.create_table(
        "call_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_kind", sa.String(10), nullable=False),
        sa.Column("item_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("agent_phone", sa.String(20), nullable=False),
        sa.Column("caller_number", sa.String(20), nullable=False),
        sa.Column("from_number", sa.String(20), nullable=False),
        sa.Column("whisper", sa.String(300), nullable=False),
        sa.Column("menu", sa.String(64)),
        sa.Column("lang", sa.String(16)),
        sa.Column("agent_call_sid", sa.String(64)),
        sa.Column("caller_call_sid", sa.String(64)),
        sa.Column("agent_status", sa.String(20), nullable=False, server_default=""),
        sa.Column("agent_rank", sa.Integer, nullable=False, server_default="0"),
        sa.Column("caller_status", sa.String(20), nullable=False, server_default=""),
        sa.Column("caller_rank", sa.Integer, nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(20), nullable=False, server_default="placing"),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.String(300)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("agent_call_sid", name="uq_call_attempts_agent_call_sid"),
    )
    op.create_index("ix_call_attempts_item", "call_attempts", ["item_kind", "item_id", "id"])
    with op.batch_alter_table("voicemails") as batch:
        batch.add_column(sa.Column("purpose", sa.String(20)))
        batch.add_column(sa.Column("closed_by", sa.Integer))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(20)))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("voicemails") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("closed_by")
        batch.drop_column("purpose")
    op.drop_index("ix_call_attempts_item", "call_attempts")
    op.drop_table("call_attempts")
    op.drop_index("ix_callback_requests_number", "callback_requests")
    op.drop_index("ix_callback_requests_queue", "callback_requests")
    op.drop_table("callback_requests")
