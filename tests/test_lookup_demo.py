"""Demo data: migration 0004 builds the tables the seed fills; seeding is idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from ivr.cli import cli
from ivr.lookup.demo import pin_hash, seed
from ivr.migrations import downgrade
from ivr.migrations.schema import metadata
from tests.conftest import upgraded

DEMO_TABLES = {"orders", "library_loans"}


def _table(change: tuple[object, ...]) -> str | None:
    """The table an Alembic difference is about."""
    for part in change:
        if isinstance(part, sa.Table):
            return part.name
        if isinstance(part, str) and part in DEMO_TABLES:
            return part
        table = getattr(part, "table", None)
        if isinstance(table, sa.Table):
            return table.name
    return None


def _ours(diff: list[object]) -> list[object]:
    """Differences about the demo tables only (the other tables belong to other modules)."""
    changes = [c for item in diff for c in (item if isinstance(item, list) else [item])]
    return [c for c in changes if _table(c) in DEMO_TABLES]


def test_migrated_demo_tables_match_the_code(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert DEMO_TABLES <= tables
    assert _ours(diff) == []


def test_seed_twice_changes_nothing_but_dates(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    assert seed(engine, date(2026, 11, 23)) == (5, 3)
    assert seed(engine, date(2026, 11, 24)) == (5, 3)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar_one() == 5
        assert conn.execute(sa.text("SELECT COUNT(*) FROM library_loans")).scalar_one() == 3
        due = conn.execute(sa.text("SELECT delivery_date FROM orders WHERE order_id = '100001'"))
        assert str(due.scalar_one())[:10] == "2026-11-26"
        pins = conn.execute(sa.text("SELECT DISTINCT pin_sha256 FROM library_loans")).scalars()
        assert list(pins) == [pin_hash("1234")] and "1234" not in pin_hash("1234")[7:]
    engine.dispose()


def test_ivr_demo_seed_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    runner = CliRunner()
    missing = runner.invoke(cli, ["demo", "seed"], env={"DATABASE_URL": url})
    assert missing.exit_code == 1
    assert "library_loans, orders missing: run `ivr db upgrade` first" in missing.output
    upgraded(url)
    for _ in range(2):
        result = runner.invoke(cli, ["demo", "seed"], env={"DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        assert result.output.startswith("demo data ready: 5 orders, 3 library loans")
    downgrade(url, "0003")
    engine = sa.create_engine(url)
    assert not DEMO_TABLES & set(sa.inspect(engine).get_table_names())
    engine.dispose()
