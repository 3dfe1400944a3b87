"""The phone simulator in a real browser: a six-digit order number, a message left at a voicemail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.lookup.demo import seed
from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.browser.test_admin_browser import log_in
from tests.conftest import ADMIN_PASSWORD, OPEN_TIME, ROOT, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")


@pytest.fixture
def shop(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The demo menus (shop and library) on a real server, with the demo orders seeded."""
    for running in serve_dashboard(tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus")):
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'browser.sqlite3'}")
        seed(engine, OPEN_TIME.date())
        engine.dispose()
        yield running
        running.app.extensions["ivr"].lookups.close()


@pytest.fixture
def desks(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The test menus (mini, vm, lookup) on a real server."""
    yield from serve_dashboard(tmp_path, clock)


def keypad(page: Any, keys: str) -> None:
    pad = page.get_by_role("group", name="Keypad")
    for key in keys:
        pad.get_by_role("button", name=key, exact=True).click()


def at_node(page: Any, node: str) -> None:
    page.locator(f'[data-node]:text-is("{node}")').wait_for()


def test_a_six_digit_order_number_is_sent_whole_and_its_status_heard(page: Any,
                                                                      shop: Server) -> None:
    log_in(page, shop, "root", ADMIN_PASSWORD)
    page.goto(f"{shop.url}/dashboard/admin/simulator/")
    page.get_by_label("Mute").check()
    # The default menu (the shop) is preselected, not the library that sorts first.
    assert page.get_by_label("Call", exact=True).input_value() == "live:+15005550006"
    page.get_by_role("button", name="Call", exact=True).click()
    at_node(page, "welcome")
    keypad(page, "1")
    at_node(page, "main")
    keypad(page, "1")
    at_node(page, "orders")
    keypad(page, "4")
    at_node(page, "order_status")
    assert page.locator("[data-gather-rule]").inner_text().startswith("Keys: 6 keys")
    keypad(page, "10000")  # five keys: nothing is sent yet
    assert page.locator("[data-typed]").inner_text() == "10000"
    assert page.locator("[data-heard] li", has_text="You entered").count() == 0
    keypad(page, "1")  # the sixth: Twilio answers with all six
    page.locator("[data-heard] li", has_text="You entered").wait_for()
    assert "You pressed 100001" in page.locator("[data-heard]").inner_text()
    keypad(page, "1")  # "if that is right, press 1"
    answer = page.locator("[data-heard] li[data-say]", has_text="Order 1 0 0 0 0 1")
    answer.wait_for()
    assert answer.inner_text().startswith("Order 1 0 0 0 0 1 is on its way.")
    # The request's line reaches the TwiML pane when its answer does, maybe after the
    # spoken line: waited for, not read at once.
    page.locator("[data-twiml]", has_text="Digits=100001").wait_for(state="attached",
                                                                   timeout=60_000)


def test_keys_are_sent_when_the_timeout_passes_after_the_last_one(page: Any,
                                                                  shop: Server) -> None:
    log_in(page, shop, "root", ADMIN_PASSWORD)
    page.goto(f"{shop.url}/dashboard/admin/simulator/")
    page.get_by_label("Mute").check()
    page.get_by_label("Call", exact=True).select_option("live:+15005550007")  # the library
    page.get_by_role("button", name="Call", exact=True).click()
    at_node(page, "welcome")
    keypad(page, "1")
    at_node(page, "main")
    keypad(page, "3")
    at_node(page, "loans")
    keypad(page, "4")
    at_node(page, "my_loans")
    rule = page.locator("[data-gather-rule]").inner_text()
    assert rule == "Keys: 8 keys, sent 6 s after the last key."
    keypad(page, "2000567")  # one key short of a card number: the caller stops typing
    sent = page.locator("[data-heard] li", has_text="You pressed 2000567")
    sent.wait_for(timeout=60_000)
    page.locator("[data-twiml]", has_text="Digits=2000567").wait_for(state="attached",
                                                                    timeout=60_000)
    assert page.locator("[data-typed]").inner_text() == ""


def test_a_message_left_in_the_simulator_reaches_the_inbox(page: Any, desks: Server) -> None:
    log_in(page, desks, "root", ADMIN_PASSWORD)
    page.goto(f"{desks.url}/dashboard/admin/simulator/")
    page.get_by_label("Mute").check()
    page.get_by_label("Call", exact=True).select_option("live:+15005550002")
    page.get_by_role("button", name="Call", exact=True).click()
    at_node(page, "main")
    assert page.locator("[data-record]").is_hidden()
    keypad(page, "1")
    page.locator("[data-state]", has_text="Recording a message.").wait_for()
    page.get_by_label("Message").fill("Hi, it is Ana, my parcel never came.")
    assert "transcribe" in page.locator("[data-record-transcribe]").inner_text()
    page.get_by_role("button", name="Record, then hang up").click()
    page.locator("[data-state]", has_text="The call has ended.").wait_for()
    page.goto(f"{desks.url}/dashboard/inbox")
    row = page.locator("tr.vm", has_text="my parcel never came")
    row.wait_for()
    row.get_by_role("link").click()
    assert page.locator("[data-transcript]").inner_text() == "Hi, it is Ana, my parcel never came."
    assert "has not been downloaded" in page.locator("[data-recording-state]").inner_text()
    assert page.locator("audio").count() == 0


def test_call_at_tries_the_open_branch_on_a_sunday_evening(page: Any, desks: Server,
                                                            clock: Clock) -> None:
    clock.now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # Sunday: the desk is closed
    log_in(page, desks, "root", ADMIN_PASSWORD)
    page.goto(f"{desks.url}/dashboard/admin/simulator/")
    page.get_by_label("Mute").check()
    target = page.get_by_label("Call", exact=True)
    assert target.input_value() == "live:+15005550001"  # mini, the default menu
    assert "Mini test desk: live, calling +15005550001" in target.inner_text()
    assert page.locator("[data-zone-name]").inner_text() == "Europe/Bucharest"
    page.get_by_label("Call at").fill("2026-11-30 10:00")  # Monday morning there
    page.get_by_role("button", name="Call", exact=True).click()
    at_node(page, "welcome")
    keypad(page, "1")
    at_node(page, "main")
    keypad(page, "0")
    page.locator("[data-state]", has_text="Transferring to a person").wait_for()
    page.get_by_role("button", name="Nobody answers").click()
    page.locator("[data-state]", has_text="The call has ended.").wait_for()
