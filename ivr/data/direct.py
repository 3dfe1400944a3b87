"""The journey writer's statements run on the database driver's own cursor.

SQLAlchemy builds every statement (``ivr.data.store``, ``ivr.data.rollup``); each is
compiled once per dialect to positional SQL, and its bind and result types' own
processors are kept, so values are stored and read back exactly as SQLAlchemy would.
What this skips is SQLAlchemy's per-execution and per-row work (a parameter dict per
row, the statement's cache lookup, the result's row objects), which cost the writer
more than the database's own work. Lists (a batch's calls, its new lines) go in as a
single parameter (JSON for SQLite's ``json_each``, an array for PostgreSQL), so every
statement's text is the same from batch to batch: the drivers' statement caches hold
it, and PostgreSQL prepares it once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

Processor = Callable[[Any], Any]


def positional(dialect: sa.Dialect) -> sa.Dialect:
    """The dialect compiling to positional parameters (psycopg's ``%s``, SQLite's ``?``)."""
    if dialect.paramstyle in ("qmark", "format"):
        return dialect
    factory: Any = type(dialect)
    return factory(paramstyle="format")  # type: ignore[no-any-return]


class Prepared:
    """One statement compiled for one dialect: its SQL, the order of its parameters, and
    the processors of its parameters and result columns (None where a value passes as is)."""

    def __init__(self, statement: Any, dialect: sa.Dialect) -> None:
        target = positional(dialect)
        compiled = statement.compile(dialect=target)
        self.sql: str = compiled.string
        if dialect.driver == "psycopg":
            # Parameters in binary: psycopg dumps a list of strings as text escaping every
            # item (several times the CPU), and binary needs no parsing on the server.
            self.sql = re.sub(r"%%|%s", lambda m: "%b" if m.group() == "%s" else "%%",
                              self.sql)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        binds = compiled.binds
        # Values the statement carries itself (a LIMIT): sent with every execution.
        self.fixed = {name: binds[name].value for name in self.names
                      if not binds[name].required}
        self.bind_processors = tuple(bind_processor(binds[name].type, target)
                                     for name in self.names)
        columns = list(statement.selected_columns) if isinstance(statement, sa.Select) else []
        self.columns: tuple[str, ...] = tuple(column.name for column in columns)
        self.result_processors: tuple[Processor | None, ...] = tuple(
            result_processor(column.type, target) for column in columns)
        self._bound = [(i, p) for i, p in enumerate(self.bind_processors) if p is not None]
        self._read = [(i, p) for i, p in enumerate(self.result_processors) if p is not None]

    def params(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The positional parameters for named values."""
        fixed = self.fixed
        return self.bound([values[name] if name in values else fixed[name]
                           for name in self.names])

    def bound(self, row: list[Any]) -> tuple[Any, ...]:
        """Parameters already in order, through their processors."""
        for i, process in self._bound:
            row[i] = process(row[i])
        return tuple(row)

    def rows(self, cursor: Any) -> list[list[Any]]:
        """The cursor's rows, through the result columns' processors."""
        fetched = cursor.fetchall()
        if not self._read:
            return [list(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for i, process in self._read:
                values[i] = process(values[i])
            out.append(values)
        return out


def bind_processor(kind: Any, dialect: sa.Dialect) -> Processor | None:
    """A type's bind processor: None for an array whose items need none (it would only
    copy the list); a quicker one of the same result for SQLite's timestamps."""
    if isinstance(kind, sa.ARRAY):
        item = kind.item_type.dialect_impl(dialect).bind_processor(dialect)
        if item is None:
            return None
    process = kind.dialect_impl(dialect).bind_processor(dialect)
    if process is not None and _sqlite_datetime(kind, dialect):
        return _checked(process, _datetime_text, _SAMPLES)
    return process  # type: ignore[no-any-return]


def result_processor(kind: Any, dialect: sa.Dialect) -> Processor | None:
    """A type's result processor; a quicker one of the same result for SQLite's timestamps."""
    process = kind.dialect_impl(dialect).result_processor(dialect, None)
    if process is not None and _sqlite_datetime(kind, dialect):
        return _checked(process, _text_datetime, [_datetime_text(v) for v in _SAMPLES])
    return process  # type: ignore[no-any-return]


# SQLAlchemy keeps SQLite's timestamps as text, "YYYY-MM-DD HH:MM:SS.ffffff" (the clock
# reading, without its zone): datetime's own C methods write and read that form.
_SAMPLES = [datetime(2026, 12, 7, 13, 5, 9, 123456), datetime(999, 1, 2, 3, 4, 5),
            datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))]


def _sqlite_datetime(kind: Any, dialect: sa.Dialect) -> bool:
    return dialect.name == "sqlite" and isinstance(kind, sa.DateTime)


def _datetime_text(value: Any) -> Any:
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _text_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value)


