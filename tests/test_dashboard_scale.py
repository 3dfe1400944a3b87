"""The inbox stays fast with 100,000 voicemails: its queries walk an index, never the table."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.data.tables import make_engine
from tests.conftest import OPEN_TIME, VOICEMAIL_DEFAULTS, Clock, log_in, make_app, shutdown, upgraded

ROWS = 100_000


@pytest.fixture(scope="module")
def big_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding 100,000 voicemails, seeded in one executemany."""
    url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'big.sqlite3'}"
    upgraded(url)
    engine = sa.create_engine(url)
    table = sa.Table("voicemails", sa.MetaData(), autoload_with=engine)
    pick = random.Random(7)
    rows = [{**VOICEMAIL_DEFAULTS, "recording_sid": f"RE{i:032d}", "call_sid": f"CA{i:032d}",
             "from_number": f"+4072{i:07d}", "lang": pick.choice(("en", "fr", "ro")),
             "status": pick.choice(("new", "in_progress", "done", "done")),
             "created_at": OPEN_TIME - timedelta(minutes=ROWS - i)} for i in range(ROWS)]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)  # executemany: one statement, 100,000 parameter sets
    engine.dispose()
    return url


@pytest.fixture
def recorded(big_database: str) -> Iterator[tuple[Any, list[tuple[str, Any]]]]:
    """The voicemail store on the big database, and every SQL statement it sends."""
    from ivr.voicemail.store import VoicemailStore

    engine = make_engine(big_database)
    statements: list[tuple[str, Any]] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    yield VoicemailStore(engine), statements
    engine.dispose()


def _plan(url: str, statement: str, parameters: Any) -> str:
    """SQLite's EXPLAIN QUERY PLAN for a statement, one step per line."""
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    finally:
        raw.close()
        engine.dispose()


@pytest.mark.parametrize("filters", [
    {"status": "new"},
    {"status": "done", "before_id": 50_000},
    {"status": "new", "lang": "fr", "before_id": 90_000},
    {"status": "in_progress", "q": "parcel"},
    {"status": "new", "date_from": (OPEN_TIME - timedelta(days=30)).date(),
     "date_to": OPEN_TIME.date()},
], ids=["first-page", "older-page", "filtered-page", "search", "dates"])
def test_inbox_pages_use_an_index(big_database: str, recorded: Any, filters: dict[str, Any]) -> None:
    store, statements = recorded
    rows = store.list(**filters, limit=51)
    assert len(rows) == 51
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    if "before_id" in filters:
        assert rows[0]["id"] < filters["before_id"]
    plan = _plan(big_database, *statements[-1])
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort of the whole tab per page


def test_the_unread_count_uses_an_index(big_database: str, recorded: Any) -> None:
    store, statements = recorded
    assert store.count_new() > 20_000
    plan = _plan(big_database, *statements[-1])
    assert "USING COVERING INDEX" in plan or "USING INDEX" in plan, plan


def test_the_inbox_renders_a_page_of_the_big_database(big_database: str, tmp_path: Path,
                                                      clock: Clock) -> None:
    app = make_app(big_database, tmp_path, clock)
    try:
        app.extensions["dashboard"].users.add_user("alice", "agent-password-1", "agent", clock())
        client = app.test_client()
        log_in(client)
        page = client.get("/dashboard/inbox?status=done&lang=ro")
        assert page.status_code == 200
        assert page.text.count('<tr class="vm ') == 50
        assert 'rel="next"' in page.text
    finally:
        shutdown(app)
