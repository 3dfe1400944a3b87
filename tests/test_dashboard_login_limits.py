"""Login throttling: slowed down per name, limited per address and overall, counted atomically."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

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


def _attempt(client: Any, username: str, password: str, address: str | None = None) -> Any:
    """A login from ``address`` as a trusted proxy reports it (X-Forwarded-For)."""
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/dashboard/login", headers=headers, data={
        "username": username, "password": password, "csrf_token": csrf_token_of(client)})


@pytest.fixture
def proxied_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The dashboard behind one trusted proxy: every request comes from 127.0.0.1."""
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_TRUSTED_PROXIES="1",
                           IVR_LOGIN_ADDRESS_LIMIT="10/10 minutes", IVR_LOGIN_GLOBAL_LIMIT="25/minute")
    users = application.extensions["dashboard"].users
    users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield application
    shutdown(application)


def test_guesses_through_the_proxy_do_not_shut_out_users_at_other_addresses(
        proxied_app: Any) -> None:
    attacker = proxied_app.test_client()
    for _ in range(5):
        assert _attempt(attacker, "alice", "guess", "203.0.113.5").status_code == 401
    # The next guesses on alice's name wait, whatever address they come from...
    assert _attempt(attacker, "alice", "guess", "203.0.113.5").status_code == 401
    assert _attempt(attacker, "alice", "guess", "203.0.113.6").status_code == 429
    # ...but the proxy's shared address is not what is counted: root, behind the same
    # proxy from another client, logs in.
    assert _attempt(proxied_app.test_client(), "root", ADMIN_PASSWORD, "198.51.100.7").status_code == 302


def test_a_browser_that_logged_in_before_is_not_slowed_by_anothers_guesses(
        proxied_app: Any) -> None:
    alice = proxied_app.test_client()
    assert _attempt(alice, "alice", AGENT_PASSWORD, "198.51.100.7").status_code == 302
    alice.post("/dashboard/logout", data={"csrf_token": csrf_token_of(alice)})
    attacker = proxied_app.test_client()
    for index in range(8):
        _attempt(attacker, "alice", "guess", f"203.0.113.{index}")
    assert _attempt(proxied_app.test_client(), "alice", AGENT_PASSWORD,
                    "198.51.100.8").status_code == 429  # a new browser waits its turn
    assert _attempt(alice, "alice", AGENT_PASSWORD, "198.51.100.7").status_code == 302


def test_each_further_guess_waits_longer_up_to_the_cap_never_a_lockout(
        dashboard_app: Any, clock: Clock) -> None:
    client = dashboard_app.test_client()
    for _ in range(5):
        assert log_in(client, "alice", "guess").status_code == 401
    waits = []
    for _ in range(9):
        assert log_in(client, "alice", "guess").status_code == 401  # the gate was open
        refused = log_in(client, "alice", "guess")
        assert refused.status_code == 429
        assert "Too many attempts. Try again in" in refused.text
        waits.append(int(refused.headers["Retry-After"]))
        clock.now += timedelta(seconds=waits[-1])
    # 1 s after the first extra try, then doubling with every try (refused ones count too),
    # never more than IVR_LOGIN_MAX_DELAY_SECONDS.
    assert waits == [1, 4, 16, 60, 60, 60, 60, 60, 60]
    # After the wait the right password works, and the slate is clean again.
    assert log_in(client).status_code == 302
    assert log_in(dashboard_app.test_client(), "alice", "guess").status_code == 401


def test_guesses_spread_over_names_are_limited_per_address(proxied_app: Any) -> None:
    client = proxied_app.test_client()
    answers = [_attempt(client, f"user{n}", "guess", "203.0.113.9").status_code for n in range(12)]
    assert answers == [401] * 10 + [429] * 2
    # Another address is not affected.
    assert _attempt(client, "root", ADMIN_PASSWORD, "203.0.113.10").status_code == 302


def test_guesses_spread_over_names_and_addresses_meet_the_global_cap(proxied_app: Any) -> None:
    client = proxied_app.test_client()
    answers = [_attempt(client, f"user{n}", "guess", f"203.0.113.{n}").status_code
               for n in range(27)]
    assert answers == [401] * 25 + [429] * 2
    refused = _attempt(client, "alice", AGENT_PASSWORD, "198.51.100.1")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_parallel_guesses_are_all_counted(dashboard_app: Any) -> None:
    barrier = threading.Barrier(40)
    answers: list[int] = []

    def guess() -> None:
        client = dashboard_app.test_client()
        token = csrf_token_of(client)
        barrier.wait()
        response = client.post("/dashboard/login", data={
            "username": "alice", "password": "guess", "csrf_token": token})
        answers.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # 5 free tries and the one the gate lets through: every other guess was refused unchecked.
    assert sorted(answers) == [401] * 6 + [429] * 34


def test_an_overlong_name_is_refused_before_any_database_work(dashboard_app: Any) -> None:
    from tests.test_dashboard_auth import _rows_by_key

    client = dashboard_app.test_client()
    response = log_in(client, "a" * 65, "guess")
    assert response.status_code == 401
    assert "do not match" in response.text
    assert _rows_by_key(dashboard_app) == []  # not even counted
    assert log_in(client, "a" * 10_000, "guess").status_code == 401


def test_the_count_is_shared_by_workers(dashboard_app: Any, db_url: str, tmp_path: Path,
                                        clock: Clock) -> None:
    for _ in range(6):
        log_in(dashboard_app.test_client(), "alice", "guess")
    second_worker = make_app(db_url, tmp_path, clock)
    try:
        refused = log_in(second_worker.test_client())
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
    finally:
        shutdown(second_worker)


def test_an_operator_may_count_in_another_limits_storage(db_url: str, tmp_path: Path,
                                                         clock: Clock) -> None:
    from limits.storage import MemoryStorage

    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_RATE_LIMIT_STORAGE="memory://")
    try:
        assert isinstance(application.extensions["dashboard"].throttle.storage, MemoryStorage)
    finally:
        shutdown(application)
    with pytest.raises(ValueError, match="asynchronous"):
        make_app(db_url, tmp_path, clock, IVR_RATE_LIMIT_STORAGE="async+memory://")


def test_a_limit_that_does_not_parse_names_its_setting() -> None:
    from limits.storage import MemoryStorage

    from ivr.config import env_settings
    from ivr.dashboard.throttle import LoginThrottle

    settings = {**env_settings({}), "IVR_LOGIN_ADDRESS_LIMIT": "fifty a day"}
    with pytest.raises(ValueError, match="IVR_LOGIN_ADDRESS_LIMIT='fifty a day' is not a limit"):
        LoginThrottle(MemoryStorage(), settings, lambda: 0.0)


def test_a_client_that_is_not_the_proxy_cannot_fake_its_address(proxied_app: Any) -> None:
    outside = proxied_app.test_client()
    outside.environ_base["REMOTE_ADDR"] = "203.0.113.50"  # straight at the app, not the proxy
    answers = [_attempt(outside, f"name{index}", "guess", f"198.51.100.{index}").status_code
               for index in range(11)]
    assert answers[:10] == [401] * 10
    assert answers[10] == 429  # ten from its real address, whatever X-Forwarded-For said
