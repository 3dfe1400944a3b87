"""The menu pages' layout in a real browser at 1280 px: the Graphviz diagram, the prompts table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.menu.loader import load_menu
from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.browser.test_admin_browser import log_in
from tests.conftest import ADMIN_PASSWORD, ROOT, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")


@pytest.fixture
def demo(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The demo menus (shop and library) on a real server."""
    yield from serve_dashboard(tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"))


# Each edge label's box and text, and each node's, measured in the page.
MEASURE = """() => {
  const svg = document.querySelector("[data-diagram] svg");
  const frame = svg.getBoundingClientRect();
  const inside = (r) => r.left >= frame.left - 0.5 && r.right <= frame.right + 0.5 &&
                        r.top >= frame.top - 0.5 && r.bottom <= frame.bottom + 0.5;
  const labels = [...svg.querySelectorAll("g.edge text")].map((t) => ({
    text: t.textContent, inside: inside(t.getBoundingClientRect()),
    fits: t.getComputedTextLength() <= t.getBBox().width + 0.5}));
  const nodes = [...svg.querySelectorAll("g.node")].map((g) => ({
    id: g.dataset.diagramNode, inside: inside(g.getBoundingClientRect())}));
  const overlaps = [];
  const boxes = [...svg.querySelectorAll("g.node")].map((g) => [g.dataset.diagramNode,
                                                                 g.getBoundingClientRect()]);
  svg.querySelectorAll("g.edge text").forEach((t) => {
    const r = t.getBoundingClientRect();
    boxes.forEach(([id, b]) => {
      if (r.left < b.right - 1 && r.right > b.left + 1 && r.top < b.bottom - 1 &&
          r.bottom > b.top + 1) { overlaps.push(t.textContent + " on " + id); }
    });
  });
  return {labels, nodes, overlaps};
}"""


def test_the_diagram_draws_every_node_and_every_label_whole(page: Any, demo: Server) -> None:
    log_in(page, demo, "root", ADMIN_PASSWORD)
    menu = load_menu(ROOT / "menus" / "shop.yaml")
    page.goto(f"{demo.url}/dashboard/admin/menus/shop.yaml")
    page.locator('[data-diagram][data-drawn="yes"]').wait_for(timeout=60_000)
    found = page.evaluate(MEASURE)
    assert sorted(n["id"] for n in found["nodes"]) == sorted(menu.nodes)
    assert all(n["inside"] for n in found["nodes"]), found["nodes"]
    texts = [label["text"] for label in found["labels"]]
    # The label the hand-made layout cut to "after 3 m": complete, inside the picture.
    assert "key 1: en, key 2: fr, key 3: ro, after 3 misses (en)" in texts
    assert "key 0, after 3 misses (menu default)" in texts or \
        any(t.startswith("after 3 misses") for t in texts)
    assert all(label["inside"] and label["fits"] for label in found["labels"]), found["labels"]
    assert not any("…" in t for t in texts)
    assert found["overlaps"] == []  # no label drawn over a box
    # A box is a link to its node in the tree.
    page.locator('[data-diagram-node="order_status"] a').click()
    assert page.url.endswith("#node-order_status")


def test_the_prompts_table_fits_1280_pixels(page: Any, demo: Server) -> None:
    log_in(page, demo, "root", ADMIN_PASSWORD)
    assert page.viewport_size["width"] == 1280
    page.goto(f"{demo.url}/dashboard/admin/prompts/shop.yaml")
    headers = page.locator("table.prompts-table thead th")
    assert headers.count() == 4  # the node, then English, French, Romanian
    width = page.evaluate("document.documentElement.clientWidth")
    for box in (headers.nth(i).bounding_box() for i in range(headers.count())):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    # Nothing scrolls sideways: not the page, not the table's frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("(() => { const w = document.querySelector('.table-wrap');"
                         " return w.scrollWidth <= w.clientWidth; })()")
    cells = page.locator("td.prompt-cell")
    for i in range(min(cells.count(), 12)):
        box = cells.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, box


def test_leaving_the_editor_with_unsaved_text_asks_first(browser: Any, demo: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    log_in(page, demo, "root", ADMIN_PASSWORD)
    page.goto(f"{demo.url}/dashboard/admin/menus/shop.yaml/edit")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.locator("[data-text]").click()  # unchanged text: leaving asks nothing
    page.close(run_before_unload=True)
    page.wait_for_event("close")  # closed at once, without a question
    assert asked == []
    page = context.new_page()
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.goto(f"{demo.url}/dashboard/admin/menus/shop.yaml/edit")
    page.locator("[data-text]").press("End")
    page.locator("[data-text]").type("\n# not saved yet")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)  # still open: the question was dismissed
    assert asked == ["beforeunload"]  # dismissed: the page stays open with the text
    assert not page.is_closed()
    page.get_by_role("button", name="Save draft").click()
    page.locator("[data-result]", has_text="Draft saved.").wait_for()
    page.close(run_before_unload=True)
    page.wait_for_event("close")
    assert asked == ["beforeunload"] and page.is_closed()
    context.close()
