"""``type: sql`` catalogues: items in the app's database, searched through a word index.

Rows are imported with ``ivr catalogue import NAME FILE.csv --fields title:4,author:3``
(or from a known export, ``--format gutenberg``: ``ivr.search.formats``):
each keeps its columns as JSON (``catalogue_items``), and every folded word of its
searched columns is a posting (``catalogue_postings``: word, item, the heaviest weight
of a field it is in). ``catalogue_words`` counts the items holding each word and
``catalogues`` numbers each import.

A search matches the caller's words against the catalogue's vocabulary (loaded once
per import and worker: exact, or near by edit distance, as for a CSV catalogue), then
one fixed SQL query sums, per item, the weight and rarity of the words it holds —
through the postings' primary key, so the work grows with how many items hold the
words said, not with the catalogue. Words that hundreds of items hold ("novel",
"jacket") only rank what rarer words found, unless nothing rarer was said. The best
candidates are ranked as for a CSV catalogue, with the whole catalogue's rarity.
Menus never name a table: a catalogue is a name within these tables.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata
from ivr.lookup.sources import SourceError
from ivr.search.config import NAME, CatalogueConfig
from ivr.search.formats import FORMATS
from ivr.search.match import COMMON, CatalogueIndex, Vocabulary, heading_words, words_of

CANDIDATES = 60  # items the SQL hands to the ranking
MAX_WORD = 64
FTS = "catalogue_items_fts"  # an index of earlier versions, dropped by migration 0014

catalogue_items = sa.Table(
    "catalogue_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("catalogue", sa.String(64), nullable=False),
    sa.Column("item_key", sa.String(64), nullable=False),
    sa.Column("search_text", sa.Text, nullable=False),  # folded words of the searched fields
    sa.Column("record", sa.Text, nullable=False),  # the row's columns, as JSON
    sa.UniqueConstraint("catalogue", "item_key", name="uq_catalogue_items_key"),
)

catalogues = sa.Table(
    "catalogues",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),  # one more at every import
    sa.Column("items", sa.Integer, nullable=False),
)

catalogue_words = sa.Table(
    "catalogue_words",
    metadata,
    sa.Column("catalogue", sa.String(64), primary_key=True),
    sa.Column("word", sa.String(MAX_WORD), primary_key=True),
    sa.Column("items", sa.Integer, nullable=False),  # how many items hold the word
)

catalogue_postings = sa.Table(
    "catalogue_postings",
    metadata,
    # In this order, the key holds every column: the sums read the key alone, and a
    # word's heaviest items are its last entries.
    sa.Column("catalogue", sa.String(64), primary_key=True),
    sa.Column("word", sa.String(MAX_WORD), primary_key=True),
    sa.Column("weight", sa.SmallInteger, primary_key=True),
    sa.Column("item_id", sa.Integer, primary_key=True),  # catalogue_items.id
)


# Fixed statements, built once (their compiled forms are cached by the engine).
_VERSION = sa.select(catalogues.c.version, catalogues.c["items"]).where(
    catalogues.c.name == sa.bindparam("name"))
_WORDS = sa.select(catalogue_words.c.word, catalogue_words.c["items"]).where(
    catalogue_words.c.catalogue == sa.bindparam("name"))
# A common word's heaviest items (its last entries in the postings' key), with records.
_HEAVIEST = sa.text(
    "SELECT i.id, i.record FROM (SELECT p.item_id FROM catalogue_postings p "
    "WHERE p.catalogue = :name AND p.word = :word "
    "ORDER BY p.weight DESC, p.item_id DESC LIMIT :limit) best "
    "JOIN catalogue_items i ON i.id = best.item_id")


def search_text(row: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The folded words of a row's searched columns."""
    return " ".join(w for name in fields for w in words_of(str(row.get(name) or "")))


def _weights(row: Mapping[str, Any], fields: Mapping[str, int],
             headings: Iterable[str] = ()) -> dict[str, int]:
    """Each folded word of a row's searched columns (``heading_words`` for the fields of
    subject headings), with the heaviest weight it has."""
    out: dict[str, int] = {}
    for name, weight in fields.items():
        text = str(row.get(name) or "")
        for word in heading_words(text) if name in headings else words_of(text):
            word = word[:MAX_WORD]
            out[word] = max(out.get(word, 0), weight)
    return out


