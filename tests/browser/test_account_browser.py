"""One's own account in a real browser: an authenticator set up, then asked for at login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import ADMIN_PASSWORD, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The dashboard on a real server."""
    yield from serve_dashboard(tmp_path, clock)


def _password_step(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_admin_sets_up_an_authenticator_and_logs_in_with_its_code(
        page: Any, server: Server, clock: Clock) -> None:
    _password_step(page, server)
    page.wait_for_url(f"{server.url}/dashboard/inbox")
    page.get_by_role("link", name="root", exact=True).click()
    page.get_by_role("link", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("#totp-uri").get_attribute("href").startswith("otpauth://totp/")
    page.get_by_role("textbox", name="Code").fill(pyotp.TOTP(secret).at(clock()))
    page.get_by_label("Your current password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Turn on").click()
    assert "Your authenticator is set up" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url(f"{server.url}/dashboard/login")

    _password_step(page, server)
    page.wait_for_url(f"{server.url}/dashboard/login/code")
    assert page.goto(f"{server.url}/dashboard/inbox").url.startswith(f"{server.url}/dashboard/login")
    page.goto(f"{server.url}/dashboard/login/code")
    page.get_by_role("textbox", name="Code").fill(pyotp.TOTP(secret).at(clock().timestamp() + 30))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/inbox")
    assert page.get_by_role("link", name="root", exact=True).is_visible()
