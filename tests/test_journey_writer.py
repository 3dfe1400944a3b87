"""The journey writer runs its statements on the driver's cursor (ivr.data.direct): lines
of every shape are stored as SQLAlchemy stored them, the rollups folded from them are
those a rebuild gives, and the driver's errors still reach the writer as SQLAlchemy's."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.data.batch import BatchStatements
from ivr.data.rollup import ROLLUPS, rebuild
from ivr.data.store import Store
from tests.conftest import upgraded
from tests.test_analytics import DAY1
from tests.test_rollup_incremental import rollup_rows

START = DAY1 + timedelta(hours=9)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    found = Store(db_url)
    yield found
    found.dispose()




def rebuilt(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """The rollups of every call, recomputed from the whole journeys."""
    with store.engine.begin() as conn:
        for table in ROLLUPS:
            conn.execute(table.delete())
    rebuild(store.engine)
    return rollup_rows(store)


def step(sid: str, i: int, **fields: Any) -> dict[str, Any]:
    return {"call_sid": sid, "at": START + timedelta(seconds=10 * i), "menu": "mini",
            "node": "main", "event": "choice", "input": "1", "outcome": "go:hours_info",
            "lang": "en", "kind": "menu", "entered": "hours_info/message",
            "request_token": f"{sid}-{i}", "part": 0, **fields}


def test_lines_of_every_shape_are_stored_and_folded_as_given(store: Store) -> None:
    start = {"call_sid": "W1", "account_sid": "AC1", "from_number": "+40721234567",
             "to_number": "+15005550001", "menu": "mini", "started_at": START}
    old = step("W1", 1)  # spooled before kind and entered existed, no part or input either
    for key in ("kind", "entered", "part", "input"):
        del old[key]
    paris = timezone(timedelta(hours=1))
    store.write_batch([start], [
        step("W1", 0, node="hours_info", event="done", input="", outcome="go:back",
             kind="message", entered="main/menu"),
        old,
        step("W1", 2, at=(START + timedelta(seconds=20)).astimezone(paris)),  # another zone
        step("W1", 3, request_token=None), step("W1", 4, request_token=None),  # NULLs: both
        step("W1", 5, input="2"), step("W1", 5, input="9"),  # one key twice: the first kept
    ], [])
    store.write_batch([], [step("W1", 5), step("W1", 6, event="speech", input="blah",
                                               outcome="nothing", entered="")], [])
    stored = sorted(store.journey("W1"), key=lambda row: row["id"])
    assert [(row["request_token"], row["input"]) for row in stored] == [
        ("W1-0", ""), ("W1-1", ""), ("W1-2", "1"), (None, "1"), (None, "1"), ("W1-5", "2"),
        ("W1-6", "blah")]
    assert (stored[1]["kind"], stored[1]["entered"], stored[1]["part"]) == ("", "", 0)
    # A timestamp without its zone (PostgreSQL reads it back to know the instant it kept).
    store.write_batch([], [step("W2", 0, at=START.replace(tzinfo=None)),
                           step("W2", 1, at=START.replace(tzinfo=None) + timedelta(seconds=5),
                                event="key", input="0")], [])
    store.write_batch([], [], [{"call_sid": "W1", "status": "completed", "status_seq": 2,
                                "duration": 61, "updated_at": START}])
    folded = rollup_rows(store)
    assert [row[0] for row in folded["call_facts"]] == ["W1", "W2"]
    assert rebuilt(store) == folded


def test_the_drivers_errors_reach_the_writer_as_sqlalchemys(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed statement on the driver's cursor is raised as SQLAlchemy raises it: a
    deadlock (PostgreSQL) is written again, anything else is the caller's to handle."""
    failures: list[Exception] = []
    real = BatchStatements.add_steps

    def sometimes(self: BatchStatements, cursor: Any, steps: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return real(self, cursor, steps)

    monkeypatch.setattr(BatchStatements, "add_steps", sometimes)
    failures.append(sqlite3.OperationalError("disk I/O error") if store.engine.dialect.name
                    == "sqlite" else _driver_error("DataError"))
    with pytest.raises(sa.exc.DBAPIError):
        store.write_batch([], [step("W3", 0)], [])
    assert store.journey("W3") == [] and failures == []
    if store.engine.dialect.name == "postgresql":
        failures.append(_driver_error("DeadlockDetected"))
        store.write_batch([], [step("W3", 0)], [])
        assert failures == [] and len(store.journey("W3")) == 1


def _driver_error(name: str) -> Exception:
    import psycopg

    error: Exception = getattr(psycopg.errors, name)("refused")
    return error


def test_a_zone_kept_by_sqlite_is_its_clock_reading(tmp_path: Path) -> None:
    """What SQLAlchemy stored for a timestamp with a zone on SQLite, and what the fold uses
    (PostgreSQL keeps the instant)."""
    store = Store(upgraded(f"sqlite:///{tmp_path / 'ivr.sqlite3'}"))
    try:
        at = datetime(2026, 11, 23, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
        store.write_batch([], [step("W4", 0, at=at)], [])
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT at FROM journey_steps")).scalar_one() == \
                "2026-11-23 10:00:00.000005"
            assert conn.execute(sa.text("SELECT started_at FROM call_facts")).scalar_one() == \
                "2026-11-23 10:00:00.000005"
    finally:
        store.dispose()


def test_lines_past_sqlites_largest_id_are_still_the_batchs(tmp_path: Path) -> None:
    """Once a table holds SQLite's largest possible id, new rows get ids at random: the
    writer notices its ids are not consecutive and inserts the batch again returning them."""
    store = Store(upgraded(f"sqlite:///{tmp_path / 'ivr.sqlite3'}"))
    try:
        store.write_batch([], [step("W5", 0), step("W5", 1)], [])
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE journey_steps SET id = 9223372036854775807 "
                                 "WHERE request_token = 'W5-1'"))
        store.write_batch([], [step("W5", 1), step("W5", 2, event="key", input="0"),
                               step("W5", 3, event="speech", input="hello")], [])
        assert [row["request_token"] for row in store.journey("W5")] == [
            "W5-0", "W5-1", "W5-2", "W5-3"]
        folded = rollup_rows(store)
        assert folded["call_facts"][0][:1] == ("W5",) and rebuilt(store) == folded
    finally:
        store.dispose()
