"""Agents' phones rung for waiting callers (a ring group) through Twilio's REST API, mocked
at the HTTP level; the agent's whisper and <Dial><Queue>; an unanswered ring moves on."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from twilio.request_validator import RequestValidator

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN, make_app, shutdown
from tests.test_queue import AGENTS, LINE, OPEN, QUEUE_MENU

ACCOUNT = "AC" + "1" * 32
PUBLIC = "https://ivr.example.org"
CALLS_API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json"


def desk_app(db_url: str, tmp_path: Path, clock: Any, menu: str = QUEUE_MENU) -> Any:
    menus = tmp_path / "menus"
    menus.mkdir(exist_ok=True)
    (menus / "desk.yaml").write_text(menu, encoding="utf-8")
    clock.now = OPEN
    return make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus),
                    TWILIO_ACCOUNT_SID=ACCOUNT, IVR_PUBLIC_URL=PUBLIC)


@pytest.fixture
def desk(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    app = desk_app(db_url, tmp_path, clock)
    yield app
    shutdown(app)


def accepts(rsps: responses.RequestsMock, *sids: str) -> None:
    for sid in sids:
        rsps.add(responses.POST, CALLS_API, status=201,
                 json={"sid": sid, "status": "queued", "account_sid": ACCOUNT})


def sent(call: Any) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(call.request.body)


def join(app: Any, caller: str = "+33612345678", lang_key: str = "2") -> Phone:
    phone = Phone(FlaskTransport(app), TOKEN, base_url=PUBLIC, called=LINE, caller=caller)
    phone.dial()
    phone.press(lang_key)
    phone.press("0")
    assert phone.enqueued is not None
    return phone


def twilio_post(app: Any, url: str, params: dict[str, str]) -> Any:
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    parts = urllib.parse.urlsplit(url)
    return app.test_client().post(f"{parts.path}?{parts.query}", data=params,
                                  base_url=f"{parts.scheme}://{parts.netloc}",
                                  headers={"X-Twilio-Signature": signature})


def worker_rings(app: Any) -> int:
    """One round of the worker's outbox: the agents' calls asked by the webhooks."""
    return int(app.extensions["ivr"].sender.send_due())


def agent_status(app: Any, url: str, sid: str, status: str) -> int:
    params = {"AccountSid": ACCOUNT, "CallSid": sid, "CallStatus": status, "From": LINE,
              "To": AGENTS[0], "Direction": "outbound-api", "ApiVersion": "2010-04-01"}
    return int(twilio_post(app, url, params).status_code)


def test_a_waiting_caller_rings_the_first_agent_then_the_next_when_unanswered(desk: Any) -> None:
    with responses.RequestsMock() as rsps:
        accepts(rsps, "CA" + "a" * 32, "CA" + "b" * 32)
        join(desk)
        assert len(rsps.calls) == 0  # the webhook only asked the worker to ring
        assert worker_rings(desk) == 1
        assert len(rsps.calls) == 1  # sequential: one agent for one caller
        first = sent(rsps.calls[0])
        assert first["To"] == [AGENTS[0]] and first["Timeout"] == ["20"]
        assert first["Url"][0].startswith(f"{PUBLIC}/voice/queue/agent?")
        assert first["StatusCallbackEvent"] == ["answered", "completed"]
        status_url = first["StatusCallback"][0]
        assert agent_status(desk, status_url, "CA" + "a" * 32, "no-answer") == 204
        assert len(rsps.calls) == 1
        assert worker_rings(desk) == 1
        assert len(rsps.calls) == 2
        assert sent(rsps.calls[1])["To"] == [AGENTS[1]]  # the next one in turn
    states = desk.extensions["ivr"].queues.agent_states(list(AGENTS))
    assert states[AGENTS[0]]["state"] == "" and states[AGENTS[1]]["state"] == "ringing"


def test_the_agent_hears_the_line_and_path_then_takes_the_caller_from_the_queue(
        desk: Any) -> None:
    with responses.RequestsMock() as rsps:
        accepts(rsps, "CA" + "a" * 32)
        caller = join(desk)
        worker_rings(desk)
        answer_url = sent(rsps.calls[0])["Url"][0]
    params = {"AccountSid": ACCOUNT, "CallSid": "CA" + "a" * 32, "CallStatus": "in-progress",
              "From": LINE, "To": AGENTS[0], "Direction": "outbound-api"}
    body = twilio_post(desk, answer_url, params).get_data(as_text=True)
    # The test menu's languages have no display name: their code is said.
    assert ">Queue test desk. A caller in fr, waiting 0 minutes, came through: main, line.</Say>" \
        in body
    assert "<Dial><Queue " in body and ">desk-line</Queue></Dial>" in body
    connect = urllib.parse.unquote(body.split('url="')[1].split('"')[0]).replace("&amp;", "&")
    said = twilio_post(desk, connect, {"CallSid": caller.call_sid, "AccountSid": ACCOUNT,
                                       "QueueSid": "QU" + "1" * 32, "QueueTime": "12",
                                       "DequeingCallSid": "CA" + "a" * 32})
    assert "Nous vous mettons en relation." in said.get_data(as_text=True)
    # A second agent answering finds nobody left: told so, and hung up.
    again = twilio_post(desk, answer_url, {**params, "CallSid": "CA" + "c" * 32})
    assert "No caller is waiting any more" in again.get_data(as_text=True)


def test_simultaneous_rings_every_available_agent_and_away_agents_are_not_rung(
        db_url: str, tmp_path: Path, clock: Any) -> None:
    menu = QUEUE_MENU.replace("    max_wait: 120", "    max_wait: 120\n    strategy: simultaneous")
    app = desk_app(db_url, tmp_path, clock, menu)
    try:
        with responses.RequestsMock() as rsps:
            accepts(rsps, "CA" + "a" * 32, "CA" + "b" * 32)
            join(app)
            worker_rings(app)
            assert sorted(sent(c)["To"][0] for c in rsps.calls) == sorted(AGENTS)
        app.extensions["ivr"].queues.set_available(AGENTS[0], False, "alice", OPEN)
        for sid in ("CA" + "a" * 32, "CA" + "b" * 32):
            app.extensions["ivr"].queues.agent_call(sid, "completed")
        with responses.RequestsMock() as rsps:
            accepts(rsps, "CA" + "d" * 32)
            join(app, caller="+33612345679")
            worker_rings(app)
            assert [sent(c)["To"][0] for c in rsps.calls] == [AGENTS[1]]
    finally:
        shutdown(app)


def test_a_rest_failure_frees_the_agent_and_the_caller_still_waits(desk: Any) -> None:
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, CALLS_API, status=500, json={"code": 20500, "message": "x"})
        rsps.add(responses.POST, CALLS_API, status=500, json={"code": 20500, "message": "x"})
        phone = join(desk)
        worker_rings(desk)
        assert phone.enqueued is not None and phone.problems == []
    states = desk.extensions["ivr"].queues.agent_states(list(AGENTS))
    assert all(s["state"] == "" for s in states.values())


def test_the_enqueue_webhook_answers_without_twilios_api_and_the_worker_rings(
        desk: Any) -> None:
    """Joining the queue never waits for the REST API: with every request to Twilio
    refused, the caller is enqueued; the worker's next round places the agent's call."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        phone = join(desk)  # no response registered: a REST call here would raise
        assert phone.enqueued is not None and phone.problems == [] and len(rsps.calls) == 0
        states = desk.extensions["ivr"].queues.agent_states(list(AGENTS))
        assert all(s.get("state") != "ringing" for s in states.values())  # nobody rung yet
        accepts(rsps, "CA" + "e" * 32)
        desk.extensions["ivr"].worker.run_once()  # `ivr worker`'s round
        rung = [c for c in rsps.calls if c.request.url.startswith(CALLS_API)]
        assert [sent(c)["To"] for c in rung] == [[AGENTS[0]]]
        desk.extensions["ivr"].worker.run_once()
        assert len([c for c in rsps.calls if c.request.url.startswith(CALLS_API)]) == 1
    states = desk.extensions["ivr"].queues.agent_states(list(AGENTS))
    assert states[AGENTS[0]]["state"] == "ringing"
