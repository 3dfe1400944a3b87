"""The three kinds of data source: SQL, HTTP (JSON) and CSV. Each returns one record or None.

Sources do blocking I/O; ``ivr.lookup.live`` runs them under a time budget. They
raise ``SourceError`` with a short reason (never the identifier) when they fail.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.lookup.config import ENV_REF, SQL_PARAM, URL_PARAM, SourceConfig

MAX_BODY = 1_000_000  # bytes of JSON we are willing to read


class SourceError(Exception):
    """A source that did not answer usefully; ``reason`` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _env(name: str, environ: Mapping[str, str]) -> str:
    value = environ.get(name, "")
    if not value:
        raise SourceError(f"missing_env:{name}")
    return value


class SqlSource:
    """``type: sql``: a SELECT with bound parameters; the first row is the record."""

    def __init__(self, config: SourceConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self.statement = sa.text(config.query)
        self.names = set(SQL_PARAM.findall(config.query))

    def fetch(self, params: Mapping[str, str], timeout: float) -> dict[str, Any] | None:
        """Run the query; parameters are bound by the driver, never pasted into the SQL."""
        bound = {name: params.get(name, "") for name in self.names}
        try:
            with self.engine.connect() as conn:
                if self.engine.dialect.name == "postgresql":
                    conn = conn.execution_options(postgresql_readonly=True)
                row = conn.execute(self.statement, bound).first()
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None
        return dict(row._mapping) if row is not None else None


def sql_engine(url: str, timeout: float) -> Engine:
    """An engine for lookups: short timeouts, read-only where the database allows it."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": timeout})

        @sa.event.listens_for(engine, "connect")
        def _read_only(conn: Any, _record: Any) -> None:
            conn.execute("PRAGMA query_only = ON")

        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": max(1, round(timeout)),
                        "options": f"-c statement_timeout={int(timeout * 1000)}"}
    return sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4,
                            pool_timeout=timeout, connect_args=connect_args)


def json_path(data: Any, path: str) -> Any:
    """Follow ``a.b.0.c`` into decoded JSON; KeyError when it leads nowhere."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            raise KeyError(path)
    return data


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: it would carry our credentials to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to follow."""
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class HttpSource:
    """``type: http``: GET a URL template; a JSON answer, 404 = not found."""

    def __init__(self, config: SourceConfig, environ: Mapping[str, str] = os.environ) -> None:
        self.config = config
        self.environ = environ

    def url_for(self, params: Mapping[str, str]) -> str:
        """The URL with ${ENV} filled in and each {param} URL-encoded."""
        url = ENV_REF.sub(lambda m: _env(m.group(1), self.environ), self.config.url)
        return URL_PARAM.sub(lambda m: quote(params.get(m.group(1), ""), safe=""), url)

    def fetch(self, params: Mapping[str, str], timeout: float) -> dict[str, Any] | None:
        """GET the record; SourceError on anything but a usable JSON answer or a 404."""
        headers = {"Accept": "application/json", "User-Agent": "ivr-helpdesk/lookup"}
        for name, template in self.config.headers.items():
            headers[name] = ENV_REF.sub(lambda m: _env(m.group(1), self.environ), template)
        request = urllib.request.Request(self.url_for(params), headers=headers, method="GET")
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                body = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                return None
            raise SourceError(f"http:{exc.code}") from None
        except TimeoutError:
            raise SourceError("timeout") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            kind = "timeout" if isinstance(reason, TimeoutError) else "unreachable"
            raise SourceError(kind) from None
        if len(body) > MAX_BODY:
            raise SourceError("too_large")
        try:
            data = json.loads(body)
        except ValueError:
            raise SourceError("bad_json") from None
        try:
            record = json_path(data, self.config.record)
        except KeyError:
            return None  # e.g. record: items.0 on an empty list
        if record is None:
            return None
        if not isinstance(record, Mapping):
            raise SourceError("not_an_object")
        if not self.config.fields:
            return dict(record)
        out: dict[str, Any] = {}
        for name, path in self.config.fields.items():
            try:
                out[name] = json_path(record, path)
            except KeyError:
                raise SourceError(f"missing_field:{name}") from None
        return out


class CsvSource:
    """``type: csv``: rows of a file indexed by one column; re-read when the file changes."""

    def __init__(self, config: SourceConfig, path: Path) -> None:
        self.config = config
        self.path = path
        self._signature: tuple[int, int] | None = None
        self._rows: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            stat = self.path.stat()
        except OSError:
            raise SourceError("missing_file") from None
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if signature != self._signature:
                try:
                    with self.path.open(newline="", encoding="utf-8-sig") as handle:
                        reader = csv.DictReader(handle)
                        if self.config.key not in (reader.fieldnames or ()):
                            raise SourceError("bad_file:no_key_column")
                        rows = {(row.get(self.config.key) or "").strip(): row for row in reader}
                except (OSError, UnicodeDecodeError, csv.Error):
                    raise SourceError("bad_file") from None
                self._rows, self._signature = rows, signature
            return self._rows

    def fetch(self, params: Mapping[str, str], timeout: float) -> dict[str, Any] | None:
        """The row whose key column equals the identifier."""
        row = self._load().get(params.get("id", "").strip())
        return dict(row) if row is not None else None