def import_catalogue(engine: Engine, name: str, rows: list[dict[str, str]],
                     fields: Mapping[str, int], key: str, headings: Iterable[str] = ()) -> int:
    """Replace catalogue ``name`` with ``rows``: items, postings, word counts, a new version.
    ``headings``: the fields of subject headings (``heading_words``)."""
    headings = set(headings)
    items = [{"catalogue": name, "item_key": str(row[key]).strip()[:64],
              "search_text": search_text(row, fields), "record": json.dumps(row)}
             for row in rows]
    by_key = {item["item_key"]: _weights(row, fields, headings)
              for item, row in zip(items, rows, strict=True)}
    with engine.begin() as conn:
        for table in (catalogue_postings, catalogue_words, catalogue_items):
            conn.execute(table.delete().where(table.c.catalogue == name))
        if items:
            conn.execute(catalogue_items.insert(), items)
        ids = conn.execute(sa.select(catalogue_items.c.item_key, catalogue_items.c.id)
                           .where(catalogue_items.c.catalogue == name)).all()
        postings = [{"catalogue": name, "word": word, "item_id": item_id, "weight": weight}
                    for item_key, item_id in ids for word, weight in by_key[item_key].items()]
        counts: dict[str, int] = {}
        for posting in postings:
            counts[posting["word"]] = counts.get(posting["word"], 0) + 1
        for start in range(0, len(postings), 20_000):
            conn.execute(catalogue_postings.insert(), postings[start:start + 20_000])
        if counts:
            conn.execute(catalogue_words.insert(), [
                {"catalogue": name, "word": w, "items": n} for w, n in counts.items()])
        version = conn.execute(sa.select(catalogues.c.version).where(
            catalogues.c.name == name)).scalar()
        if version is None:
            conn.execute(catalogues.insert().values(name=name, version=1, items=len(ids)))
        else:
            conn.execute(catalogues.update().where(catalogues.c.name == name).values(
                version=version + 1, items=len(ids)))
    if engine.dialect.name == "postgresql":
        # Statistics and the visibility map now rather than when autovacuum comes by:
        # searches read the postings by an index-only scan from the first call.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE) catalogue_postings, catalogue_items, "
                                 "catalogue_words"))
    return len(ids)


@dataclass(frozen=True)
class _Loaded:
    version: int
    vocabulary: Vocabulary


