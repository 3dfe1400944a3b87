"""The dashboard in a real browser: headless Chromium against the app on a real server thread."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, Clock, add_voicemail, wav_bytes

# Set IVR_SCREENSHOTS to a folder to keep a picture of the inbox and of a voicemail page.
SCREENSHOTS = os.environ.get("IVR_SCREENSHOTS")
pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The dashboard on a real server, its inbox polling every second."""
    yield from serve_dashboard(tmp_path, clock, IVR_DASHBOARD_POLL_SECONDS="1")


def _log_in(page: Any, server: Server, username: str = "alice",
            password: str = AGENT_PASSWORD) -> None:
    page.goto(f"{server.url}/dashboard/")
    assert page.url.startswith(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/inbox")


def _voicemail_row(app: Any, voicemail_id: int) -> dict[str, Any]:
    found: dict[str, Any] = app.extensions["dashboard"].voicemails.get(voicemail_id)
    return found


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def test_an_agent_hears_notes_and_closes_a_voicemail_that_arrives_while_watching(
        page: Any, server: Server) -> None:
    app = server.app
    add_voicemail(app, from_number="+40721000001", transcript="I was charged twice this month.",
                  lang="ro", audio=wav_bytes(1.0))
    _log_in(page, server)
    page.get_by_role("link", name="+40721000001").wait_for()
    assert page.title().startswith("(1) ")
    page.evaluate("window.stillTheSamePage = true")

    fresh = add_voicemail(app, call_sid="CA-fresh", from_number="+40722333444",
                          transcript="Please call me about my refund.",
                          audio=wav_bytes(1.5))
    row = page.locator(f'tr[data-id="{fresh}"]')
    row.wait_for()  # appears by itself: the inbox polls for it
    assert page.evaluate("window.stillTheSamePage") is True  # no reload happened
    assert "Please call me about my refund." in row.inner_text()
    page.wait_for_function("document.title.startsWith('(2) ')")
    assert page.locator("[data-live-message]").inner_text() == "1 new voicemail arrived."
    _shot(page, "inbox.png")

    row.get_by_role("link", name="+40722333444").click()
    page.wait_for_url(f"{server.url}/dashboard/voicemails/{fresh}")
    page.wait_for_function("document.querySelector('audio').readyState >= 1")
    duration = page.evaluate("document.querySelector('audio').duration")
    assert 1.4 < duration < 1.6
    # Calling back goes through the app (the agent's phone first), not a tel: link.
    assert page.get_by_role("button", name="Call back +40722333444").is_visible()
    assert page.get_by_role("link", name="History").get_attribute("href") == \
        "/dashboard/callers/+40722333444"

    page.get_by_label("Add a note").fill("Refund approved, called back.")
    page.get_by_role("button", name="Add note").click()
    page.locator(".note__body", has_text="Refund approved, called back.").wait_for()
    notes = app.extensions["dashboard"].users.notes(fresh)
    assert [(n["username"], n["body"]) for n in notes] == [("alice", "Refund approved, called back.")]
    _shot(page, "voicemail.png")

    page.get_by_role("button", name="Mark done").click()
    page.locator("[data-status]", has_text="Done").wait_for()
    assert _voicemail_row(app, fresh)["status"] == "done"


def test_logging_in_and_moving_around_with_the_keyboard(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/dashboard/login")
    page.wait_for_function("document.activeElement.id === 'username'")  # autofocus
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(AGENT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/dashboard/inbox")
    page.wait_for_load_state("load")  # keys pressed before then would go to the old page
    page.keyboard.press("Tab")  # the skip link comes first, and shows where the focus is
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_an_agent_cannot_reach_the_admin_pages(page: Any, server: Server) -> None:
    _log_in(page, server)
    assert page.get_by_role("link", name="Admin").count() == 0
    for path in ("/dashboard/admin/users", "/dashboard/admin/deliveries"):
        response = page.goto(f"{server.url}{path}")
        assert response.status == 403
        assert page.get_by_role("heading", name="Forbidden").is_visible()


def test_an_admin_sees_the_users(page: Any, server: Server) -> None:
    _log_in(page, server, "root", ADMIN_PASSWORD)
    page.get_by_role("link", name="Admin").click()
    page.wait_for_url(f"{server.url}/dashboard/admin/users")
    assert page.get_by_role("cell", name="alice", exact=True).is_visible()


def test_a_post_without_the_csrf_token_fails(page: Any, server: Server) -> None:
    vm = add_voicemail(server.app)
    _log_in(page, server)
    page.goto(f"{server.url}/dashboard/voicemails/{vm}")
    status = page.evaluate("""async (url) => {
        const body = new URLSearchParams({status: "done"});
        return (await fetch(url, {method: "POST", body})).status;
    }""", f"{server.url}/dashboard/voicemails/{vm}/status")
    assert status == 400
    # The page's own form, with its token removed, is refused as well.
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Mark done").click()
    assert navigation.value.status == 400
    assert _voicemail_row(server.app, vm)["status"] == "new"
    engine = server.app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM voicemail_notes")).scalar() == 0
