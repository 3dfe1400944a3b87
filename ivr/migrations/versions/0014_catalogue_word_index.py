"""A word index for SQL catalogues: postings per word and item, word counts, versions.

Searching a catalogue's whole text by trigram similarity took hundreds of
milliseconds at 100,000 items (docs/benchmarks.md); a search now matches the
caller's words against the catalogue's vocabulary and sums postings found through
their primary key. The trigram indexes of 0008 and the FTS5 table an import built
are dropped. Catalogues imported before are indexed from their stored words (every
word at weight 1) until they are imported again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create catalogues, catalogue_words and catalogue_postings; index what is there."""
    op.create_table(
        "catalogues",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
    )
    op.create_table(
        "catalogue_words",
        sa.Column("catalogue", sa.String(64), primary_key=True),
        sa.Column("word", sa.String(64), primary_key=True),
        sa.Column("items", sa.Integer, nullable=False),
    )
    op.create_table(
        "catalogue_postings",
        sa.Column("catalogue", sa.String(64), primary_key=True),
        sa.Column("word", sa.String(64), primary_key=True),
        sa.Column("weight", sa.SmallInteger, primary_key=True),
        sa.Column("item_id", sa.Integer, primary_key=True),
    )
    op.drop_index("ix_catalogue_items_trgm", "catalogue_items")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS catalogue_items_fts")
    items = sa.table("catalogue_items", sa.column("id", sa.Integer),
                     sa.column("catalogue", sa.String), sa.column("search_text", sa.Text))
    postings: list[dict[str, object]] = []
    counts: dict[tuple[str, str], int] = {}
    sizes: dict[str, int] = {}
    for item_id, name, text in bind.execute(sa.select(items.c.id, items.c.catalogue,
                                                      items.c.search_text)):
        sizes[name] = sizes.get(name, 0) + 1
        for word in dict.fromkeys(w[:64] for w in (text or "").split()):
            postings.append({"catalogue": name, "word": word, "item_id": item_id, "weight": 1})
            counts[(name, word)] = counts.get((name, word), 0) + 1
    if postings:
        op.bulk_insert(sa.table("catalogue_postings", sa.column("catalogue"), sa.column("word"),
                                sa.column("item_id"), sa.column("weight")), postings)
        op.bulk_insert(sa.table("catalogue_words", sa.column("catalogue"), sa.column("word"),
                                sa.column("items")),
                       [{"catalogue": c, "word": w, "items": n} for (c, w), n in counts.items()])
    if sizes:
        op.bulk_insert(sa.table("catalogues", sa.column("name"), sa.column("version"),
                                sa.column("items")),
                       [{"name": c, "version": 1, "items": n} for c, n in sizes.items()])


def downgrade() -> None:
    """Drop the word index; put back 0008's index on the stored words."""
    op.drop_table("catalogue_postings")
    op.drop_table("catalogue_words")
    op.drop_table("catalogues")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(sa.text(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        op.create_index("ix_catalogue_items_trgm", "catalogue_items", ["search_text"],
                        postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"})
        return
    op.create_index("ix_catalogue_items_trgm", "catalogue_items", ["search_text"])
