"""The journey writer's three upserts (``Store.write_batch``), built with SQLAlchemy and
compiled once per dialect (``ivr.data.direct``).

A batch's journey lines are one statement whatever their number: one executemany on
SQLite (its loop is in C), one INSERT ... SELECT over an array per column on PostgreSQL
(``unnest``). The ids and keys of the lines the database really added (a repeat adds
none) are found (SQLite) or returned (PostgreSQL); the rollups then fold those lines as
they were given (with the values the database keeps: SQLite keeps a timestamp's own
clock reading, and hands it back without its zone), without reading them back.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ivr.data import direct
from ivr.data.tables import ROLLUP_LINE, calls, journey_steps

START_COLUMNS = ("call_sid", "account_sid", "from_number", "to_number", "menu", "started_at",
                 "simulated")
STATUS_COLUMNS = ("call_sid", "account_sid", "from_number", "to_number", "status", "status_seq",
                  "duration", "updated_at")
# A key a row leaves out gets the column's own default (None: NULL).
CALL_DEFAULTS: dict[str, Any] = {"simulated": False, "status_seq": -1}
STEP_COLUMNS = ("call_sid", "at", "menu", "node", "event", "input", "outcome", "lang", "kind",
                "entered", "request_token", "part")
STEP_DEFAULTS: dict[str, Any] = {"input": "", "outcome": "", "lang": "", "kind": "",
                                 "entered": "", "part": 0}
KEY = ("call_sid", "request_token", "part")
_FILLED = tuple((name, STEP_DEFAULTS.get(name)) for name in STEP_COLUMNS)
_AT, _TOKEN, _PART = (STEP_COLUMNS.index(name) for name in ("at", "request_token", "part"))
_GET = operator.itemgetter(*STEP_COLUMNS)


def _values(step: dict[str, Any]) -> list[Any]:
    """A journey line's values in STEP_COLUMNS' order (a key left out: its default)."""
    try:
        return list(_GET(step))
    except KeyError:
        return [step.get(name, default) for name, default in _FILLED]


def _matched(rows: list[list[Any]], returned: list[Any]) -> list[tuple[int, int]]:
    """(index in ``rows``, id) of the lines the database added, from the (id, key...) it
    returned in id order: ids follow the batch's order, and of two lines with one key
    only the first can be added."""
    found: list[tuple[int, int]] = []
    at = 0
    for i, row in enumerate(rows):
        if at < len(returned) and tuple(returned[at][1:]) == (row[0], row[_TOKEN], row[_PART]):
            found.append((i, returned[at][0]))
            at += 1
    return found


def _same(value: Any) -> Any:
    return value


class BatchStatements:
    """write_batch's statements for one dialect."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.postgresql = dialect.name == "postgresql"
        insert = postgresql.insert if self.postgresql else sqlite.insert

        def upsert(names: tuple[str, ...], updated: tuple[str, ...], latest: bool) -> direct.Many:
            def make(values: dict[str, Any], rows: Any) -> Any:
                statement = insert(calls)
                statement = (statement.values(values) if rows is None
                             else statement.from_select(names, rows))
                return statement.on_conflict_do_update(
                    index_elements=["call_sid"],
                    set_={k: statement.excluded[k] for k in updated},
                    # Status callbacks may arrive out of order: keep the latest in sequence.
                    where=calls.c.status_seq <= statement.excluded.status_seq if latest else None,
                )
            return direct.Many(dialect, {name: calls.c[name].type for name in names}, make)

        self.start = upsert(START_COLUMNS, START_COLUMNS[1:], latest=False)
        self.status = upsert(STATUS_COLUMNS, ("status", "status_seq", "duration", "updated_at"),
                             latest=True)
        if self.postgresql:
            arrays = [sa.bindparam(name, type_=direct.array_of(journey_steps.c[name].type))
                      for name in STEP_COLUMNS]
            given = sa.select(*sa.func.unnest(*arrays).table_valued(
                *STEP_COLUMNS, name="batch").render_derived().c)
        else:
            rows = sa.func.json_each(sa.bindparam("rows", type_=sa.String)).table_valued(
                "value", name="batch")
            given = sa.select(*(sa.func.json_extract(rows.c.value, sa.literal_column(f"'$[{i}]'"))
                                for i in range(len(STEP_COLUMNS)))).where(sa.true())
        steps = insert(journey_steps).from_select(STEP_COLUMNS, given).on_conflict_do_nothing(
            index_elements=list(KEY)).returning(journey_steps.c.id,
                                                *(journey_steps.c[name] for name in KEY))
        self.steps = direct.Prepared(steps, dialect)
        self.lines = direct.Prepared(sa.select(*(journey_steps.c[name] for name in ROLLUP_LINE))
                                     .where(direct.member(journey_steps.c.id, "ids",
                                                          dialect.name)), dialect)
        self._stored_at = direct.bind_processor(journey_steps.c.at.type, dialect) or _same
        if not self.postgresql:
            many = insert(journey_steps).values({name: sa.bindparam(name) for name in
                                                 STEP_COLUMNS}).on_conflict_do_nothing(
                index_elements=list(KEY))
            self.many_steps = direct.Prepared(many, dialect)
            assert self.many_steps.names == STEP_COLUMNS
            self.last_ids = direct.Prepared(sa.select(sa.func.last_insert_rowid(),
                                                      sa.func.max(journey_steps.c.id)), dialect)
            self.keys = direct.Prepared(
                sa.select(journey_steps.c.id, *(journey_steps.c[name] for name in KEY))
                .where(journey_steps.c.id > sa.bindparam("after"),
                       journey_steps.c.id <= sa.bindparam("last")), dialect)

    def _sqlite_insert(self, cursor: Any, rows: list[list[Any]]) -> list[Any]:
        """Insert on SQLite; returns the (id, key...) of the lines added, by id.

        One executemany (a loop in C, cheaper than the statement reading a JSON list),
        then the ids it gave: consecutive, as this transaction holds SQLite's write lock and
        each row takes the table's largest id plus one, unless that largest is the largest
        possible (then SQLite picks at random: the last added is not the largest). If they
        are not, or are not the batch's, the insert is undone and made again returning them.
        """
        if not cursor.connection.in_transaction:
            cursor.execute("BEGIN")  # what the driver does before an INSERT
        cursor.execute("SAVEPOINT journey_lines")
        cursor.executemany(self.many_steps.sql, rows)
        count = cursor.rowcount
        returned: list[Any] = []
        if count > 0:
            last, top = cursor.execute(self.last_ids.sql).fetchone()
            if last == top:
                returned = cursor.execute(self.keys.sql, self.keys.params(
                    {"after": last - count, "last": last})).fetchall()
                returned.sort()
        if len(returned) == count and len(_matched(rows, returned)) == count:
            cursor.execute("RELEASE SAVEPOINT journey_lines")
            return returned
        cursor.execute("ROLLBACK TO SAVEPOINT journey_lines")
        cursor.execute("RELEASE SAVEPOINT journey_lines")
        cursor.execute(self.steps.sql, (json.dumps(rows),))
        return sorted(cursor.fetchall())  # ids follow the batch's order

    def add_steps(self, cursor: Any, steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert journey lines (repeats ignored); returns those added, as the rollups
        read them (ROLLUP_LINE's keys), in the batch's order."""
        rows = [_values(step) for step in steps]  # in STEP_COLUMNS' order
        exact = True
        if self.postgresql:
            cursor.execute(self.steps.sql, self.steps.bound(
                [list(column) for column in zip(*rows, strict=True)]))
            for row in rows:  # read back as the same instant (in the session's zone)
                at = row[_AT]
                exact = exact and isinstance(at, datetime) and at.tzinfo is not None
        else:
            stored = self._stored_at
            clock = []
            for row in rows:
                at = row[_AT]
                if isinstance(at, datetime):  # stored as its clock reading, read back naive
                    at = at.replace(tzinfo=None)
                else:
                    exact = False
                clock.append(at)
                row[_AT] = stored(at)
            returned = self._sqlite_insert(cursor, rows)
            for row, at in zip(rows, clock, strict=True):
                row[_AT] = at
        if self.postgresql:
            returned = sorted(cursor.fetchall())  # (id, key...): ids follow the batch's order
        found = _matched(rows, returned)
        if exact and len(found) == len(returned):
            added = []
            for i, line_id in found:
                line = dict(zip(STEP_COLUMNS, rows[i], strict=True))
                line["id"] = line_id
                added.append(line)
            return added
        # Values the database may keep otherwise than given: read the lines back.
        ids = [row[0] for row in returned]
        cursor.execute(self.lines.sql, self.lines.params(
            {"ids": direct.listed(ids, self.dialect)}))
        back = {row[-1]: dict(zip(ROLLUP_LINE, row, strict=True))
                for row in self.lines.rows(cursor)}
        return [back[i] for i in ids if i in back]
