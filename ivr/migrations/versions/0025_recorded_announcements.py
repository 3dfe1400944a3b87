"""Announcements recorded by phone: drafts until approved, and admins' hashed PINs; the
name a web visitor gives with a callback request.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Give announcements a status (live, draft, rejected, failed) and a recording; add PINs."""
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("status", sa.String(10), nullable=False,
                                   server_default="live"))
        batch.add_column(sa.Column("audio", sa.String(300)))
        batch.add_column(sa.Column("recording_sid", sa.String(64)))
        batch.add_column(sa.Column("recording_url", sa.String(500)))
        batch.add_column(sa.Column("approved_by", sa.String(64)))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True)))
        batch.create_unique_constraint("uq_announcements_recording_sid", ["recording_sid"])
    op.create_table(
        "announce_pins",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("pin_hash", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed_call", sa.String(64)),
        sa.Column("locked_at", sa.DateTime(timezone=True)),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("callback_requests") as batch:
        batch.add_column(sa.Column("caller_name", sa.String(80)))


def downgrade() -> None:
    """Drop them (recorded drafts go with their rows)."""
    with op.batch_alter_table("callback_requests") as batch:
        batch.drop_column("caller_name")
    op.drop_table("announce_pins")
    op.execute("DELETE FROM announcements WHERE status <> 'live'")
    with op.batch_alter_table("announcements") as batch:
        batch.drop_constraint("uq_announcements_recording_sid", type_="unique")
        for column in ("approved_at", "approved_by", "recording_url", "recording_sid", "audio",
                       "status"):
            batch.drop_column(column)
