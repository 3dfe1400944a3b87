"""Each kind of data source against a real backend: SQL (SQLite and PostgreSQL), HTTP, CSV."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.lookup import FAILED, FOUND, NOT_FOUND
from ivr.lookup.demo import seed
from ivr.lookup.live import LiveLookups
from ivr.lookup.policy import HostRule, SourcePolicy
from ivr.lookup.speak import render
from ivr.menu.loader import load_text
from ivr.menu.model import Menu
from tests.http_stub import Gate, JsonHandler, serving

TODAY = date(2026, 11, 23)


def menu_with(sources: str) -> Menu:
    """A one-node menu whose only point is its ``sources``."""
    return load_text(f"""
menu: data
languages: {{en: {{locale: en-US, voice: Polly.Joanna}}}}
start: bye
sources:
{sources}
nodes:
  bye: {{type: hangup}}
""", "data.yaml")


def live(tmp_path: Path, policy: SourcePolicy | None = None, **kwargs: Any) -> LiveLookups:
    return LiveLookups(menus_dir=tmp_path, policy=policy or SourcePolicy(), secret="s", **kwargs)


# ---- SQL ------------------------------------------------------------------------

SQL_SOURCES = """
  orders:
    type: sql
    database: demo
    query: >
      SELECT order_id, status, delivery_date, total, currency
      FROM orders WHERE order_id = :id
  mine:
    type: sql
    database: demo
    query: "SELECT order_id, status FROM orders WHERE phone = :caller ORDER BY order_id"
  broken: {type: sql, database: demo, query: "SELECT * FROM no_such_table WHERE x = :id"}
  other: {type: sql, database: other, query: "SELECT :id AS echo"}
"""


@pytest.fixture
def seeded(db_url: str) -> str:
    engine = sa.create_engine(db_url)
    seed(engine, TODAY)
    engine.dispose()
    return db_url


@pytest.fixture
def demo_policy(seeded: str, demo_connection: dict[str, str]) -> SourcePolicy:
    """The demo connection as the server builds it: SQLite's built in, PostgreSQL's a role."""
    return SourcePolicy.from_settings({"DATABASE_URL": seeded, **demo_connection}, {})


def test_sql_finds_a_record_with_bound_parameters(demo_policy: SourcePolicy,
                                                  tmp_path: Path) -> None:
    lookups = live(tmp_path, demo_policy)
    menu = menu_with(SQL_SOURCES)
    try:
        result = lookups.find(menu, "orders", {"id": "100001", "caller": ""})
        assert result.status == FOUND
        text = render("{status}, {delivery_date:date}, {total:amount}", result.record, "en",
                      today=TODAY)
        assert text == "shipped, Wednesday 25 November, 42 euros and 50 cents"
        # An injection attempt is just an identifier that matches nothing.
        sneaky = lookups.find(menu, "orders", {"id": "100001' OR '1'='1", "caller": ""})
        assert sneaky.status == NOT_FOUND
        by_phone = lookups.find(menu, "mine", {"id": "x", "caller": "+33612345678"})
        assert by_phone.record["order_id"] == "100002"
    finally:
        lookups.close()


def test_sql_failure_and_another_database_the_operator_declared(demo_policy: SourcePolicy,
                                                                 tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    sa.create_engine(f"sqlite:///{other}").connect().close()  # an empty file to read
    declared = SourcePolicy.from_settings({"DATABASE_URL": "sqlite:///app.db",
                                           "IVR_LOOKUP_DB_OTHER": f"sqlite:///{other}"}, {})
    policy = replace(demo_policy, connections={**demo_policy.connections,
                                               "other": declared.connections["other"]})
    lookups = live(tmp_path, policy)
    menu = menu_with(SQL_SOURCES)
    try:
        broken = lookups.find(menu, "broken", {"id": "1", "caller": ""})
        assert (broken.status, broken.reason) == (FAILED, "sql")
        echo = lookups.find(menu, "other", {"id": "77", "caller": ""})
        assert echo.status == FOUND and echo.record == {"echo": "77"}
    finally:
        lookups.close()
    undeclared = live(tmp_path, demo_policy)
    try:
        assert undeclared.find(menu, "other", {"id": "7", "caller": ""}).reason == "not_allowed"
    finally:
        undeclared.close()


# ---- HTTP -----------------------------------------------------------------------


class Api(JsonHandler):
    """A small JSON API with every way an API can let us down."""

    hits: dict[str, int] = {}
    healthy = True
    slow = Gate()  # the slow source answers only when the test is done

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        kind = self.path.split("/")[1]
        Api.hits[kind] = Api.hits.get(kind, 0) + 1
        if kind == "slow":
            Api.slow.hold()
        if kind == "error" and not Api.healthy:
            return self._send(500, b"oops")
        if self.headers.get("Authorization") != "Bearer s3cret":
            return self._send(401, b"{}")
        if kind == "echo":
            return self._json({"data": {"state": self.path, "eta": {"date": "2026-11-25"}}})
        if kind == "moved":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if kind == "badjson":
            return self._send(200, b"{not json")
        if kind == "missing":
            return self._json({"data": {"eta": {"date": "2026-11-25"}}})
        if kind in ("orders", "slow", "error") and self.path.endswith("/100001"):
            return self._json({"data": {"state": "shipped", "eta": {"date": "2026-11-25"}}})
        return self._send(404, b'{"error": "not found"}')

    def _json(self, data: object) -> None:
        self._send(200, json.dumps(data).encode())


@pytest.fixture
def api() -> Iterator[str]:
    Api.hits, Api.healthy, Api.slow = {}, True, Gate()
    with serving(Api) as base:
        yield base
        Api.slow.open()


def http_menu(base: str) -> Menu:
    fields = "record: data, fields: {status: state, delivery_date: eta.date}"
    auth = 'headers: {Authorization: "Bearer ${IVR_SOURCE_API_TOKEN}"}'
    return menu_with("\n".join(
        f'  {kind}: {{type: http, url: "${{IVR_SOURCE_API}}/{kind}/{{id}}", {auth}, {fields}'
        f'{", timeout: 0.3" if kind == "slow" else ""}}}'
        for kind in ("orders", "slow", "error", "badjson", "missing", "echo", "moved")))


def api_policy(api: str) -> SourcePolicy:
    """Only the test API's host and port are allowed."""
    return SourcePolicy(hosts=(HostRule.parse(api.split("//", 1)[1]),))


