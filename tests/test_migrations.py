"""The migrations build exactly the schema the code queries, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ivr.migrations import downgrade, upgrade
from ivr.migrations.schema import metadata


def test_migrated_schema_matches_the_tables_in_code(db_url: str, tmp_path: object) -> None:
    if db_url.startswith("sqlite"):  # migrated here, where other tests get a copy
        db_url = f"sqlite:///{tmp_path}/fresh.sqlite3"
        upgrade(db_url)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_reverts(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/m.sqlite3"
    upgrade(url)
    upgrade(url)  # a second release phase changes nothing
    downgrade(url, "base")
    engine = sa.create_engine(url)
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
