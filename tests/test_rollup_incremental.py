"""The analytics rollups fold each batch's lines onto a call's rows: long calls written a
line at a time give the very rows a rebuild from the whole journeys gives."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import ivr.data.rollup as rollup
from ivr.data.rollup import ROLLUPS, rebuild
from ivr.data.store import Store
from tests.test_analytics import CALLS, DAY1, line, opening

LOOP = [  # a caller going round the menus: keys, words, retries, a lookup, an answer
    line("main", "choice", "1", "go:hours_info", "hours_info/message", "menu"),
    line("hours_info", "done", "", "go:back", "main/menu", "message"),
    line("main", "speech", "blah blah", "nothing | hours_info=0.31", kind="menu"),
    line("main", "nothing_found", "blah blah", "try 1/3", "main/menu", "menu"),
    line("main", "silence", "", "try 2/3", "main/menu", "menu"),
    line("main", "choice", "4", "go:order_status", "order_status/lookup", "menu"),
    line("order_status", "lookup_entry", "10****1", "entered", kind="lookup"),
    line("order_status", "lookup", "10****1", "found:go:main", "main/menu", "lookup"),
]


def long_call(rounds: int) -> list[dict[str, Any]]:
    """A call of ``rounds`` trips round the menu, ended by a transfer someone answered."""
    return [*opening(), *LOOP * rounds,
            line("main", "key", "0", "global:desk", kind="menu"),
            line("desk", "hours", "", "open:go:agent", kind="hours"),
            line("agent", "transfer", "", "dial:+1*******06", "desk/hours,agent/transfer",
                 "transfer"),
            line("agent", "dial", "completed", "hangup", kind="transfer")]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    found = Store(db_url)
    with found.engine.begin() as conn:
        for table in ("call_edges", "call_nodes", "call_facts", "journey_steps", "calls"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    yield found
    found.dispose()


def rollup_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row, in a fixed order."""
    with store.engine.connect() as conn:
        return {table.name: sorted(tuple(row) for row in conn.execute(sa.select(table)))
                for table in ROLLUPS}


def step(sid: str, start: Any, i: int, row: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"call_sid": sid, "at": start + timedelta(seconds=10 * i), "menu": "mini",
            "request_token": f"{sid}-{i}", "part": 0, **row, **more}


def test_long_calls_written_a_line_at_a_time_give_the_rows_of_a_rebuild(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    rereads: list[list[str]] = []
    whole = rollup._refresh_chunk

    def counted(conn: Any, sids: list[str]) -> None:
        rereads.append(list(sids))
        whole(conn, sids)

    monkeypatch.setattr(rollup, "_refresh_chunk", counted)
    calls = {**CALLS, "L1": (DAY1 + timedelta(hours=12), None, long_call(30)),
             "L2": (DAY1 + timedelta(hours=13), 900, long_call(12)[:-2])}  # hung up queueing
    rng = random.Random(24)
    for sid, (start, duration, lines) in calls.items():
        store.write_batch([{"call_sid": sid, "account_sid": "AC1", "from_number": "+40721234567",
                            "to_number": "+15005550001", "menu": "mini", "started_at": start}],
                          [], [])
        i = 0
        while i < len(lines):  # batches of one to three lines, as the writer's flushes fall
            size = rng.randint(1, 3)
            store.write_batch([], [step(sid, start, j, lines[j])
                                   for j in range(i, min(i + size, len(lines)))], [])
            i += size
        if duration is not None:
            store.write_batch([], [], [{"call_sid": sid, "status": "completed", "status_seq": 9,
                                        "duration": duration,
                                        "updated_at": start + timedelta(seconds=duration)}])
    assert rereads == []  # every line folded on, no journey read again
    lines_in = sum(len(lines) for _, _, lines in calls.values())
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT sum(steps) FROM call_facts")).scalar_one() == lines_in
        assert conn.execute(sa.text(
            "SELECT visits FROM call_nodes WHERE call_sid = 'L1' AND node = 'order_status'"
        )).scalar_one() == 30
    folded = rollup_rows(store)
    with store.engine.begin() as conn:
        for table in ROLLUPS:
            conn.execute(table.delete())
    assert rebuild(store.engine) == len(calls)
    assert rollup_rows(store) == folded


def test_repeats_late_lines_and_a_failed_refresh_still_end_exact(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    start, lines = DAY1 + timedelta(hours=12), long_call(5)
    sid = "L3"
    steps = [step(sid, start, i, row) for i, row in enumerate(lines)]
    store.write_batch([], steps[:10], [])
    store.write_batch([], steps[5:12], [])  # a replayed batch: five lines again, two new
    store.write_batch([], steps[14:20], [])
    store.write_batch([], steps[12:14], [])  # late: before lines already counted
    with monkeypatch.context() as patched:  # a refresh that fails: the rows fall behind
        patched.setattr(rollup, "extend", lambda *args: 1 / 0)
        store.write_batch([], steps[20:25], [])
    store.write_batch([], steps[25:], [])
    store.write_batch([], [], [{"call_sid": sid, "status": "completed", "status_seq": 9,
                                "duration": 400, "updated_at": start}])
    folded = rollup_rows(store)
    assert folded["call_facts"][0][0] == sid
    with store.engine.begin() as conn:
        for table in ROLLUPS:
            conn.execute(table.delete())
    assert rebuild(store.engine) == 1
    assert rollup_rows(store) == folded