class SqlCatalogue:
    """A named catalogue in the app's database: candidates in SQL, ranking in Python."""

    def __init__(self, config: CatalogueConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sa.Connection:
        conn = self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            conn = conn.execution_options(postgresql_readonly=True)
        return conn

    def warm(self) -> bool:
        """Read the catalogue's vocabulary now (at menu load), not on a caller's first
        search; False when the catalogue is not imported yet."""
        try:
            with self._connect() as conn:
                try:
                    with conn.begin():
                        return self._vocabulary(conn) is not None
                finally:
                    # Closed rather than pooled: an app that only loads menus (a command,
                    # a check) leaves no connection behind; a call's search opens its own.
                    conn.invalidate()
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None

    def _vocabulary(self, conn: sa.Connection) -> Vocabulary | None:
        """The catalogue's words as of its latest import (read again after an import)."""
        name = self.config.name
        found = conn.execute(_VERSION, {"name": name}).first()
        if found is None:
            return None
        loaded = self._loaded
        if loaded is not None and loaded.version == found.version:
            return loaded.vocabulary
        with self._lock:
            counts = dict(conn.execute(_WORDS, {"name": name}).all())
            loaded = _Loaded(found.version, Vocabulary(counts, found.items))
            self._loaded = loaded
        return loaded.vocabulary

    def _candidates(self, conn: sa.Connection, vocabulary: Vocabulary,
                    near: list[list[tuple[str, float]]]) -> list[str]:
        """The records of the items holding the rarer of the caller's words (or their near
        words): the best CANDIDATES, in the order of their ids. One statement."""
        held = [sum(vocabulary.counts[w] for w, _ in options) for options in near]
        chosen = [i for i, n in enumerate(held) if 0 < n <= COMMON]
        if not chosen:  # only common words: the rarest of them alone, its heaviest items
            said = [i for i, n in enumerate(held) if n]
            if not said:
                return []
            rarest = min(said, key=lambda i: held[i])
            word = max(near[rarest], key=lambda o: o[1])[0]
            rows = conn.execute(_HEAVIEST, {"name": self.config.name, "word": word,
                                            "limit": CANDIDATES})
            return [record for _, record in sorted(rows)]
        values: list[str] = []
        params: dict[str, Any] = {"name": self.config.name, "limit": CANDIDATES}
        for i in chosen:
            for word, factor in vocabulary.factors(near[i]):
                n = len(values)
                values.append(f"(CAST(:q{n} AS INTEGER), :w{n}, CAST(:f{n} AS REAL))")
                params.update({f"q{n}": i, f"w{n}": word, f"f{n}": factor})
        # Only :qN, :wN and :fN placeholders are pasted into the statement; as many
        # statements as there are counts of words, each prepared once per connection.
        rows = conn.execute(sa.text(
            f"WITH q(qi, word, f) AS (VALUES {', '.join(values)}), "
            "hits AS (SELECT p.item_id, q.qi, MAX(q.f * p.weight) AS s "
            "FROM q JOIN catalogue_postings p ON p.catalogue = :name AND p.word = q.word "
            "GROUP BY p.item_id, q.qi), "
            "best AS (SELECT item_id FROM hits GROUP BY item_id "
            "ORDER BY COUNT(*) DESC, SUM(s) DESC, item_id LIMIT :limit) "
            "SELECT i.id, i.record FROM best JOIN catalogue_items i ON i.id = best.item_id"),
            params)
        return [record for _, record in sorted(rows)]

    def search(self, words: list[str], limit: int) -> list[dict[str, Any]]:
        """The best items for the folded query words."""
        if not words:
            return []
        try:
            with self._connect() as conn, conn.begin():
                vocabulary = self._vocabulary(conn)
                if vocabulary is None:
                    return []
                near = vocabulary.terms_near(words)
                records = self._candidates(conn, vocabulary, near)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None
        rows = [json.loads(r) for r in records]
        return CatalogueIndex(rows, self.config.fields, self.config.key, vocabulary,
                              headings=self.config.headings).search(words, limit, near=near)

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
@click.option("--fields", help="Searched columns with weights: title:4,author:3 (required "
              "unless --format gives them).")
@click.option("--key", default="id", show_default=True, help="The column that identifies an item.")
@click.option("--headings", help="Searched columns of subject headings, \"; \" between them: "
              "subjects,bookshelves (the same as the menu's headings:).")
@click.option("--format", "format_", type=click.Choice(["csv", *FORMATS]), default="csv",
              show_default=True, help="csv: the file's columns as they are; gutenberg: "
              "Project Gutenberg's catalogue export (pg_catalog.csv), read into id, title, "
              "author, subjects, bookshelves... (docs/menus.md, \"Catalogue import formats\").")
def import_command(name: str, file: Path, fields: str | None, key: str, headings: str | None,
                   format_: str) -> None:
    """Load a CSV file as catalogue NAME (replacing it) into the app's database."""
    from ivr.config import database_url, env_settings, instance_dir
    from ivr.data.tables import make_engine

    if not NAME.match(name):
        raise click.ClickException(f"catalogue name {name!r} must be letters, digits, _ or -")
    with file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    weights: dict[str, int] = {}
    heading_fields: set[str] = set()
    if format_ != "csv":
        needed, convert, default_fields, default_headings = FORMATS[format_]
        if missing := (set(needed) - set(rows[0] if rows else needed)):
            raise click.ClickException(f"{file} is not a {format_} export: no column(s) "
                                       f"{', '.join(sorted(missing))}")
        rows = convert(rows)
        weights, heading_fields = dict(default_fields), set(default_headings)
    if fields:
        weights = {}
        for part in fields.split(","):
            column, _, weight = part.strip().partition(":")
            weights[column] = int(weight or 1) if (weight or "1").isdigit() else 1
    if not weights:
        raise click.ClickException("--fields is required: the searched columns, e.g. "
                                   "title:4,author:3")
    if headings is not None:
        heading_fields = {h.strip() for h in headings.split(",") if h.strip()}
    if unknown := heading_fields - set(weights):
        raise click.ClickException(f"--headings names fields not searched: "
                                   f"{', '.join(sorted(unknown))}")
    missing = ({key, *weights} - set(rows[0])) if rows else set()
    if missing:
        raise click.ClickException(f"{file} has no column(s) {', '.join(sorted(missing))}")
    url = database_url(env_settings()["DATABASE_URL"], instance_dir())
    engine = make_engine(url)
    try:
        count = import_catalogue(engine, name, rows, weights, key, heading_fields)
    finally:
        engine.dispose()
    click.echo(f"catalogue {name}: {count} items")
