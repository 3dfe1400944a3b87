"""Dashboard sessions: cookie flags, server-side ends (logout, password, admin), lifetimes, HSTS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.dashboard.logins import user_sessions
from tests.conftest import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    Clock,
    csrf_token_of,
    empty_dashboard_tables,
    log_in,
    make_app,
    shutdown,
)


def _open_sessions(app: Any) -> list[int]:
    with app.extensions["ivr"].store.engine.connect() as conn:
        return sorted(r.user_id for r in conn.execute(sa.select(user_sessions)))


def _session_cookie(response: Any) -> str:
    """The Set-Cookie header of the session cookie."""
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def _copy_of(app: Any, client: Any) -> Any:
    """Another client holding a copy of ``client``'s session cookie (a captured cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    return thief


@pytest.fixture
def https_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The dashboard in production behind https (IVR_PUBLIC_URL), with alice and root."""
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_ENV="production",
                           IVR_PUBLIC_URL="https://ivr.example.org")
    application.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    yield application
    shutdown(application)


def test_the_cookie_is_secure_httponly_and_samesite_lax_behind_https(https_app: Any) -> None:
    client = https_app.test_client()
    header = _session_cookie(log_in(client))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")}
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"] == "SameSite=Lax"
    assert "expires" in flags  # a lifetime (IVR_SESSION_MAX_HOURS), not 31 days of Flask's default


def test_over_plain_http_the_cookie_is_samesite_lax_but_not_secure(dashboard_app: Any) -> None:
    header = _session_cookie(log_in(dashboard_app.test_client()))
    assert "SameSite=Lax" in header and "HttpOnly" in header
    assert "Secure" not in header  # a browser would drop a Secure cookie on http://localhost


def test_hsts_in_production_over_https_only(https_app: Any, db_url: str, tmp_path: Path,
                                            clock: Clock) -> None:
    for path in ("/healthz", "/dashboard/login"):
        assert https_app.test_client().get(path).headers["Strict-Transport-Security"] == \
            "max-age=31536000"
    for overrides in ({"IVR_ENV": "production", "IVR_PUBLIC_URL": "http://127.0.0.1:8000"},
                      {"IVR_ENV": "test", "IVR_PUBLIC_URL": "https://ivr.example.org"}):
        other = make_app(db_url, tmp_path, clock, **overrides)
        try:
            headers = other.test_client().get("/dashboard/login").headers
            assert "Strict-Transport-Security" not in headers, overrides
        finally:
            shutdown(other)
    # Over https through a trusted proxy (no IVR_PUBLIC_URL), production answers with HSTS too.
    proxied = make_app(db_url, tmp_path, clock, IVR_ENV="production", IVR_TRUSTED_PROXIES="1")
    try:
        response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        shutdown(proxied)


def test_a_captured_cookie_is_dead_after_logout(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    log_in(client)
    thief = _copy_of(dashboard_app, client)
    assert thief.get("/dashboard/inbox").status_code == 200  # the copy works while logged in
    client.post("/dashboard/logout", data={"csrf_token": csrf_token_of(client)})
    response = thief.get("/dashboard/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/login")
    assert _open_sessions(dashboard_app) == []


def test_logging_out_one_browser_leaves_the_others(dashboard_app: Any) -> None:
    laptop, phone = dashboard_app.test_client(), dashboard_app.test_client()
    log_in(laptop)
    log_in(phone)
    laptop.post("/dashboard/logout", data={"csrf_token": csrf_token_of(laptop)})
    assert phone.get("/dashboard/inbox").status_code == 200
    # "Log out everywhere" ends the phone's session too.
    log_in(laptop)
    response = laptop.post("/dashboard/account/logout-everywhere",
                           data={"csrf_token": csrf_token_of(laptop)})
    assert response.headers["Location"] == "/dashboard/login"
    assert phone.get("/dashboard/inbox").status_code == 302
    assert laptop.get("/dashboard/inbox").status_code == 302
    assert _open_sessions(dashboard_app) == []


def test_an_idle_session_ends(dashboard_app: Any, clock: Clock) -> None:
    client = dashboard_app.test_client()
    log_in(client)
    clock.now += timedelta(minutes=59)
    assert client.get("/dashboard/inbox").status_code == 200
    clock.now += timedelta(minutes=61)  # IVR_SESSION_IDLE_MINUTES is 60
    assert client.get("/dashboard/inbox").status_code == 302
    assert _open_sessions(dashboard_app) == []


def test_a_session_in_use_still_ends_after_its_absolute_lifetime(dashboard_app: Any,
                                                                  clock: Clock) -> None:
    client = dashboard_app.test_client()
    log_in(client)
    for _ in range(23):  # every 30 minutes for 11.5 hours: never idle
        clock.now += timedelta(minutes=30)
        assert client.get("/dashboard/inbox").status_code == 200
    clock.now += timedelta(minutes=31)  # 12 hours and a minute after logging in
    assert client.get("/dashboard/inbox").status_code == 302


def test_changing_ones_password_ends_the_other_sessions(dashboard_app: Any) -> None:
    client, other = dashboard_app.test_client(), dashboard_app.test_client()
    log_in(client)
    log_in(other)
    token = csrf_token_of(client)
    wrong = client.post("/dashboard/account/password", data={
        "current": "not-it", "password": "new-password-1", "again": "new-password-1",
        "csrf_token": token})
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    mismatch = client.post("/dashboard/account/password", data={
        "current": AGENT_PASSWORD, "password": "new-password-1", "again": "new-password-2",
        "csrf_token": token})
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    done = client.post("/dashboard/account/password", data={
        "current": AGENT_PASSWORD, "password": "new-password-1", "again": "new-password-1",
        "csrf_token": token})
    assert done.status_code == 200
    assert "Your password is changed. Your 1 other session ended." in done.text
    assert client.get("/dashboard/inbox").status_code == 200  # this browser stays in
    assert other.get("/dashboard/inbox").status_code == 302
    assert log_in(dashboard_app.test_client(), "alice", AGENT_PASSWORD).status_code == 401
    assert log_in(dashboard_app.test_client(), "alice", "new-password-1").status_code == 302


def test_an_admin_resets_a_users_password_and_ends_their_sessions(dashboard_app: Any) -> None:
    alice = dashboard_app.test_client()
    log_in(alice)
    # An agent cannot reset anyone's password.
    refused = alice.post("/dashboard/admin/users/root/password", data={
        "password": "taken-over-1", "csrf_token": csrf_token_of(alice)})
    assert refused.status_code == 403
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    token = csrf_token_of(admin)
    short = admin.post("/dashboard/admin/users/alice/password", data={"password": "short",
                                                                      "csrf_token": token})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    assert alice.get("/dashboard/inbox").status_code == 200
    done = admin.post("/dashboard/admin/users/alice/password", data={"password": "fresh-start-1",
                                                                     "csrf_token": token})
    assert done.status_code == 200
    assert "alice has a new password; 1 of their sessions ended." in done.text
    assert alice.get("/dashboard/inbox").status_code == 302
    assert log_in(dashboard_app.test_client(), "alice", AGENT_PASSWORD).status_code == 401
    assert log_in(dashboard_app.test_client(), "alice", "fresh-start-1").status_code == 302
    assert admin.post("/dashboard/admin/users/nobody/password", data={
        "password": "fresh-start-1", "csrf_token": token}).status_code == 404


def test_disabling_a_user_ends_their_sessions_in_the_database(dashboard_app: Any) -> None:
    alice = dashboard_app.test_client()
    log_in(alice)
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    root_id = dashboard_app.extensions["dashboard"].users.user_by_name("root")["id"]
    admin.post("/dashboard/admin/users/alice/active", data={"active": "0",
                                                            "csrf_token": csrf_token_of(admin)})
    assert _open_sessions(dashboard_app) == [root_id]
    assert alice.get("/dashboard/inbox").status_code == 302


def test_health_details_are_for_this_machine_admins_and_the_scraper(dashboard_app: Any) -> None:
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    client = dashboard_app.test_client()
    bare = client.get("/healthz", environ_base=outside)
    assert (bare.status_code, bare.get_json()) == (200, {"status": "ok"})
    home = client.get("/", environ_base=outside)
    assert "Menus:" not in home.text and "+15005550001" not in home.text
    # A proxy on this machine relays everyone from 127.0.0.1: not trusted without the setting.
    relayed = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.get_json() == {"status": "ok"}
    # This machine itself (a health check, `curl localhost`), an admin, or the scraper: details.
    local = client.get("/healthz").get_json()
    assert sorted(local["menus"]) == ["callback", "lookup", "mini", "search", "vm"]
    assert local["database"] == "ok"
    assert "+15005550001" in client.get("/").text
    agent = dashboard_app.test_client()
    log_in(agent)
    assert agent.get("/healthz", environ_base=outside).get_json() == {"status": "ok"}
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    assert "menus" in admin.get("/healthz", environ_base=outside).get_json()
    assert "mini (+15005550001)" in admin.get("/", environ_base=outside).text


def test_health_details_for_the_metrics_token(db_url: str, tmp_path: Path, clock: Clock) -> None:
    app = make_app(db_url, tmp_path, clock, IVR_METRICS_TOKEN="scrape-me")
    try:
        client = app.test_client()
        outside = {"REMOTE_ADDR": "203.0.113.9"}
        sent = client.get("/healthz", environ_base=outside,
                          headers={"Authorization": "Bearer scrape-me"}).get_json()
        assert sent["database"] == "ok"
        wrong = client.get("/healthz", environ_base=outside, headers={"Authorization": "Bearer no"})
        assert wrong.get_json() == {"status": "ok"}
    finally:
        shutdown(app)
