"""The demo library's holds: what callers place on a book found by a search node.

Written only through the library menu's `place_hold` action, by the built-in demo
action connection (SQLite: an authorizer that lets it write this table alone) or an
operator's role with INSERT on it (PostgreSQL, docs/lookups.md). One hold per card and
book: a second request hits the unique constraint and is told it is already on hold.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create library_holds."""
    op.create_table(
        "library_holds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("card_number", sa.String(20), nullable=False),
        sa.Column("item", sa.String(32), nullable=False),
        sa.Column("branch", sa.String(40), nullable=False),
        sa.Column("placed_at", sa.DateTime, nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint("card_number", "item", name="uq_library_holds_card_item"),
    )


def downgrade() -> None:
    """Drop library_holds."""
    op.drop_table("library_holds")
