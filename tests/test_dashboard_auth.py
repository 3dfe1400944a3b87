"""Who may use the dashboard: login, logout, CSRF tokens and roles (limits: test_dashboard_login_limits)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.dashboard.logins import user_sessions
from ivr.dashboard.ratelimit import rate_limits
from ivr.dashboard.store import users
from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, Clock, csrf_token_of, log_in


def _rows(app: Any, table: sa.Table) -> list[dict[str, Any]]:
    with app.extensions["ivr"].store.engine.connect() as conn:
        order = table.c.id if "id" in table.c else table.c.created_at
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(order))]


def test_login_page_carries_the_sessions_csrf_token(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    page = client.get("/dashboard/login")
    assert page.status_code == 200
    sent = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert sent is not None
    assert sent.group(1) == csrf_token_of(client)
    assert 'for="username"' in page.text and 'for="password"' in page.text


def test_login_then_logout(dashboard_app: Any, clock: Clock) -> None:
    client = dashboard_app.test_client()
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/inbox"
    inbox = client.get("/dashboard/inbox")
    assert inbox.status_code == 200
    assert "alice" in inbox.text
    alice = next(u for u in _rows(dashboard_app, users) if u["username"] == "alice")
    assert alice["last_login_at"] is not None
    assert alice["password_hash"] != AGENT_PASSWORD and alice["password_hash"].startswith("scrypt:")

    open_sessions = _rows(dashboard_app, user_sessions)
    assert [(r["user_id"], len(r["id_hash"])) for r in open_sessions] == [(alice["id"], 64)]
    response = client.post("/dashboard/logout", data={"csrf_token": csrf_token_of(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/login"
    assert client.get("/dashboard/inbox").status_code == 302
    with client.session_transaction() as session:
        assert "sid" not in session
    assert _rows(dashboard_app, user_sessions) == []


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    response = client.get("/dashboard/inbox?status=done")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/login?next=/dashboard/inbox?status%3Ddone"
    data = {"username": "alice", "password": AGENT_PASSWORD, "csrf_token": csrf_token_of(client),
            "next": "/dashboard/inbox?status=done"}
    assert client.post("/dashboard/login", data=data).headers["Location"] == "/dashboard/inbox?status=done"

    other = dashboard_app.test_client()
    data = {**data, "csrf_token": csrf_token_of(other), "next": "https://evil.example/"}
    assert other.post("/dashboard/login", data=data).headers["Location"] == "/dashboard/inbox"


def test_wrong_password_is_refused_and_counted(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    response = log_in(client, "alice", "not-her-password")
    assert response.status_code == 401
    assert "do not match" in response.text
    with client.session_transaction() as session:
        assert "sid" not in session
    # Counted in the database: the client address, the whole service, and alice's name.
    counts = sorted((r["key"].split("/")[1], r["count"]) for r in _rows_by_key(dashboard_app))
    assert counts == [("ivr-login", 1), ("ivr-login", 1), ("tries", 1)]
    assert client.get("/dashboard/inbox").status_code == 302


def _rows_by_key(app: Any) -> list[dict[str, Any]]:
    with app.extensions["ivr"].store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(rate_limits).order_by(rate_limits.c.key))]


def test_a_disabled_user_cannot_log_in_and_is_logged_out(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    assert log_in(client).status_code == 302
    dashboard_app.extensions["dashboard"].users.set_active("alice", False)
    assert client.get("/dashboard/inbox").status_code == 302  # the open session ends
    assert log_in(client).status_code == 401


def test_a_post_without_the_csrf_token_is_refused(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    response = client.post("/dashboard/login", data={"username": "alice", "password": AGENT_PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.text
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert log_in(client).status_code == 302
    # Logged in: a forged logout (wrong token) does nothing either.
    response = client.post("/dashboard/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/dashboard/inbox").status_code == 200


def test_an_agent_gets_403_in_the_admin_area_and_an_admin_gets_in(dashboard_app: Any) -> None:
    agent = dashboard_app.test_client()
    log_in(agent)
    for path in ("/dashboard/admin/", "/dashboard/admin/users"):
        assert agent.get(path).status_code == 403
    refused = agent.post("/dashboard/admin/users", data={
        "username": "mallory", "password": "long-enough-1", "role": "admin",
        "csrf_token": csrf_token_of(agent)})
    assert refused.status_code == 403
    assert "mallory" not in [u["username"] for u in _rows(dashboard_app, users)]
    assert "Admin" not in agent.get("/dashboard/inbox").text.split("<main", 1)[0]

    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    page = admin.get("/dashboard/admin/users")
    assert page.status_code == 200
    assert "alice" in page.text and "root" in page.text


def test_an_admin_adds_and_disables_users(dashboard_app: Any) -> None:
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    token = csrf_token_of(admin)
    response = admin.post("/dashboard/admin/users", data={
        "username": "bob", "password": "bobs-password", "role": "agent", "csrf_token": token})
    assert response.status_code == 302
    bob = next(u for u in _rows(dashboard_app, users) if u["username"] == "bob")
    assert (bob["role"], bob["active"]) == ("agent", True)
    taken = admin.post("/dashboard/admin/users", data={
        "username": "bob", "password": "bobs-password", "role": "agent", "csrf_token": token})
    assert taken.status_code == 400 and "already a user called bob" in taken.text
    short = admin.post("/dashboard/admin/users", data={
        "username": "carol", "password": "short", "role": "agent", "csrf_token": token})
    assert short.status_code == 400
    assert [u["username"] for u in _rows(dashboard_app, users)] == ["alice", "root", "bob"]

    response = admin.post("/dashboard/admin/users/bob/active", data={"active": "0", "csrf_token": token})
    assert response.status_code == 302
    assert not next(u for u in _rows(dashboard_app, users) if u["username"] == "bob")["active"]
    assert log_in(dashboard_app.test_client(), "bob", "bobs-password").status_code == 401
    # An admin cannot lock themself out.
    response = admin.post("/dashboard/admin/users/root/active", data={"active": "0", "csrf_token": token})
    assert response.status_code == 400
    assert next(u for u in _rows(dashboard_app, users) if u["username"] == "root")["active"]


def _example_url(rule: Any) -> str:
    """A concrete URL for a rule: 1 for numbers, 'x' for anything else."""
    values = {arg: 1 if type(rule._converters[arg]).__name__ == "IntegerConverter" else "x"
              for arg in rule.arguments}
    return str(rule.build(values)[1])


def test_every_dashboard_route_sends_an_anonymous_visitor_to_login(dashboard_app: Any) -> None:
    rules = [r for r in dashboard_app.url_map.iter_rules() if r.rule.startswith("/dashboard")
             and r.endpoint not in ("dashboard.auth.login", "dashboard.auth.code", "dashboard.static")]
    assert len(rules) >= 10  # the walk really covers the dashboard
    client = dashboard_app.test_client()
    for rule in rules:
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/dashboard/login"), (method, url)


def test_the_login_page_and_stylesheet_are_public(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    assert client.get("/dashboard/login").status_code == 200
    # The code step, without a password accepted first, sends back to the login form.
    assert client.get("/dashboard/login/code").headers["Location"] == "/dashboard/login"
    css = client.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()


@pytest.mark.parametrize("path", ["/dashboard/inbox", "/dashboard/login"])
def test_pages_forbid_framing_and_inline_script(dashboard_app: Any, path: str) -> None:
    client = dashboard_app.test_client()
    log_in(client)
    response = client.get(path, follow_redirects=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_admins_see_failed_notification_deliveries(dashboard_app: Any, clock: Clock) -> None:
    from ivr.notify import outbox

    engine = dashboard_app.extensions["ivr"].store.engine
    with engine.begin() as conn:
        conn.execute(outbox.insert(), [
            {"key": "voicemail:RE1:sms", "channel": "sms", "payload": "{}", "status": "failed",
             "attempts": 5, "next_attempt_at": clock(), "created_at": clock(),
             "last_error": "HTTP 400: invalid To number"},
            {"key": "voicemail:RE2:email", "channel": "email", "payload": "{}", "status": "pending",
             "attempts": 1, "next_attempt_at": clock(), "created_at": clock(), "last_error": None},
        ])
    agent = dashboard_app.test_client()
    log_in(agent)
    assert agent.get("/dashboard/admin/deliveries").status_code == 403
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    assert 'href="/dashboard/admin/deliveries"' in admin.get("/dashboard/admin/users").text
    page = admin.get("/dashboard/admin/deliveries")
    assert page.status_code == 200
    assert "HTTP 400: invalid To number" in page.text and "voicemail:RE1:sms" in page.text
    assert "voicemail:RE2:email" not in page.text
