"""Running actions: one SQL statement on a writable connection, or one JSON POST.

Each returns DONE, ALREADY (a unique constraint, HTTP 409) or REFUSED (no row
written, a constraint that is not a duplicate, HTTP 422), and raises ``SourceError``
(or ``NotAllowed``) with a short reason — never the member's identifier — when it
fails. ``ivr.lookup.live`` runs them under the lookups' time budget and breaker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.lookup import ALREADY, DONE, REFUSED
from ivr.lookup.actions import ActionConfig, fill
from ivr.lookup.config import SQL_PARAM, URL_PARAM
from ivr.lookup.policy import Connection, NotAllowed, SourcePolicy
from ivr.lookup.sources import SourceError, fill_env, http_request

UNIQUE_SQLSTATE = "23505"  # PostgreSQL's unique_violation
UNIQUE_SQLITE = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def _value(params: Mapping[str, Any], name: str) -> str:
    if name not in params or params[name] is None:
        raise SourceError(f"missing_field:{name}")
    return str(params[name])


class SqlAction:
    """``type: sql``: one INSERT or UPDATE with bound parameters, in its own transaction."""

    def __init__(self, config: ActionConfig, engine: Engine, connection: Connection) -> None:
        self.config = config
        self.engine = engine
        self.connection = connection
        self.statement = sa.text(config.statement)
        self.names = set(SQL_PARAM.findall(config.statement))

    def run(self, params: Mapping[str, Any], timeout: float) -> str:
        """Write; a duplicate is ALREADY, no row written (or another constraint) REFUSED."""
        table = self.config.table.rsplit(".", 1)[-1]
        tables = self.connection.tables
        if tables is not None and table not in tables:
            raise NotAllowed(f"table:{table}")  # before connecting; the authorizer agrees
        bound = {name: _value(params, name) for name in self.names}
        try:
            with self.engine.begin() as conn:
                done = conn.execute(self.statement, bound)
                count = done.rowcount
        except sa.exc.IntegrityError as exc:
            return ALREADY if _duplicate(exc.orig) else REFUSED
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"sql:{type(getattr(exc, 'orig', exc)).__name__}") from None
        return DONE if count != 0 else REFUSED


def _duplicate(error: BaseException | None) -> bool:
    """Whether a database error is a unique (or primary key) violation."""
    if getattr(error, "sqlstate", None) == UNIQUE_SQLSTATE:
        return True
    return getattr(error, "sqlite_errorname", "") in UNIQUE_SQLITE


class HttpAction:
    """``type: http``: POST a JSON body; 2xx = DONE, 409 = ALREADY, 422 = REFUSED.

    The host, variables, addresses and redirects follow the rules of HTTP sources
    (``ivr.lookup.sources``): checked before connecting, never followed; the body's
    values are filled and JSON-encoded, never pasted into JSON text.
    """

    def __init__(self, config: ActionConfig, policy: SourcePolicy,
                 environ: Mapping[str, str] = os.environ) -> None:
        self.config = config
        self.policy = policy
        self.environ = environ

    def _env(self, template: str) -> str:
        return fill_env(template, self.policy, self.environ)

    def url_for(self, params: Mapping[str, Any]) -> str:
        """The URL with ${ENV} filled in and each {param} URL-encoded."""
        url = self._env(self.config.url)
        return URL_PARAM.sub(lambda m: quote(_value(params, m.group(1)), safe=""), url)

    def body_for(self, params: Mapping[str, Any]) -> bytes:
        """The JSON body: each value filled from the parameters, then encoded."""
        def build(body: Mapping[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, template in body.items():
                if isinstance(template, Mapping):
                    out[name] = build(template)
                else:
                    out[name] = fill(str(template), _Values(params))
            return out

        return json.dumps(build(self.config.body), ensure_ascii=False).encode()

    def run(self, params: Mapping[str, Any], timeout: float) -> str:
        """POST the body; SourceError for anything but 2xx, 409 or 422."""
        headers = {"Accept": "application/json", "Content-Type": "application/json",
                   "User-Agent": "ivr-helpdesk/action"}
        for name, template in self.config.headers.items():
            headers[name] = self._env(template)
        url = self.url_for(params)
        body = self.body_for(params)
        host, port, rule = self.policy.rule_for(url)  # NotAllowed before any DNS or socket
        try:
            addresses = self.policy.addresses(host, port, rule)
        except LookupError:
            raise SourceError("unreachable") from None
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        status, _ = http_request("POST", parts.scheme.lower(), host, port, addresses, target,
                                 headers, timeout, body)
        if 200 <= status < 300:
            return DONE
        if status == 409:
            return ALREADY
        if status == 422:
            return REFUSED
        raise SourceError(f"http:{status}")  # a redirect too: never followed


class _Values(Mapping[str, str]):
    """Parameters as text for ``fill``; a missing one is a SourceError naming it."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params

    def __getitem__(self, name: str) -> str:
        return _value(self.params, name)

    def __iter__(self) -> Any:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)
