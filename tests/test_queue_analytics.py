"""Queue analytics: time in queue, abandoned in queue, service level, callbacks chosen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, empty_dashboard_tables, log_in, make_app, shutdown
from tests.test_queue import OPEN, QUEUE_MENU, queued


@pytest.fixture
def desk(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    empty_dashboard_tables(db_url)
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    clock.now = OPEN
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    app.extensions["dashboard"].users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield app
    shutdown(app)


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found is not None, name
    return found.group(1).strip()


def test_the_overview_counts_what_became_of_queued_callers(desk: Any) -> None:
    quick = queued(desk, caller="+33612345601")
    quick.queue_ends("bridged", waited=30)
    slow = queued(desk, caller="+33612345602")
    slow.queue_ends("bridged", waited=90)
    gone = queued(desk, caller="+33612345603")
    gone.queue_ends("hangup", waited=50)
    leaver = queued(desk, caller="+33612345604")
    leaver.wait(position=1, waited=20)
    leaver.press("1")  # for a callback
    timed_out = queued(desk, caller="+33612345605")
    timed_out.wait(position=1, waited=120)  # max_wait: sent on
    queued(desk, caller="+33612345606")  # still waiting
    client = desk.test_client()
    log_in(client, "root", ADMIN_PASSWORD)
    page = client.get("/dashboard/analytics/?from=2026-11-23&to=2026-11-23").get_data(as_text=True)
    assert figure(page, "queued") == "6"
    assert figure(page, "queue_answered") == "2"
    assert figure(page, "service_level").startswith("20 %")  # 1 of the 5 whose wait ended
    assert figure(page, "queue_abandoned") == "1"
    assert figure(page, "queue_left") == "1"
    assert figure(page, "queue_sent_on") == "1"
    assert figure(page, "queue_average") == "1:02"  # (30 + 90 + 50 + 20 + 120) / 5 = 62 s
    assert figure(page, "queue_longest") == "2:00"
    wider = client.get("/dashboard/analytics/?from=2026-11-23&to=2026-11-23&within=90")
    assert figure(wider.get_data(as_text=True), "service_level").startswith("40 %")
