"""The live view: calls in progress, the queue and agents' states; agents' availability;
an admin ending a stuck call through Twilio's REST API (mocked at the HTTP level)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from twilio.request_validator import RequestValidator

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    TOKEN,
    csrf_token_of,
    empty_dashboard_tables,
    log_in,
    make_app,
    shutdown,
)
from tests.test_queue import AGENTS, LINE, OPEN, QUEUE_MENU

ACCOUNT = "AC" + "3" * 32


@pytest.fixture
def live_app(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    empty_dashboard_tables(db_url)
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    clock.now = OPEN
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus), TWILIO_ACCOUNT_SID=ACCOUNT)
    users = app.extensions["dashboard"].users
    alice = users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    users.set_phone(alice, AGENTS[0])
    users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield app
    shutdown(app)


def callers(app: Any, clock: Any) -> tuple[Phone, Phone]:
    """One caller waiting in the queue (French), one at the main menu (Romanian)."""
    waiting = Phone(FlaskTransport(app), TOKEN, called=LINE, caller="+33612345678")
    waiting.dial()
    waiting.press("2")
    with responses.RequestsMock() as rsps:  # the agent's phone is rung
        rsps.add(responses.POST, f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json",
                 status=201, json={"sid": "CA" + "f" * 32, "status": "queued"})
        waiting.press("0")
        app.extensions["ivr"].sender.send_due()  # the worker rings the agent
    clock.now = OPEN + timedelta(seconds=75)
    browsing = Phone(FlaskTransport(app), TOKEN, called=LINE, caller="+40712345678")
    browsing.dial()
    browsing.press("3")
    clock.now = OPEN + timedelta(seconds=100)
    return waiting, browsing


def test_the_live_figures_show_calls_queue_and_agents(live_app: Any, clock: Any) -> None:
    waiting, browsing = callers(live_app, clock)
    client = live_app.test_client()
    log_in(client)
    data = client.get("/dashboard/live.json").get_json()
    calls = {c["call_sid"]: c for c in data["calls"]}
    assert calls[waiting.call_sid]["node"] == "line" and calls[waiting.call_sid]["lang"] == "fr"
    assert calls[waiting.call_sid]["seconds"] == 100
    assert calls[browsing.call_sid]["node"] == "main" and calls[browsing.call_sid]["lang"] == "ro"
    assert calls[browsing.call_sid]["line"] == "Queue test desk"
    [queued] = data["queue"]
    assert queued["call_sid"] == waiting.call_sid and queued["seconds"] == 100
    assert queued["caller"] != "+33612345678" and queued["caller"].endswith("78")  # masked
    assert [(a["number"], a["state"]) for a in data["agents"]] == [(AGENTS[0], "ringing"),
                                                                   (AGENTS[1], "free")]
    # A call whose status came back completed leaves the view.
    waiting.queue_ends("hangup", 100)
    url = "http://localhost/voice/status"
    for phone in (waiting, browsing):  # Twilio reports both calls completed
        params = {**phone.base_params(), "CallStatus": "completed", "SequenceNumber": "3",
                  "CallDuration": "100"}
        signature = RequestValidator(TOKEN).compute_signature(url, params)
        assert live_app.test_client().post("/voice/status", data=params, headers={
            "X-Twilio-Signature": signature}).status_code == 204
    live_app.extensions["ivr"].recorder.flush()
    data = client.get("/dashboard/live.json").get_json()
    assert [c["call_sid"] for c in data["calls"]] == [] and data["queue"] == []
    page = client.get("/dashboard/live").get_data(as_text=True)
    assert "Calls in progress" in page and "live.js" in page


def test_an_agent_sets_their_own_availability_and_nobody_elses(live_app: Any) -> None:
    client = live_app.test_client()
    log_in(client)
    form = {"number": AGENTS[0], "available": "0", "csrf_token": csrf_token_of(client)}
    assert client.post("/dashboard/agents/availability", data=form).status_code == 302
    states = {a["number"]: a for a in client.get("/dashboard/live.json").get_json()["agents"]}
    assert states[AGENTS[0]]["state"] == "away" and states[AGENTS[0]]["changed_by"] == "alice"
    other = {**form, "number": AGENTS[1]}
    assert client.post("/dashboard/agents/availability", data=other).status_code == 403
    unknown = {**form, "number": "+15550000000"}
    assert client.post("/dashboard/agents/availability", data=unknown).status_code == 404
    assert client.post("/dashboard/agents/availability",
                       data={**form, "csrf_token": "forged"}).status_code == 400
    admin = live_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    back = {"number": AGENTS[1], "available": "0", "csrf_token": csrf_token_of(admin)}
    assert admin.post("/dashboard/agents/availability", data=back).status_code == 302
    assert live_app.extensions["ivr"].queues.agents_available("desk", "line", AGENTS) == 0


def test_an_admin_ends_a_stuck_call_through_twilios_rest_api(live_app: Any, clock: Any) -> None:
    waiting, _ = callers(live_app, clock)
    agent = live_app.test_client()
    log_in(agent)
    url = f"/dashboard/live/calls/{waiting.call_sid}/end"
    assert agent.post(url, data={"csrf_token": csrf_token_of(agent)}).status_code == 403
    admin = live_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    api = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls/{waiting.call_sid}.json"
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, api, status=200, json={"sid": waiting.call_sid,
                                                        "status": "completed"})
        response = admin.post(url, data={"csrf_token": csrf_token_of(admin)})
        assert response.status_code == 302
        assert urllib.parse.parse_qs(rsps.calls[0].request.body) == {"Status": ["completed"]}
    assert admin.post("/dashboard/live/calls/not-a-sid/end",
                      data={"csrf_token": csrf_token_of(admin)}).status_code == 404


def test_an_admin_announces_from_the_dashboard_and_clears_it(live_app: Any) -> None:
    admin = live_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    token = csrf_token_of(admin)
    form = {"menu": "desk", "lang": "ro", "text": "Site-ul nu funcționează azi.",
            "until": "2026-11-23 18:00", "csrf_token": token}
    assert admin.post("/dashboard/announcements", data=form).status_code == 302
    page = admin.get("/dashboard/live").get_data(as_text=True)
    assert "Site-ul nu funcționează azi." in page and "set by root" in page
    heard = Phone(FlaskTransport(live_app), TOKEN, called=LINE).dial()
    assert (heard[0].text, heard[0].locale) == ("Site-ul nu funcționează azi.", "ro-RO")
    assert admin.post("/dashboard/announcements", data={**form, "lang": "de"}).status_code == 400
    assert admin.post("/dashboard/announcements",
                      data={**form, "until": "2020-01-01 10:00"}).status_code == 400
    agent = live_app.test_client()
    log_in(agent)
    assert agent.post("/dashboard/announcements",
                      data={**form, "csrf_token": csrf_token_of(agent)}).status_code == 403
    clear = {"menu": "desk", "lang": "ro", "csrf_token": token}
    assert admin.post("/dashboard/announcements/clear", data=clear).status_code == 302
    assert Phone(FlaskTransport(live_app), TOKEN, called=LINE).dial()[0].text == "English 1."
