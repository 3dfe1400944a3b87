"""Alembic environment: runs migrations online against the configured URL."""

from __future__ import annotations

from alembic import context

from ivr.data.tables import make_engine
from ivr.migrations.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=engine.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
