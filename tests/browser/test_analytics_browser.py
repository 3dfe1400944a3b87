"""The analytics pages in Chromium: a chart's numbers as a reader gets them, at desk and phone
widths, and wordings not understood accepted at once as phrases, ending on the draft's diff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.browser.test_admin_browser import log_in
from tests.conftest import ADMIN_PASSWORD, Clock
from tests.test_analytics import write_calls

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")
RANGE = "menu=mini&from=2026-11-23&to=2026-11-25"


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The mini menu on a real server, with the nine hand-counted calls written."""
    for running in serve_dashboard(tmp_path, clock):
        write_calls(running.app.extensions["ivr"].store)
        yield running


# Each chart's bars (label and value, as drawn) and the table under it, as read in the page.
READ = """(id) => {
  const figure = document.getElementById(id).closest("figure");
  const bars = [...figure.querySelectorAll("svg [data-value]")].map(
    (g) => [g.dataset.label, Number(g.dataset.value)]);
  const rows = [...figure.querySelectorAll("table tbody tr")].map(
    (tr) => [...tr.children].map((c) => c.textContent.trim()));
  const svg = figure.querySelector("svg").getBoundingClientRect();
  return {bars, rows, width: svg.width, label: figure.querySelector("svg").getAttribute("aria-label"),
          fits: svg.right <= document.documentElement.clientWidth + 0.5};
}"""


def test_overview_charts_read_the_same_numbers_as_their_tables(page: Any, server: Server) -> None:
    log_in(page, server, "root", ADMIN_PASSWORD)
    page.goto(f"{server.url}/dashboard/analytics/?{RANGE}")
    days = page.evaluate(READ, "days-title")
    assert days["bars"] == [["11-23", 5], ["11-24", 3], ["11-25", 1]]
    assert [row[:2] for row in days["rows"]] == [["2026-11-23", "5"], ["2026-11-24", "3"],
                                                 ["2026-11-25", "1"]]
    assert days["label"] == "Calls per day" and days["fits"]
    outcomes = page.evaluate(READ, "outcomes-title")
    assert dict(outcomes["bars"]) == {"contained": 2, "transferred, answered": 1,
                                      "transferred, not answered": 1, "voicemail": 1,
                                      "callback": 1, "abandoned": 3}
    # The table a screen reader reads: the same numbers, by name.
    assert page.get_by_role("table", name="What became of the calls").get_by_role(
        "row", name="abandoned 3").count() == 1
    assert page.locator('[data-figure="calls"]').inner_text() == "9"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    narrow = page.evaluate(READ, "days-title")
    assert narrow["fits"] and narrow["width"] < days["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
    assert overflow <= 1


def test_wordings_not_understood_become_phrases_in_one_draft(page: Any, server: Server) -> None:
    log_in(page, server, "root", ADMIN_PASSWORD)
    page.goto(f"{server.url}/dashboard/analytics/not-understood?{RANGE}")
    group = page.locator("[data-group]").filter(has_text="where is my stuff").first
    # Suggested destinations by label, the likeliest first; never a node id nor plumbing.
    suggested = group.get_by_role("list", name="Suggested destinations").locator("li")
    assert 1 <= suggested.count() <= 3
    chooser = group.get_by_label("as a phrase (EN) of")
    offered = chooser.locator("option").all_inner_texts()
    assert sorted(offered) == ["a person", "opening hours", "refunds", "returns",
                               "starting a return"]
    assert chooser.input_value() == suggested.first.get_attribute("data-target")
    # "Tick all" ticks every wording; the admin corrects one destination and sends them all.
    boxes = page.get_by_role("checkbox", name="Accept")
    assert boxes.count() == page.locator("[data-group]").count() >= 2
    page.get_by_role("button", name="Tick all").click()
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    chooser.select_option(label="returns")
    other = page.locator("[data-group]").filter(has_text="blah blah").first
    other.get_by_label("as a phrase (EN) of").select_option(label="opening hours")
    page.get_by_role("button", name="Add the ticked wordings to a draft").click()
    page.wait_for_url(f"{server.url}/dashboard/admin/menus/mini.yaml/diff/draft")
    added = page.locator(".diff__add").all_inner_texts()
    assert "+    phrases: {en: [where is my stuff]}" in added
    assert "+    phrases: {en: [blah blah]}" in added
    status = page.get_by_role("status").inner_text()
    assert "wordings added to the draft of mini.yaml" in status
    # The live menu is unchanged until someone publishes the draft.
    live = server.app.extensions["ivr"].versions.live("mini.yaml").text
    assert "where is my stuff" not in live
