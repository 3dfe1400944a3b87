"""Alembic migrations for the app's database, run with `ivr db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def upgrade_database() -> str:
    """Create or migrate the configured database (idempotent); returns its URL."""
    from dotenv import load_dotenv

    from ivr.config import PROJECT_ROOT, database_url, env_settings, instance_dir
    from ivr.migrations import upgrade

    load_dotenv(PROJECT_ROOT / ".env", override=False)  # as the app reads it
    url = database_url(env_settings()["DATABASE_URL"], instance_dir())
    upgrade(url)
    return url


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision``."""
    command.downgrade(alembic_config(url), revision)
