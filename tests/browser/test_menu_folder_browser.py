"""In a real browser: publishing the live text makes nothing; a diverged file is chosen by a button."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import ADMIN_PASSWORD, ROOT, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")
MINI = ROOT / "tests" / "menus" / "mini.yaml"
OLD_HOURS = "We are open Monday to Friday, nine to five."
FILE_HOURS = "We are open from the menus folder."
DASHBOARD_HOURS = "We are open from the dashboard."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    menus = tmp_path / "menus"
    menus.mkdir()
    shutil.copy(MINI, menus / "mini.yaml")
    return menus


@pytest.fixture
def server(tmp_path: Path, clock: Clock, folder: Path) -> Iterator[Server]:
    yield from serve_dashboard(tmp_path, clock, IVR_MENU_CHECK_SECONDS="0",
                               IVR_MENUS_DIR=str(folder))


def test_the_live_text_is_not_published_again_and_a_diverged_file_is_adopted(
        page: Any, server: Server, folder: Path) -> None:
    versions = server.app.extensions["ivr"].versions
    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/inbox")

    page.goto(f"{server.url}/dashboard/admin/menus/mini.yaml/edit")
    page.get_by_role("button", name="Publish").click()
    page.locator("[data-result]", has_text="Nothing to publish").wait_for()
    assert [v.number for v in versions.history("mini.yaml")] == [1]

    assert versions.publish("mini.yaml", MINI.read_text().replace(OLD_HOURS, DASHBOARD_HOURS),
                            "ana").ok
    target = folder / "mini.yaml"
    before = target.stat().st_mtime_ns
    target.write_text(MINI.read_text().replace(OLD_HOURS, FILE_HOURS))
    os.utime(target, ns=(before + 10**9, before + 10**9))
    server.app.extensions["ivr"].catalog.reload()

    page.goto(f"{server.url}/dashboard/admin/menus/")
    notice = page.locator('[data-diverged="mini.yaml"]')
    assert "differs from live version 2" in notice.inner_text()
    assert page.locator('[data-folder-state="diverged"]').count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    notice.get_by_role("button", name=re.compile("Make the folder's file live")).click()
    page.locator(".alert--ok", has_text="is live as version 3").wait_for()
    assert page.locator('[data-diverged="mini.yaml"]').count() == 0
    assert page.locator('[data-folder-state="same"]').count() == 1
    assert FILE_HOURS in versions.live("mini.yaml").text
