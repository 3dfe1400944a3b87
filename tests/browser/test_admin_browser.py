"""The admins' menu pages in a real browser: edit, see the error at its line, publish, call, roll back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")
OLD_HOURS = "We are open Monday to Friday, nine to five."
NEW_HOURS = "We are open every day, eight to eight."


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The dashboard on a real server, published menus reloaded at once."""
    yield from serve_dashboard(tmp_path, clock, IVR_MENU_CHECK_SECONDS="0")


@pytest.fixture
def tab(page: Any) -> Any:
    """A fresh browser tab."""
    return page


def log_in(page: Any, server: Server, username: str, password: str) -> None:
    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/inbox")


def call_for_hours(page: Any, server: Server) -> str:
    """Place a simulated call on the live mini menu, choose English then hours; what is heard."""
    page.goto(f"{server.url}/dashboard/admin/simulator/")
    page.get_by_label("Mute").check()
    page.get_by_label("Call", exact=True).select_option("live:+15005550001")
    page.get_by_role("button", name="Call", exact=True).click()
    page.locator("[data-node]", has_text="welcome").wait_for()
    keypad = page.get_by_role("group", name="Keypad")
    keypad.get_by_role("button", name="1", exact=True).click()
    page.locator("[data-node]", has_text="main").wait_for()
    keypad.get_by_role("button", name="1", exact=True).click()
    page.locator("[data-node]", has_text="hours_info").wait_for()
    heard = page.locator("[data-heard] li[data-say]").last.inner_text()
    assert "<Say" in page.locator("[data-twiml]").text_content()
    page.get_by_role("button", name="Hang up").click()
    page.locator("[data-state]", has_text="The call has ended.").wait_for()
    return str(heard)


def test_an_admin_edits_fixes_publishes_calls_and_rolls_back(tab: Any, server: Server) -> None:
    page = tab
    log_in(page, server, "root", ADMIN_PASSWORD)
    page.get_by_role("link", name="Menus").click()
    page.get_by_role("link", name="mini.yaml", exact=True).click()
    assert page.locator('[data-node="hours_info"]').is_visible()
    page.get_by_role("link", name="Editor and versions").click()
    page.wait_for_url(re.compile(r".*/mini\.yaml/edit$"))

    editor = page.get_by_label("Menu YAML")
    original = editor.input_value()
    edited = original.replace(OLD_HOURS, NEW_HOURS)
    broken = edited.replace("go: returns", "go: nowhere")
    bad_line = next(i for i, line in enumerate(broken.splitlines(), 1) if "go: nowhere" in line)
    editor.fill(broken)
    # Checked as you type: the error is listed with its line and marked in the gutter.
    problem = page.locator("[data-problem-list] button", has_text=f"line {bad_line}")
    problem.wait_for()
    assert "nowhere" in page.locator("[data-problem-list] li.problem--error").first.inner_text()
    marked = page.locator("[data-gutter] .is-error")
    assert marked.count() == 1 and marked.inner_text() == str(bad_line)
    assert page.locator(f'[data-marks] [data-mark-line="{bad_line}"]').count() == 1
    problem.click()  # jumps to the line
    start = page.evaluate("document.getElementById('menu-text').selectionStart")
    assert broken[:start].count("\n") == bad_line - 1

    page.get_by_label("Note for the history").fill("try a broken one")
    page.get_by_role("button", name="Publish").click()
    page.locator("[data-result]", has_text="Not published").wait_for()
    assert server.app.extensions["ivr"].versions.live("mini.yaml").number == 1

    editor.fill(edited)  # fixed
    page.locator("[data-status]", has_text="No errors").wait_for()
    assert page.locator("[data-gutter] .is-error").count() == 0
    page.get_by_label("Note for the history").fill("opening hours changed")
    page.get_by_role("button", name="Publish").click()
    page.locator('[data-version="2"]', has_text="opening hours changed").wait_for()
    assert page.locator('[data-version="2"] .pill--live').is_visible()

    assert call_for_hours(page, server) == NEW_HOURS

    page.goto(f"{server.url}/dashboard/admin/menus/mini.yaml/edit")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll back to 1").click()
    page.locator('[data-version="3"] .pill--live').wait_for()
    assert "Rolled back: version 3 is live." in page.content()
    assert call_for_hours(page, server) == OLD_HOURS


def test_an_agent_cannot_reach_the_menu_pages(tab: Any, server: Server) -> None:
    log_in(tab, server, "alice", AGENT_PASSWORD)
    assert tab.get_by_role("link", name="Menus").count() == 0
    assert tab.get_by_role("link", name="Simulator").count() == 0
    for path in ("/dashboard/admin/menus/", "/dashboard/admin/menus/mini.yaml",
                 "/dashboard/admin/menus/mini.yaml/edit", "/dashboard/admin/prompts/mini.yaml",
                 "/dashboard/admin/simulator/"):
        response = tab.goto(f"{server.url}{path}")
        assert response.status == 403, path
    tab.goto(f"{server.url}/dashboard/inbox")
    status = tab.evaluate("""async () => (await fetch('/dashboard/admin/simulator/action', {
        method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRF-Token': document.querySelector('input[name=csrf_token]').value},
        body: JSON.stringify({action: 'call', target: 'live:+15005550001'})})).status""")
    assert status == 403  # a valid session and token, but not an admin
