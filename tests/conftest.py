"""Shared fixtures: an app on a temporary database (SQLite, and PostgreSQL where reachable)."""

from __future__ import annotations

import atexit
import builtins
import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivr import create_app
from ivr.migrations import upgrade
from ivr.simulator import FlaskTransport, Phone


def block_imports(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Imports of these modules (and of their submodules) fail as if not installed."""
    real_import = builtins.__import__

    def blocked(name: str, *args: Any, **kwargs: Any) -> Any:
        if any(name == m or name.startswith(m + ".") for m in modules):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)

ROOT = Path(__file__).resolve().parent.parent
# Every test process, and the gunicorns, commands and benchmarks they start, keeps the
# menus' phrase vectors in one folder: each model embeds the demo menus once per machine,
# not once per process (ivr.speech.vectorfile; the vectors depend only on model and text).
VECTORS = Path(os.environ.setdefault("IVR_EMBED_CACHE", str(ROOT / "instance" / "vectors")))


def pytest_configure(config: pytest.Config) -> None:
    from ivr.speech import keep_vectors_in

    keep_vectors_in(VECTORS)


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


# Modules that start servers (gunicorn, nginx, SMTP), run commands in new processes, load
# the speech or transcription models, or try hundreds of generated inputs: `make test`
# runs them, `make check` (the edit-test loop) leaves them out. A test elsewhere that
# does one of these is marked `slow` itself.
SLOW_MODULES = frozenset({
    "test_callers_understood", "test_calls_back", "test_cli", "test_benchmarks",
    "test_dashboard_scale", "test_demo_menus", "test_docs", "test_fast_requests",
    "test_forwarded_headers",
    "test_fuzz_webhooks", "test_lint", "test_lookup_policy", "test_menu_hot_reload",
    "test_menu_scale", "test_metrics", "test_nginx_front", "test_outage",
    "test_procfile", "test_request_limits", "test_scaleout", "test_speech", "test_speech_auto",
    "test_speech_embed", "test_speech_warmup", "test_transcripts", "test_walk_menus",
    "test_wordpiece",
})
POSTGRES_FIXTURES = frozenset({"postgres_url", "postgres_lookup_url", "postgres_action_url"})
# The longest tests (a minute or so each on two cores) start first: pytest-xdist hands out
# tests in this order, so the two workers end together instead of one finishing a walk
# alone at the end.
LONG_FIRST = (
    "test_walk_menus.py::test_every_path_of_every_menu[shop]",
    "test_walk_menus.py::test_every_path_of_every_menu[library]",
    "test_procfile.py::", "test_benchmarks.py::", "test_menu_hot_reload.py::",
    "test_request_limits.py::", "test_scaleout.py::", "test_learning_loop.py::test_bench",
)


def _how_long(item: pytest.Item) -> int:
    """The item's place among LONG_FIRST (the rest after them, in their own order)."""
    name = item.nodeid.rsplit("/", 1)[-1]
    return next((i for i, start in enumerate(LONG_FIRST) if name.startswith(start)),
                len(LONG_FIRST))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what each test needs: ``browser`` (Chromium), ``postgres``, ``slow``. Under
    pytest-xdist (`make test`), a browser module's tests share one worker, so one
    Chromium serves the module. The longest tests go first (LONG_FIRST)."""
    for item in items:
        module = item.path.stem
        if "browser" in item.path.parent.name:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group(f"browser-{module}"))
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        callspec = getattr(item, "callspec", None)
        if (callspec is not None and callspec.params.get("db_url") == "postgres") or \
                POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
    items.sort(key=_how_long)


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


def _postgres_role(postgres_url: str, prefix: str, grants: list[str]) -> Iterator[str]:
    """The session's database as a new login role with only ``grants`` (after CONNECT and
    USAGE on the schema), dropped afterwards."""
    import psycopg

    role = f"{prefix}_{secrets.token_hex(4)}"
    database = postgres_url.rsplit("/", 1)[1]
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        for grant in grants:
            conn.execute(f'GRANT {grant} TO "{role}"')
    yield postgres_url.replace("://postgres@", f"://{role}@", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture(scope="session")
def postgres_lookup_url(postgres_url: str) -> Iterator[str]:
    """The session's database as a role that may only read the demo tables (docs/lookups.md)."""
    yield from _postgres_role(postgres_url, "ivr_lookup", ["SELECT ON orders, library_loans"])


@pytest.fixture(scope="session")
def postgres_action_url(postgres_url: str) -> Iterator[str]:
    """The session's database as a role that may only insert holds (docs/lookups.md)."""
    yield from _postgres_role(postgres_url, "ivr_action", [
        "INSERT ON library_holds", "USAGE ON SEQUENCE library_holds_id_seq"])


