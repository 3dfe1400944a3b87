"""At a 1280 px desk, nothing in the inbox, the simulator and the analytics is cut: every
placeholder and chosen value fits its box, tables and charts stay inside their cards, chart
labels are big enough to read, and placeholders do not look like values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.browser.test_admin_browser import log_in
from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, Clock, add_voicemail
from tests.test_analytics import write_calls

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")
RANGE = "menu=mini&from=2026-11-23&to=2026-11-25"

# Everything that does not fit, in words: a box too narrow for its text, a table or chart
# wider than its card, a chart label under 9 px, a placeholder coloured like a value.
PROBLEMS = """() => {
  const out = [];
  const main = document.querySelector("main") || document.body;
  const ctx = document.createElement("canvas").getContext("2d");
  const width = (el, text) => {
    const s = getComputedStyle(el);
    ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    return ctx.measureText(text).width;
  };
  const shown = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
  for (const el of main.querySelectorAll("input, select, textarea")) {
    if (!shown(el) || ["hidden", "checkbox", "radio", "submit"].includes(el.type)) continue;
    const s = getComputedStyle(el);
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
      - (el.tagName === "SELECT" ? 20 : 0) - (el.type === "date" ? 24 : 0);
    const texts = [el.placeholder || ""];
    if (el.tagName === "SELECT") texts.push(el.selectedOptions[0] ? el.selectedOptions[0].text : "");
    else if (el.type !== "date") texts.push(el.value || "");
    for (const text of texts) {
      const need = width(el, text);
      if (text && need > room + 1) {
        const name = el.name || el.id || el.tagName;
        out.push(`${name}: "${text}" needs ${Math.ceil(need)} px, has ${Math.floor(room)}`);
      }
    }
    if (el.placeholder && getComputedStyle(el, "::placeholder").color === s.color) {
      out.push(`${el.name || el.id}: its placeholder looks like a value`);
    }
  }
  // Inside a card, a box of its own that scrolls (a wide diagram) is not cut: it scrolls.
  const scrolls = (el, card) => {
    for (let p = el.parentElement; p && p !== card; p = p.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const card of main.querySelectorAll(".card, figure")) {
    if (!shown(card)) continue;
    const box = card.getBoundingClientRect();
    for (const el of card.querySelectorAll("table, svg, input, select")) {
      const r = el.getBoundingClientRect();
      if (r.width && shown(el) && r.right > box.right + 0.5 && !scrolls(el, card)) {
        const name = el.getAttribute("aria-label")
          || (el.caption ? el.caption.textContent.trim() : el.tagName);
        out.push(`${name} overflows its card by ${Math.ceil(r.right - box.right)} px`);
      }
    }
  }
  for (const label of main.querySelectorAll("svg text")) {
    const r = label.getBoundingClientRect();
    if (r.height && r.height < 9) {
      out.push(`chart label "${label.textContent}" is ${r.height.toFixed(1)} px tall`);
    }
  }
  return out;
}"""


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The mini menu with the hand-counted calls of the analytics tests and two voicemails."""
    for running in serve_dashboard(tmp_path, clock):
        write_calls(running.app.extensions["ivr"].store)
        add_voicemail(running.app, transcript="Hello, my parcel never arrived.")
        add_voicemail(running.app, from_number="+40721234567", lang="ro",
                      transcript="Bună ziua, aș vrea să prelungesc un împrumut.")
        yield running


@pytest.mark.parametrize("path", [
    "/dashboard/inbox",
    "/dashboard/admin/simulator/",
    f"/dashboard/analytics/?{RANGE}",
    "/dashboard/analytics/?from=2026-11-23&to=2026-11-25",  # every menu: the "By menu" table
    f"/dashboard/analytics/dropoff?{RANGE}",
    f"/dashboard/analytics/destinations?{RANGE}",
])
def test_nothing_is_cut_or_overflows_at_a_desk(page: Any, server: Server, path: str) -> None:
    assert page.viewport_size["width"] == 1280
    log_in(page, server, "root", ADMIN_PASSWORD)
    page.goto(server.url + path)
    assert page.evaluate(PROBLEMS) == []


# Each row's time as the agent sees it, and the instant it stands for, top to bottom.
TIMES = """(selector) => Array.from(document.querySelectorAll(selector)).map(
  (el) => [el.textContent.trim(), el.getAttribute("datetime")])"""


def test_times_in_agents_lists_are_in_one_zone_and_in_order(page: Any, server: Server) -> None:
    from datetime import timedelta

    from tests.conftest import OPEN_TIME

    # Messages on two lines whose schedules keep two zones (mini: Bucharest, callback:
    # Paris), arriving between the fixture's two, minutes apart.
    for minutes, menu in [(5, "callback"), (10, "mini"), (15, "callback")]:
        add_voicemail(server.app, menu=menu, created_at=OPEN_TIME + timedelta(minutes=minutes),
                      from_number="+40721234567")
    log_in(page, server, "alice", AGENT_PASSWORD)
    page.goto(server.url + "/dashboard/inbox")
    rows = page.evaluate(TIMES, "tr.vm time")
    assert len(rows) == 5
    shown = [text for text, _ in rows]
    zones = {text.rsplit(" ", 1)[1] for text in shown}
    assert zones == {"EET"}, shown  # the viewer's zone (the default line's), whatever the line
    instants = [stamp for _, stamp in rows]
    assert instants == sorted(instants, reverse=True), rows  # newest first
    assert shown == sorted(shown, reverse=True)  # and what is read agrees with the order

    # The caller's history: each list (calls, voicemails) in the same zone, newest first.
    page.goto(server.url + "/dashboard/callers/+40721234567")
    everything = page.evaluate(TIMES, "main time[datetime]")
    assert {text.rsplit(" ", 1)[1] for text, _ in everything} == {"EET"}, everything
    for section in ["calls-title", "vm-title"]:
        listed = page.evaluate(TIMES, f"section[aria-labelledby={section}] time")
        assert listed, f"the caller's history lists something under {section}"
        assert [s for _, s in listed] == sorted((s for _, s in listed), reverse=True), listed