@pytest.fixture
def http_lookups(api: str, tmp_path: Path) -> Iterator[LiveLookups]:
    environ = {"IVR_SOURCE_API": api, "IVR_SOURCE_API_TOKEN": "s3cret"}
    lookups = live(tmp_path, api_policy(api), environ=environ, breaker_failures=5)
    yield lookups
    lookups.close()


def test_http_found_with_field_paths_and_a_header_from_the_environment(
        api: str, http_lookups: LiveLookups) -> None:
    result = http_lookups.find(http_menu(api), "orders", {"id": "100001", "caller": ""})
    assert result.status == FOUND
    assert result.record == {"status": "shipped", "delivery_date": "2026-11-25"}


def test_http_not_found_is_a_404(api: str, http_lookups: LiveLookups) -> None:
    assert http_lookups.find(http_menu(api), "orders", {"id": "999", "caller": ""}).status == \
        NOT_FOUND


def test_http_parameters_are_url_encoded(api: str, http_lookups: LiveLookups) -> None:
    result = http_lookups.find(http_menu(api), "echo", {"id": "a/b c?d=1#", "caller": ""})
    assert result.record["status"] == "/echo/a%2Fb%20c%3Fd%3D1%23"


@pytest.mark.parametrize("source, reason", [
    ("error", "http"), ("badjson", "bad_json"), ("missing", "missing_field"),
    ("moved", "http")])
def test_http_failures(api: str, http_lookups: LiveLookups, source: str, reason: str) -> None:
    Api.healthy = False
    result = http_lookups.find(http_menu(api), source, {"id": "100001", "caller": ""})
    assert (result.status, result.reason) == (FAILED, reason)


def test_http_slower_than_the_budget_fails_in_time(api: str, http_lookups: LiveLookups) -> None:
    result = http_lookups.find(http_menu(api), "slow", {"id": "100001", "caller": ""})
    assert (result.status, result.reason) == (FAILED, "timeout")
    assert Api.hits["slow"] == 1 and Api.slow.answered == 0  # gave up while the answer was held


def test_http_without_its_credential_fails_without_calling(api: str, tmp_path: Path) -> None:
    lookups = live(tmp_path, api_policy(api), environ={"IVR_SOURCE_API": api})
    try:
        result = lookups.find(http_menu(api), "orders", {"id": "100001", "caller": ""})
        assert (result.status, result.reason) == (FAILED, "missing_env")
        assert Api.hits == {}
    finally:
        lookups.close()