@pytest.fixture
def demo_connection(db_url: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The demo's connections: built in on SQLite; on PostgreSQL the read-only role for
    lookups and the role that may only insert holds for actions."""
    if not db_url.startswith("postgresql"):
        return {}
    return {"IVR_LOOKUP_DB_DEMO": request.getfixturevalue("postgres_lookup_url"),
            "IVR_ACTION_DB_DEMO": request.getfixturevalue("postgres_action_url")}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database: SQLite in a temp folder, or the session's PostgreSQL database."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        _truncate(url)
        return url
    return upgraded(f"sqlite:///{tmp_path / 'ivr.sqlite3'}")


_MIGRATED: list[Path] = []  # this process's SQLite database at the latest revision


def upgraded(url: str) -> str:
    """The database at ``url`` brought to the latest revision; returns ``url``.

    A SQLite file not made yet becomes a copy of one this test process migrated once:
    running every migration costs a test a tenth of a second or more, a copy a millisecond.
    (tests/test_migrations.py checks that migrating gives the schema the tables declare.)
    """
    prefix = "sqlite:///"
    target = Path(url[len(prefix):]) if url.startswith(prefix) else None
    if target is None or target.exists():
        upgrade(url)
        return url
    if not _MIGRATED:
        folder = Path(tempfile.mkdtemp(prefix="ivr-migrated-"))
        atexit.register(shutil.rmtree, folder, True)
        upgrade(f"{prefix}{folder / 'head.sqlite3'}")
        _MIGRATED.append(folder / "head.sqlite3")
    # The backup API copies the database whatever its journal (WAL) holds.
    with closing(sqlite3.connect(_MIGRATED[0])) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return url


def _truncate(url: str) -> None:
    """Empty every table of the app (the PostgreSQL database is shared by a session)."""
    import sqlalchemy as sa

    from ivr.migrations.schema import metadata

    engine = sa.create_engine(url)
    existing = set(sa.inspect(engine).get_table_names())
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name in existing)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


class Clock:
    """A settable clock for the app."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def _matcher_back_to_lexical() -> Iterator[None]:
    """An app switches the process's matcher (IVR_MATCHER, auto by default): the next test
    starts from the engine's own default again, whatever the order tests run in."""
    yield
    from ivr.speech import matcher_in_use, use_matcher

    if matcher_in_use() != "lexical":
        use_matcher("lexical")


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
        "IVR_SMS_COUNTRIES": "US,FR,RO",  # the demo configuration: the test menus' callers
        # Each app its own spool: tests on the other worker must never replay this one's
        # spooled voicemails into their own database (or this one theirs).
        "IVR_SPOOL_DIR": str(tmp_path / "spool"),
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
    if "online" in application.extensions:
        application.extensions["online"].writer.close()
    application.extensions["ivr"].catalog.close()
    application.extensions["ivr"].lookups.close()  # its engines' pooled connections too
    application.extensions["ivr"].store.dispose()


@pytest.fixture
def phone(app: Any) -> Phone:
    """A simulated caller dialling the mini menu."""
    return Phone(FlaskTransport(app), TOKEN, called="+15005550001")


# -- the agents' dashboard --------------------------------------------------------------------
AGENT_PASSWORD = "agent-password-1"
ADMIN_PASSWORD = "admin-password-1"


def empty_dashboard_tables(url: str) -> None:
    """Empty the voicemails and the dashboard's tables (the PostgreSQL database is shared)."""
    import sqlalchemy as sa

    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE voicemail_notes, user_sessions, rate_limits, users, voicemails, "
                             "voicemail_media, outbox RESTART IDENTITY CASCADE"))
    engine.dispose()


_HASHES: dict[str, str] = {}  # password -> its scrypt hash, made once per test process


@contextmanager
def hashed_once() -> Iterator[None]:
    """Users added in this block get the hash their password got the first time this
    process hashed it: a real salted scrypt hash (logging in still checks it) that costs a
    tenth of a second to make, once rather than for every test's agent and admin."""
    from ivr.dashboard import store

    make = store.generate_password_hash

    def once(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = make(password)
        return _HASHES[password]

    store.generate_password_hash = once  # type: ignore[assignment]
    try:
        yield
    finally:
        store.generate_password_hash = make  # type: ignore[assignment]


@pytest.fixture
def dashboard_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app, with an agent (alice) and an admin (root) who can log in to the dashboard."""
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock)
    users = application.extensions["dashboard"].users
    with hashed_once():
        users.add_user("alice", AGENT_PASSWORD, "agent", clock())
        users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield application
    shutdown(application)


def csrf_token_of(client: Any) -> str:
    """The CSRF token of the client's session, as the dashboard's forms carry it."""
    with client.session_transaction() as session:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(16)
        return str(session["csrf"])


def log_in(client: Any, username: str = "alice", password: str = AGENT_PASSWORD) -> Any:
    """Log a test client in to the dashboard; returns the login response."""
    return client.post("/dashboard/login", data={"username": username, "password": password,
                                                 "csrf_token": csrf_token_of(client)})


VOICEMAIL_DEFAULTS: dict[str, Any] = {
    "call_sid": "CA0000", "from_number": "+15551230000", "to_number": "+15005550001",
    "menu": "mini", "lang": "en", "created_at": OPEN_TIME, "updated_at": OPEN_TIME, "duration": 12,
    "recording_status": "completed",
    "transcript": "Hello, my parcel never arrived.", "transcript_status": "completed",
    "status": "new", "assigned_to": None,
}


def add_voicemail(app: Any, audio: bytes | None = None, **values: Any) -> int:
    """Store a voicemail (and its WAV recording) as the recording pipeline would; returns its id."""
    import sqlalchemy as sa

    engine = app.extensions["ivr"].store.engine
    table = sa.Table("voicemails", sa.MetaData(), autoload_with=engine)
    row = {**VOICEMAIL_DEFAULTS, **values}
    row.setdefault("recording_sid", f"RE{secrets.token_hex(16)}")
    with engine.begin() as conn:
        voicemail_id = int(conn.execute(table.insert().values(**row)).inserted_primary_key[0])
    if audio is not None:
        app.extensions["dashboard"].voicemails.store_media(voicemail_id, audio, "audio/wav",
                                                           row["created_at"])
    return voicemail_id


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short real WAV file: a 440 Hz tone, mono, 16 bits."""
    import io
    import math
    import struct
    import wave

    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()
