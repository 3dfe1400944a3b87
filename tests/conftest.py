"""Shared fixtures: an app on a temporary database (SQLite, and PostgreSQL where reachable)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivr import create_app
from ivr.migrations import upgrade
from ivr.simulator import FlaskTransport, Phone

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "12345678901234567890123456789012"  # a fixed test auth token
# A Monday at 10:00 in Bucharest (08:00 UTC): the demo desks are open.
OPEN_TIME = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("IVR_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_admin_url() -> str | None:
    """The PostgreSQL URL to create test databases with, or None when unreachable."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return POSTGRES_URL
    except psycopg.Error:
        return None


_PG = _postgres_admin_url()
if _PG is None and os.environ.get("IVR_REQUIRE_POSTGRES"):
    raise RuntimeError(f"IVR_REQUIRE_POSTGRES is set but PostgreSQL at {POSTGRES_URL} is "
                       "unreachable")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    if _PG is None:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set IVR_TEST_POSTGRES_URL)")
    import psycopg

    name = f"ivr_test_{secrets.token_hex(4)}"
    with psycopg.connect(_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = _PG.rsplit("/", 1)[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade(url)
    yield url
    with psycopg.connect(_PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database: SQLite in a temp folder, or the session's PostgreSQL database."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        _truncate(url)
        return url
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgrade(url)
    return url


def _truncate(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE calls, journey_steps RESTART IDENTITY"))
    engine.dispose()


class Clock:
    """A settable clock for the app."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The app's clock, at a time the demo desks are open."""
    return Clock(OPEN_TIME)


def make_app(db_url: str, tmp_path: Path, clock: Clock, **overrides: Any) -> Any:
    """An app configured for tests."""
    config = {
        "IVR_ENV": "test",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "DATABASE_URL": db_url,
        "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"),
        "IVR_PROMPTS_DIR": str(ROOT / "prompts"),
        "IVR_CLOCK": clock,
        "SECRET_KEY": "test",
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app on the mini test menu."""
    application = make_app(db_url, tmp_path, clock)
    yield application
    shutdown(application)


def shutdown(application: Any) -> None:
    """Stop an app's journey writer and close its database connections."""
    application.extensions["ivr"].recorder.close()
    application.extensions["ivr"].store.dispose()


@pytest.fixture
def phone(app: Any) -> Phone:
    """A simulated caller dialling the mini menu."""
    return Phone(FlaskTransport(app), TOKEN, called="+15005550001")
