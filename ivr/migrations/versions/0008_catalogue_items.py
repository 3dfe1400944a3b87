"""Catalogue items that `type: search` nodes search in SQL (imported with `ivr catalogue import`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create catalogue_items; on PostgreSQL with pg_trgm, a trigram index on its words."""
    op.create_table(
        "catalogue_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("catalogue", sa.String(64), nullable=False),
        sa.Column("item_key", sa.String(64), nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.UniqueConstraint("catalogue", "item_key", name="uq_catalogue_items_key"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        available = bind.execute(sa.text(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            op.create_index("ix_catalogue_items_trgm", "catalogue_items", ["search_text"],
                            postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"})
            return
    op.create_index("ix_catalogue_items_trgm", "catalogue_items", ["search_text"])


def downgrade() -> None:
    """Drop catalogue_items (and, on SQLite, the FTS5 index an import built)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS catalogue_items_fts")
    op.drop_index("ix_catalogue_items_trgm", "catalogue_items")
    op.drop_table("catalogue_items")
