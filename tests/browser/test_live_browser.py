"""The live view in a real browser: simulated calls in progress appear, the queue fills,
an agent sets themselves away, and the page updates by itself as a new call comes in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from ivr.simulator import FlaskTransport, Phone
from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import ADMIN_PASSWORD, TOKEN, Clock
from tests.test_queue import AGENTS, LINE, OPEN, QUEUE_MENU

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    clock.now = OPEN
    yield from serve_dashboard(tmp_path, clock, IVR_MENUS_DIR=str(menus),
                               IVR_DASHBOARD_POLL_SECONDS="2")


def caller(app: Any, lang_key: str, *keys: str, number: str) -> Phone:
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE, caller=number)
    phone.dial()
    for key in (lang_key, *keys):
        phone.press(key)
    return phone


def test_the_live_view_shows_simulated_calls_and_updates_by_itself(
        page: Any, server: Server, clock: Clock) -> None:
    app = server.app
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # no Twilio account
        waiting = caller(app, "2", "0", number="+33612345678")
    clock.now = OPEN + timedelta(seconds=65)
    browsing = caller(app, "3", number="+40712345678")
    clock.now = OPEN + timedelta(seconds=125)

    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Live").click()
    page.wait_for_url(f"{server.url}/dashboard/live")

    calls = page.locator("table[data-live='calls'] tbody tr")
    assert calls.count() == 2
    first = page.locator(f"tr[data-call='{waiting.call_sid}']").first
    assert "line" in first.inner_text() and "fr" in first.inner_text()
    assert "2:05" in first.inner_text()
    second = page.locator(f"table[data-live='calls'] tr[data-call='{browsing.call_sid}']")
    assert "main" in second.inner_text() and "ro" in second.inner_text()
    queued = page.locator("table[data-live='queue'] tbody tr")
    assert queued.count() == 1 and "desk-line" in queued.inner_text()
    assert page.locator("[data-live-count='queue']").inner_text() == "1"

    # An admin sets an agent away: the table says so after the form.
    agent = page.locator(f"tr[data-agent='{AGENTS[1]}']")
    assert agent.locator("[data-state]").inner_text() == "free"
    agent.get_by_role("button", name="Set away").click()
    page.wait_for_url(f"{server.url}/dashboard/live")
    assert page.locator(f"tr[data-agent='{AGENTS[1]}'] [data-state]").inner_text() == "away"

    # A new caller joins the queue: the page shows them without being reloaded.
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        newcomer = caller(app, "1", "0", number="+15551239999")
    page.locator(f"table[data-live='queue'] tr[data-call='{newcomer.call_sid}']").wait_for()
    assert page.locator("[data-live-count='queue']").inner_text() == "2"
    assert page.locator("table[data-live='calls'] tbody tr").count() == 3
    # Every call, old or new, keeps an End call button for the admin.
    for phone in (waiting, browsing, newcomer):
        row = page.locator(f"table[data-live='calls'] tr[data-call='{phone.call_sid}']")
        assert row.get_by_role("button", name="End call").count() == 1
    action = page.locator(f"tr[data-call='{newcomer.call_sid}'] form").get_attribute("action")
    assert action == f"/dashboard/live/calls/{newcomer.call_sid}/end"


def test_an_admin_approves_an_announcement_recorded_by_phone(
        page: Any, server: Server, clock: Clock) -> None:
    from ivr.announcements import announcements
    from ivr.recorded_announcements import keep_draft

    engine = server.app.extensions["ivr"].store.engine
    sid = "RE" + "3" * 32
    keep_draft(engine, sid, "desk", "fr", "root", clock(),
               url=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}")
    with engine.begin() as conn:  # as the worker leaves it once the audio is fetched
        conn.execute(announcements.update().where(announcements.c.recording_sid == sid)
                     .values(audio=f"announcements/desk/{sid}.mp3"))
    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Live").click()
    drafts = page.locator("[data-drafts] li")
    assert drafts.count() == 1 and "(fr)" in drafts.inner_text()
    assert drafts.locator("audio").get_attribute("src") == \
        f"/prompts/announcements/desk/{sid}.mp3"
    drafts.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"{server.url}/dashboard/live?*")
    assert "approved" in page.get_by_role("status").first.inner_text()
    assert page.locator("[data-drafts]").count() == 0
    live = page.locator("[data-announcements] li")
    assert live.count() == 1 and "recorded by phone" in live.inner_text()
    assert live.get_by_role("button", name="Clear").count() == 1
