"""The three kinds of data source: SQL, HTTP (JSON) and CSV. Each returns one record or None.

Sources do blocking I/O; ``ivr.lookup.live`` runs them under a time budget. They
raise ``SourceError`` with a short reason (never the identifier) when they fail.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import re
import socket
import ssl
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.lookup.config import ENV_REF, SQL_PARAM, URL_PARAM, SourceConfig
from ivr.lookup.policy import SourcePolicy

MAX_BODY = 1_000_000  # bytes of JSON we are willing to read


class SourceError(Exception):
    """A source that did not answer usefully; ``reason`` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
            with self.engine.connect() as conn:  # read-only: ivr.lookup.readonly
                row = conn.execute(self.statement, bound).first()
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None
        return dict(row._mapping) if row is not None else None


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


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to an address resolved and checked beforehand (never resolved again)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        """Connect to the checked address; the Host header keeps the name."""
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate must still match the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        """Connect to the checked address, then TLS with the host name (SNI, certificate)."""
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fill_env(template: str, policy: SourcePolicy, environ: Mapping[str, str]) -> str:
    """``template`` with each ``${NAME}`` the operator allows filled from ``environ``."""
    def value(match: re.Match[str]) -> str:
        try:
            return policy.env_value(match.group(1), environ)
        except LookupError:
            raise SourceError(f"missing_env:{match.group(1)}") from None

    return ENV_REF.sub(value, template)


class HttpSource:
    """``type: http``: GET a URL template; a JSON answer, 404 = not found.

    Only variables and hosts the operator allows (``ivr.lookup.policy``); the host is
    checked, resolved and its addresses checked before connecting, and a redirect is
    never followed: it would carry the credentials to another address.
    """

    def __init__(self, config: SourceConfig, policy: SourcePolicy,
                 environ: Mapping[str, str] = os.environ) -> None:
        self.config = config
        self.policy = policy
        self.environ = environ

    def _fill(self, template: str) -> str:
        return fill_env(template, self.policy, self.environ)

    def url_for(self, params: Mapping[str, str]) -> str:
        """The URL with ${ENV} filled in and each {param} URL-encoded."""
        url = self._fill(self.config.url)
        return URL_PARAM.sub(lambda m: quote(params.get(m.group(1), ""), safe=""), url)

    def fetch(self, params: Mapping[str, str], timeout: float) -> dict[str, Any] | None:
        """GET the record; SourceError on anything but a usable JSON answer or a 404."""
        headers = {"Accept": "application/json", "User-Agent": "ivr-helpdesk/lookup"}
        for name, template in self.config.headers.items():
            headers[name] = self._fill(template)
        url = self.url_for(params)
        host, port, rule = self.policy.rule_for(url)  # NotAllowed before any DNS or socket
        try:
            addresses = self.policy.addresses(host, port, rule)
        except LookupError:
            raise SourceError("unreachable") from None
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        status, body = self._get(parts.scheme.lower(), host, port, addresses, target, headers,
                                 timeout)
        if status == 404:
            return None
        if status != 200:
            raise SourceError(f"http:{status}")  # a redirect too: never followed
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

    @staticmethod
    def _get(scheme: str, host: str, port: int, addresses: list[str], target: str,
             headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
        """One GET to the first address that answers: (status, at most MAX_BODY + 1 bytes)."""
        return http_request("GET", scheme, host, port, addresses, target, headers, timeout)


def http_request(method: str, scheme: str, host: str, port: int, addresses: list[str],
                 target: str, headers: Mapping[str, str], timeout: float,
                 body: bytes | None = None) -> tuple[int, bytes]:
    """One request to the first checked address that answers: (status, at most MAX_BODY + 1
    bytes). A GET tries the next address on any failure; a POST only when the connection
    itself failed (an address that refused it got nothing), so it is never sent twice."""
    kind = _PinnedTLS if scheme == "https" else _Pinned
    failure = "unreachable"
    for address in addresses:
        conn = kind(host, port, address, timeout)
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            raise SourceError("timeout") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            failure = "timeout" if isinstance(getattr(exc, "reason", None), TimeoutError) \
                else "unreachable"
            continue
        try:
            try:
                conn.request(method, target, body=body, headers=dict(headers))
                response = conn.getresponse()
                return response.status, response.read(MAX_BODY + 1)
            except TimeoutError:
                raise SourceError("timeout") from None
            except (OSError, http.client.HTTPException) as exc:
                if method != "GET":  # a write may have arrived: never sent twice
                    raise SourceError("unreachable") from None
                failure = "timeout" if isinstance(getattr(exc, "reason", None), TimeoutError) \
                    else "unreachable"
            except ValueError:
                raise SourceError("bad_request") from None  # e.g. a newline in a header value
        finally:
            conn.close()
    raise SourceError(failure)


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