def test_http_unreachable(tmp_path: Path) -> None:
    lookups = live(tmp_path, api_policy("http://127.0.0.1:9"),
                   environ={"IVR_SOURCE_API": "http://127.0.0.1:9", "IVR_SOURCE_API_TOKEN": "x"})
    try:
        result = lookups.find(http_menu("x"), "orders", {"id": "1", "caller": ""})
        assert (result.status, result.reason) == (FAILED, "unreachable")
    finally:
        lookups.close()


def test_circuit_breaker_skips_a_failing_source_then_tries_again(api: str,
                                                                 tmp_path: Path) -> None:
    now = [1000.0]
    lookups = live(tmp_path, api_policy(api),
                   environ={"IVR_SOURCE_API": api, "IVR_SOURCE_API_TOKEN": "s3cret"},
                   breaker_failures=2, breaker_seconds=30, clock=lambda: now[0])
    menu = http_menu(api)
    params = {"id": "100001", "caller": ""}
    try:
        Api.healthy = False
        assert [lookups.find(menu, "error", params).reason for _ in range(3)] == [
            "http", "http", "circuit_open"]
        assert Api.hits["error"] == 2  # the third was not sent
        assert lookups.find(menu, "orders", params).status == FOUND  # other sources unaffected
        now[0] += 31  # the cool-down is over: one trial, which fails and reopens
        assert lookups.find(menu, "error", params).reason == "http"
        assert lookups.find(menu, "error", params).reason == "circuit_open"
        assert Api.hits["error"] == 3
        now[0] += 31
        Api.healthy = True
        assert lookups.find(menu, "error", params).status == FOUND
        assert lookups.find(menu, "error", params).status == FOUND  # closed again
    finally:
        lookups.close()


# ---- CSV ------------------------------------------------------------------------


def test_csv_is_reread_when_it_changes_on_disk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    file = data / "loans.csv"
    file.write_text("\ufeffcard,title,due\n20001234,Ion,2026-11-27\n", encoding="utf-8")
    menu = menu_with("  loans: {type: csv, file: data/loans.csv, key: card}")
    lookups = live(tmp_path)
    try:
        first = lookups.find(menu, "loans", {"id": "20001234", "caller": ""})
        assert first.record == {"card": "20001234", "title": "Ion", "due": "2026-11-27"}
        assert lookups.find(menu, "loans", {"id": "20009999", "caller": ""}).status == NOT_FOUND
        file.write_text("card,title,due\n20001234,Ion,2026-12-04\n20009999,Dune,2026-12-01\n")
        stat = file.stat()
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert lookups.find(menu, "loans", {"id": "20001234", "caller": ""}).record["due"] == \
            "2026-12-04"
        assert lookups.find(menu, "loans", {"id": "20009999", "caller": ""}).status == FOUND
        file.unlink()
        gone = lookups.find(menu, "loans", {"id": "20001234", "caller": ""})
        assert (gone.status, gone.reason) == (FAILED, "missing_file")
    finally:
        lookups.close()


def test_csv_without_the_key_column_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    lookups = live(tmp_path)
    try:
        result = lookups.find(menu_with("  x: {type: csv, file: x.csv, key: card}"), "x",
                              {"id": "1", "caller": ""})
        assert (result.status, result.reason) == (FAILED, "bad_file")
    finally:
        lookups.close()


def test_settings_are_checked_at_start_up(tmp_path: Path) -> None:
    from ivr.config import ConfigError
    from ivr.lookup.live import lookups_from_settings

    good = {"IVR_LOOKUP_TIMEOUT": "2.5", "IVR_LOOKUP_BREAKER_FAILURES": "3",
            "IVR_LOOKUP_BREAKER_SECONDS": "30", "DATABASE_URL": "sqlite:///x.db",
            "SECRET_KEY": "k"}
    lookups = lookups_from_settings(good, tmp_path)
    assert (lookups.timeout, lookups.breaker.failures, lookups.breaker.cooldown) == (2.5, 3, 30)
    for name, value in [("IVR_LOOKUP_TIMEOUT", "15"), ("IVR_LOOKUP_TIMEOUT", "soon"),
                        ("IVR_LOOKUP_BREAKER_FAILURES", "0")]:
        with pytest.raises(ConfigError, match=name):
            lookups_from_settings({**good, name: value}, tmp_path)
