"""Demo data tables for lookups: orders (shop menu) and library_loans (library menu).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the demo tables (filled by `ivr demo seed`)."""
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("placed_on", sa.Date, nullable=False),
        sa.Column("delivery_date", sa.Date),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("postcode", sa.String(16)),
    )
    op.create_table(
        "library_loans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("card_number", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("pin_sha256", sa.String(71), nullable=False),
        sa.UniqueConstraint("card_number", "title", name="uq_library_loans_card_title"),
    )
    op.create_index("ix_library_loans_card_number", "library_loans", ["card_number"])


def downgrade() -> None:
    """Drop the demo tables."""
    op.drop_index("ix_library_loans_card_number", "library_loans")
    op.drop_table("library_loans")
    op.drop_table("orders")
