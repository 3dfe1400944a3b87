"""``type: sql`` catalogues: items in the app's ``catalogue_items`` table, searched in SQL.

Rows are imported with ``ivr catalogue import NAME FILE.csv --fields title:4,author:3``:
each keeps its columns as JSON and the searched columns as folded words. The SQL
finds candidates fuzzily — SQLite through an FTS5 trigram index (built by the
import), PostgreSQL through pg_trgm's word similarity (or full-text search where
pg_trgm is missing) — and ``CatalogueIndex`` ranks them as for a CSV catalogue.
Menus never name a table: a catalogue is a name within ``catalogue_items``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.lookup.sources import SourceError
from ivr.search.config import CatalogueConfig
from ivr.search.match import CatalogueIndex, words_of
from ivr.store import metadata

CANDIDATES = 60  # rows the SQL hands to the ranking
FTS = "catalogue_items_fts"

catalogue_items = sa.Table(
    "catalogue_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("catalogue", sa.String(64), nullable=False),
    sa.Column("item_key", sa.String(64), nullable=False),
    sa.Column("search_text", sa.Text, nullable=False),  # folded words of the searched fields
    sa.Column("record", sa.Text, nullable=False),  # the row's columns, as JSON
    sa.UniqueConstraint("catalogue", "item_key", name="uq_catalogue_items_key"),
    sa.Index("ix_catalogue_items_trgm", "search_text", postgresql_using="gin",
             postgresql_ops={"search_text": "gin_trgm_ops"}),
)


def search_text(row: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The folded words of a row's searched columns."""
    return " ".join(w for name in fields for w in words_of(str(row.get(name) or "")))


def import_catalogue(engine: Engine, name: str, rows: list[dict[str, str]],
                     fields: Mapping[str, int], key: str) -> int:
    """Replace catalogue ``name`` with ``rows``; on SQLite, rebuild the FTS5 index."""
    items = [{"catalogue": name, "item_key": str(row[key]).strip()[:64],
              "search_text": search_text(row, fields), "record": json.dumps(row)}
             for row in rows]
    with engine.begin() as conn:
        conn.execute(catalogue_items.delete().where(catalogue_items.c.catalogue == name))
        if items:
            conn.execute(catalogue_items.insert(), items)
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(search_text, "
                "content='catalogue_items', content_rowid='id', tokenize='trigram')")
            conn.exec_driver_sql(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
    return len(items)


def _trigrams(words: list[str]) -> str:
    """An FTS5 query: any trigram of any word, each quoted (words are letters and digits)."""
    grams = dict.fromkeys(w[i:i + 3] for w in words for i in range(max(1, len(w) - 2)))
    return " OR ".join('"' + g.replace('"', "") + '"' for g in grams if len(g) == 3)


class SqlCatalogue:
    """A named catalogue in ``catalogue_items``: candidates in SQL, ranking in Python."""

    def __init__(self, config: CatalogueConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self._trgm: bool | None = None

    def _connect(self) -> sa.Connection:
        conn = self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            conn = conn.execution_options(postgresql_readonly=True)
        return conn

    def _candidates(self, conn: sa.Connection, words: list[str]) -> list[str]:
        name = self.config.name
        if self.engine.dialect.name == "sqlite":
            match = _trigrams(words)
            if not match:
                return []
            rows = conn.exec_driver_sql(
                f"SELECT c.record FROM {FTS} JOIN catalogue_items c ON c.id = {FTS}.rowid "
                f"WHERE {FTS} MATCH ? AND c.catalogue = ? ORDER BY bm25({FTS}) LIMIT ?",
                (match, name, CANDIDATES))
            return [r[0] for r in rows]
        if self._trgm is None:
            self._trgm = bool(conn.execute(sa.text(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first())
        params: dict[str, Any] = {"name": name, "limit": CANDIDATES}
        params.update({f"w{i}": w for i, w in enumerate(words)})
        names = [f":w{i}" for i in range(len(words))]
        if self._trgm:
            conn.execute(sa.text("SET LOCAL pg_trgm.word_similarity_threshold = 0.45"))
            where = " OR ".join(f"{n} <% search_text" for n in names)
            order = " + ".join(f"word_similarity({n}, search_text)" for n in names)
        else:
            query = " || ".join(f"plainto_tsquery('simple', {n})" for n in names)
            where = f"to_tsvector('simple', search_text) @@ ({query})"
            order = f"ts_rank(to_tsvector('simple', search_text), {query})"
        rows = conn.execute(sa.text(
            f"SELECT record FROM catalogue_items WHERE catalogue = :name AND ({where}) "
            f"ORDER BY {order} DESC LIMIT :limit"), params)  # only :wN placeholders are pasted
        return [r[0] for r in rows]

    def search(self, words: list[str], limit: int) -> list[dict[str, Any]]:
        """The best items for the folded query words."""
        try:
            with self._connect() as conn, conn.begin():
                records = self._candidates(conn, words)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None
        rows = [json.loads(r) for r in records]
        return CatalogueIndex(rows, self.config.fields, self.config.key).search(words, limit)

    def item(self, key: str) -> dict[str, Any] | None:
        """One item by key."""
        statement = sa.select(catalogue_items.c.record).where(
            catalogue_items.c.catalogue == self.config.name, catalogue_items.c.item_key == key)
        try:
            with self._connect() as conn:
                record = conn.execute(statement).scalar()
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None
        return dict(json.loads(record)) if record is not None else None


@click.group("catalogue")
def catalogue_group() -> None:
    """Catalogues that `type: search` nodes search in SQL."""


@catalogue_group.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--fields", required=True, help="Searched columns with weights: title:4,author:3.")
@click.option("--key", default="id", show_default=True, help="The column that identifies an item.")
def import_command(name: str, file: Path, fields: str, key: str) -> None:
    """Load a CSV file as catalogue NAME (replacing it) into the app's database."""
    from ivr.config import database_url, env_settings, instance_dir
    from ivr.store import make_engine

    weights: dict[str, int] = {}
    for part in fields.split(","):
        column, _, weight = part.strip().partition(":")
        weights[column] = int(weight or 1) if (weight or "1").isdigit() else 1
    with file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    missing = ({key, *weights} - set(rows[0])) if rows else set()
    if missing:
        raise click.ClickException(f"{file} has no column(s) {', '.join(sorted(missing))}")
    url = database_url(env_settings()["DATABASE_URL"], instance_dir())
    engine = make_engine(url)
    try:
        count = import_catalogue(engine, name, rows, weights, key)
    finally:
        engine.dispose()
    click.echo(f"catalogue {name}: {count} items")