def _checked(general: Processor, quick: Processor, samples: list[Any]) -> Processor:
    """``quick`` where it gives what ``general`` gives: on plain datetimes (or their text in
    exactly the stored form), after checking it does on ``samples``; else ``general``."""
    if any(quick(value) != general(value) for value in samples):
        return general
    if quick is _datetime_text:
        def write(value: Any) -> Any:
            return _datetime_text(value) if type(value) is datetime else general(value)
        return write

    def read(value: Any) -> Any:
        if type(value) is str and len(value) == 26 and value[10] == " " and value[19] == ".":
            return datetime.fromisoformat(value)
        return general(value)
    return read


def cursor_of(conn: sa.Connection) -> Any:
    """A DB-API cursor on the connection's own transaction."""
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def run(cursor: Any, prepared: Prepared, values: dict[str, Any]) -> Any:
    """Execute once with named values; returns the cursor."""
    cursor.execute(prepared.sql, prepared.params(values))
    return cursor


def listed(values: Sequence[Any], dialect: sa.Dialect) -> Any:
    """A list as one parameter: JSON for SQLite, an array for PostgreSQL."""
    return list(values) if dialect.name == "postgresql" else json.dumps(list(values))


def listing(name: str, item: Any, dialect_name: str) -> Any:
    """The rows of a list parameter (``listed``): a one-column table named ``name``
    whose column is ``value``."""
    if dialect_name == "postgresql":
        param = sa.bindparam(name, type_=postgresql.ARRAY(item))
        return sa.func.unnest(param).table_valued(
            sa.column("value", item), name=name).render_derived()
    return sa.func.json_each(sa.bindparam(name, type_=sa.String)).table_valued(
        sa.column("value", item), name=name)


def member(column: Any, name: str, dialect_name: str, negate: bool = False) -> Any:
    """``column`` is (``negate``: is not) in the list parameter ``name``."""
    if dialect_name == "postgresql":
        param = sa.bindparam(name, type_=postgresql.ARRAY(column.type))
        return column != sa.all_(param) if negate else column == sa.any_(param)
    values = sa.select(listing(name, column.type, dialect_name).c.value)
    return column.not_in(values) if negate else column.in_(values)


def array_of(item: Any) -> Any:
    """A PostgreSQL array type of ``item`` values (strings without a length: a value too
    long is refused by its table, never cut short by the cast)."""
    if isinstance(item, sa.String):
        item = sa.Text() if isinstance(item, sa.Text) else sa.String()
    return postgresql.ARRAY(item)


class Many:
    """A statement run over many rows of values: SQLite runs it once per row
    (``executemany``, a loop in C); PostgreSQL once over the rows as arrays, one per
    column (``unnest``): one round trip, no per-row work in the driver.

    ``make(values, rows)`` builds the statement: ``values`` maps each column name to its
    value in the row (a bound parameter, or the column of the unnested arrays); ``rows``
    is a SELECT of every column in ``columns``' order on PostgreSQL (for an INSERT ...
    SELECT), None on SQLite (use ``values`` in ``.values()``).
    """

    def __init__(self, dialect: sa.Dialect, columns: dict[str, Any],
                 make: Callable[[dict[str, Any], Any], Any]) -> None:
        self.names = tuple(columns)
        self.arrays = dialect.name == "postgresql"
        if self.arrays:
            arrays = [sa.bindparam(name, type_=array_of(kind)) for name, kind in columns.items()]
            table = sa.func.unnest(*arrays).table_valued(
                *(sa.column(name, kind) for name, kind in columns.items()),
                name="given").render_derived()
            statement = make({name: table.c[name] for name in self.names},
                             sa.select(*(table.c[name] for name in self.names)))
        else:
            statement = make({name: sa.bindparam(name, type_=kind)
                              for name, kind in columns.items()}, None)
        self.prepared = Prepared(statement, dialect)
        # Where each parameter's value sits in a row (a name may be used twice); values
        # the statement carries itself come after the row's.
        fixed = self.prepared.fixed
        self._fixed = list(fixed.values())
        self._at = [self.names.index(name) if name in self.names
                    else len(self.names) + list(fixed).index(name)
                    for name in self.prepared.names]

    def run(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> int:
        """Run over ``rows`` (values in ``columns``' order); returns the rows changed."""
        prepared = self.prepared
        if not rows:
            return 0
        at = self._at
        if self.arrays:
            columns = [list(column) for column in zip(*rows, strict=True)] + self._fixed
            cursor.execute(prepared.sql, prepared.bound([columns[i] for i in at]))
        elif self._fixed:
            fixed = tuple(self._fixed)
            cursor.executemany(prepared.sql, [prepared.bound([full[i] for i in at])
                                              for full in (tuple(row) + fixed for row in rows)])
        else:
            cursor.executemany(prepared.sql, [prepared.bound([row[i] for i in at])
                                              for row in rows])
        return int(cursor.rowcount)
