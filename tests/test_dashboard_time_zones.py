"""One time zone per viewer: chosen on the account page, used by the inbox and every list."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, OPEN_TIME, add_voicemail, csrf_token_of, log_in

# The test lines: "mini" (the default menu) keeps Europe/Bucharest, "callback" Europe/Paris.
ROW_TIME = re.compile(r'<tr class="vm [^"]*" data-id="(\d+)".*?<time datetime="[^"]*">(.*?)</time>',
                      re.S)
CALLER = "+40721000001"


@pytest.fixture
def agent(dashboard_app: Any) -> Any:
    """A test client logged in as the agent alice."""
    client = dashboard_app.test_client()
    assert log_in(client).status_code == 302
    return client


def _set_zone(client: Any, zone: str, other: str = "") -> Any:
    return client.post("/dashboard/account/time-zone", data={
        "time_zone": zone, "other": other, "csrf_token": csrf_token_of(client)})


def _inbox_times(client: Any) -> list[tuple[int, str]]:
    """(voicemail id, time as shown) for each inbox row, top to bottom."""
    page = client.get("/dashboard/inbox").get_data(as_text=True)
    return [(int(key), shown) for key, shown in ROW_TIME.findall(page)]


def _shown(cell: str) -> str:
    """The time a cell shows, without the tooltip markup around it."""
    return re.sub(r"<[^>]+>", "", cell)


def _lines_voicemails(app: Any) -> list[int]:
    """Three messages as they arrive, on two lines in two zones, minutes apart."""
    return [add_voicemail(app, menu="mini", created_at=OPEN_TIME, from_number=CALLER),
            add_voicemail(app, menu="callback", created_at=OPEN_TIME + timedelta(minutes=20),
                          from_number=CALLER),
            add_voicemail(app, menu="mini", created_at=OPEN_TIME + timedelta(minutes=40),
                          from_number=CALLER)]


def test_a_zone_set_on_the_account_page_is_the_inbox_zone_in_order(dashboard_app: Any,
                                                                      agent: Any) -> None:
    oldest, middle, newest = _lines_voicemails(dashboard_app)
    response = _set_zone(agent, "America/New_York")
    assert response.status_code == 200
    assert "Times are shown in America/New_York." in response.get_data(as_text=True)
    stored = dashboard_app.extensions["dashboard"].users.user_by_name("alice")
    assert stored["time_zone"] == "America/New_York"

    rows = _inbox_times(agent)
    assert [key for key, _ in rows] == [newest, middle, oldest]
    shown = [_shown(cell) for _, cell in rows]
    # 08:00 UTC on 23 November is 03:00 in New York (EST), whatever the line's own zone.
    assert shown == ["2026-11-23 03:40 EST", "2026-11-23 03:20 EST", "2026-11-23 03:00 EST"]
    assert shown == sorted(shown, reverse=True)
    # Each line's own clock stays in the tooltip.
    cells = dict(rows)
    assert 'title="2026-11-23 09:20 CET on the line&#39;s clock"' in cells[middle]
    assert 'title="2026-11-23 10:40 EET on the line&#39;s clock"' in cells[newest]

    # The voicemail page and the caller's history read the same zone.
    page = agent.get(f"/dashboard/voicemails/{middle}").get_data(as_text=True)
    assert "2026-11-23 03:20 EST" in page
    history = agent.get(f"/dashboard/callers/{CALLER}").get_data(as_text=True)
    assert "CET" not in _shown(history) and "EET" not in _shown(history)
    assert [history.index(t) for t in shown] == sorted(history.index(t) for t in shown)
    account = agent.get("/dashboard/account/").get_data(as_text=True)
    assert '<option value="America/New_York" selected>' in account


def test_a_zone_written_in_is_kept_and_another_user_keeps_the_default(dashboard_app: Any,
                                                                         agent: Any) -> None:
    add_voicemail(dashboard_app, menu="callback", created_at=OPEN_TIME)
    response = _set_zone(agent, "", other="  Asia/Kathmandu ")
    assert response.status_code == 200
    assert 'value="Asia/Kathmandu" selected' in response.get_data(as_text=True)
    # 08:00 UTC is 13:45 in Kathmandu (+0545), a zone not in the list.
    assert [_shown(c) for _, c in _inbox_times(agent)] == ["2026-11-23 13:45 +0545"]

    admin = dashboard_app.test_client()
    assert log_in(admin, "root", ADMIN_PASSWORD).status_code == 302
    # No zone chosen: the first schedule of the default menu (mini, Europe/Bucharest).
    assert [_shown(c) for _, c in _inbox_times(admin)] == ["2026-11-23 10:00 EET"]
    assert "The lines' default (Europe/Bucharest)" in admin.get(
        "/dashboard/account/").get_data(as_text=True)

    # Choosing the default again forgets the zone.
    response = _set_zone(agent, "")
    assert "default zone, Europe/Bucharest" in response.get_data(as_text=True)
    assert dashboard_app.extensions["dashboard"].users.user_by_name("alice")["time_zone"] is None
    assert [_shown(c) for _, c in _inbox_times(agent)] == ["2026-11-23 10:00 EET"]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "Europe", "EET " * 30,
                                  "europe/paris"])
def test_an_invalid_zone_is_refused_with_a_clear_message(dashboard_app: Any, agent: Any,
                                                         zone: str) -> None:
    add_voicemail(dashboard_app, menu="mini", created_at=OPEN_TIME)
    response = _set_zone(agent, "", other=zone)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="zone-error"' in page
    assert "is not a time zone" in page and "Europe/Paris" in page
    assert dashboard_app.extensions["dashboard"].users.user_by_name("alice")["time_zone"] is None
    assert [_shown(c) for _, c in _inbox_times(agent)] == ["2026-11-23 10:00 EET"]


def test_a_forged_zone_form_without_csrf_changes_nothing(dashboard_app: Any, agent: Any) -> None:
    response = agent.post("/dashboard/account/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert response.status_code in (400, 403)
    assert dashboard_app.extensions["dashboard"].users.user_by_name("alice")["time_zone"] is None


def test_the_inbox_days_are_the_viewers_days(dashboard_app: Any, agent: Any) -> None:
    # 03:30 UTC on the 23rd: still the 22nd in New York, already the 23rd in Bucharest.
    early = add_voicemail(dashboard_app, menu="mini",
                          created_at=datetime.fromisoformat("2026-11-23T03:30:00+00:00"))
    listed = agent.get("/dashboard/inbox?date_from=2026-11-22&date_to=2026-11-22").get_data(as_text=True)
    assert f'data-id="{early}"' not in listed
    _set_zone(agent, "America/New_York")
    listed = agent.get("/dashboard/inbox?date_from=2026-11-22&date_to=2026-11-22").get_data(as_text=True)
    assert f'data-id="{early}"' in listed


def test_analytics_read_the_viewers_zone(dashboard_app: Any, agent: Any) -> None:
    head = agent.get("/dashboard/analytics/?menu=callback").get_data(as_text=True)
    assert ", Europe/Bucharest · " in head  # no zone chosen: the default menu's, for every line
    _set_zone(agent, "Asia/Tokyo")
    head = agent.get("/dashboard/analytics/?menu=callback").get_data(as_text=True)
    assert ", Asia/Tokyo · " in head and "Europe/Paris" not in head
    # 08:00 UTC is 17:00 in Tokyo: "today" is already the 23rd there, as in UTC.
    assert "2026-11-23, Asia/Tokyo" in head
