"""Agents calling callers back: Twilio's REST API (mocked at the HTTP level), both legs' TwiML,
status callbacks applied once in any order, the queue under concurrent agents."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from twilio.request_validator import RequestValidator

from tests.conftest import (
    ADMIN_PASSWORD,
    TOKEN,
    Clock,
    add_voicemail,
    csrf_token_of,
    log_in,
    make_app,
    shutdown,
)

ACCOUNT = "AC" + "1" * 32
PUBLIC = "https://ivr.example.org"
CALLS_API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
AGENT_PHONE = "+33611111111"
CALLER = "+33612345678"
LINE = "+15005550030"


@pytest.fixture
def desk_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app with a Twilio account, a public URL, and two agents (alice, bob) and an admin."""
    app = make_app(db_url, tmp_path, clock, TWILIO_ACCOUNT_SID=ACCOUNT, IVR_PUBLIC_URL=PUBLIC)
    users = app.extensions["dashboard"].users
    for name, role in (("alice", "agent"), ("bob", "agent"), ("root", "admin")):
        user_id = users.add_user(name, ADMIN_PASSWORD, role, clock())
        if name != "root":
            users.set_phone(user_id, AGENT_PHONE if name == "alice" else "+33622222222")
    yield app
    shutdown(app)


def agent(app: Any, name: str = "alice") -> Any:
    client = app.test_client()
    response = log_in(client, name, ADMIN_PASSWORD)
    assert response.status_code == 302
    return client


def a_request(app: Any, clock: Clock, **values: Any) -> int:
    """A callback request as the callback node leaves it (French caller, reason-less)."""
    call_sid = values.pop("call_sid", "CA" + "e" * 32)
    fields = {"account_sid": ACCOUNT, "from_number": CALLER, "to_number": LINE, "number": CALLER,
              "number_source": "caller_id", "menu": "callback", "node": "call_me", "lang": "fr",
              "journey": [{"node": "main", "event": "choice", "input": "1", "outcome": "go:call_me",
                           "at": str(clock())}],
              "schedule": "office", "due_from": clock() - timedelta(hours=1), **values}
    callback_id, new = app.extensions["answer"].callbacks.keep(
        call_sid, clock(), **fields)
    assert new
    return int(callback_id)


def signed(client: Any, url: str, params: dict[str, str], signature: str | None = None) -> Any:
    """POST as Twilio does: the form signed with the auth token over the public URL."""
    sig = signature if signature is not None else RequestValidator(TOKEN).compute_signature(url, params)
    path = urlsplit(url).path
    return client.post(path, data=params, headers={"X-Twilio-Signature": sig})


def leg_params(call_sid: str, status: str, **extra: str) -> dict[str, str]:
    """A call status callback's form, as Twilio sends it."""
    return {"AccountSid": ACCOUNT, "CallSid": call_sid, "CallStatus": status, "From": LINE,
            "To": CALLER, "Direction": "outbound-dial", "ApiVersion": "2010-04-01",
            "Timestamp": "Mon, 23 Nov 2026 08:00:05 +0000", "CallbackSource": "call-progress-events",
            "SequenceNumber": "0", **extra}


def twilio_accepts(rsps: responses.RequestsMock, sid: str = "CA" + "a" * 32) -> None:
    rsps.add(responses.POST, CALLS_API, status=201,
             json={"sid": sid, "status": "queued", "account_sid": ACCOUNT, "to": AGENT_PHONE})


def click_call_back(client: Any, callback_id: int) -> Any:
    return client.post(f"/dashboard/callbacks/{callback_id}/call",
                       data={"csrf_token": csrf_token_of(client)})


def test_call_back_places_the_call_through_twilios_rest_api_exactly(desk_app: Any,
                                                                   clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    with responses.RequestsMock() as rsps:
        twilio_accepts(rsps)
        response = click_call_back(agent(desk_app), callback_id)
        assert response.status_code == 302
        [sent] = rsps.calls
    assert sent.request.method == "POST" and sent.request.url == CALLS_API
    [attempt] = desk_app.extensions["answer"].calls.for_item("callback", callback_id)
    root = f"{PUBLIC}/answer/calls/{attempt['id']}"
    assert parse_qs(sent.request.body) == {
        "To": [AGENT_PHONE], "From": [LINE], "Url": [f"{root}/agent"], "Method": ["POST"],
        "StatusCallback": [f"{root}/status"], "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "Timeout": ["30"]}
    assert sent.request.headers["Authorization"].startswith("Basic ")
    assert attempt["agent_call_sid"] == "CA" + "a" * 32 and attempt["outcome"] == "ringing_agent"
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "calling" and item["claimed_by"] is not None


def test_the_bridge_twiml_is_crawled_for_both_legs_and_the_answer_closes_the_callback(
        desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    client = agent(desk_app)
    with responses.RequestsMock() as rsps:
        twilio_accepts(rsps)
        click_call_back(client, callback_id)
    [attempt] = desk_app.extensions["answer"].calls.for_item("callback", callback_id)
    root = f"{PUBLIC}/answer/calls/{attempt['id']}"
    twilio = desk_app.test_client()
    # The agent answers: their leg hears the whisper, then the caller is dialled.
    agent_leg = signed(twilio, f"{root}/agent", leg_params("CA" + "a" * 32, "in-progress",
                                                           Direction="outbound-api", To=AGENT_PHONE))
    assert agent_leg.status_code == 200 and agent_leg.mimetype == "text/xml"
    xml = ET.fromstring(agent_leg.data)
    say, dial = list(xml)
    assert say.tag == "Say" and say.get("language") == "en-US"
    assert say.text == ("Callback for 0 6, 1 2, 3 4, 5 6, 7 8, in French. Connecting you now.")
    assert dial.tag == "Dial" and dial.get("callerId") == LINE
    assert dial.get("answerOnBridge") == "true" and dial.get("timeout") == "30"
    assert dial.get("action") == f"{root}/dialed"
    [number] = list(dial)
    assert number.tag == "Number" and number.text == CALLER
    assert number.get("url") == f"{root}/caller"
    assert number.get("statusCallback") == f"{root}/caller-status"
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"
    # The caller answers: their leg hears who is calling back, in French, then the bridge.
    caller_sid = "CA" + "c" * 32
    caller_leg = signed(twilio, number.get("url") or "", leg_params(
        caller_sid, "in-progress", ParentCallSid="CA" + "a" * 32))
    [greeting] = list(ET.fromstring(caller_leg.data))
    assert greeting.tag == "Say" and greeting.get("language") == "fr-FR"
    assert greeting.get("voice") == "Polly.Lea"
    assert greeting.text.startswith("Bonjour, Callback test desk vous rappelle")
    assert signed(twilio, f"{root}/caller-status",
                  leg_params(caller_sid, "in-progress")).status_code == 204
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "done" and item["outcome"] == "answered"
    alice = desk_app.extensions["dashboard"].users.user_by_name("alice")
    assert item["closed_by"] == alice["id"]
    assert item["closed_at"].replace(tzinfo=clock().tzinfo) == clock()
    # The <Dial> ends when they hang up: the agent's leg just ends.
    after = signed(twilio, f"{root}/dialed", leg_params("CA" + "a" * 32, "completed",
                                                        DialCallStatus="completed",
                                                        DialCallSid=caller_sid))
    assert [e.tag for e in ET.fromstring(after.data)] == ["Hangup"]


def _attempt(app: Any, clock: Clock, callback_id: int) -> dict[str, Any]:
    client = agent(app)
    with responses.RequestsMock() as rsps:
        twilio_accepts(rsps)
        click_call_back(client, callback_id)
    [attempt] = app.extensions["answer"].calls.for_item("callback", callback_id)
    return dict(attempt)


def test_status_callbacks_apply_once_even_retried_and_out_of_order(desk_app: Any,
                                                                  clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    attempt = _attempt(desk_app, clock, callback_id)
    root = f"{PUBLIC}/answer/calls/{attempt['id']}"
    twilio = desk_app.test_client()
    caller_sid = "CA" + "c" * 32
    answered_at = clock()
    # "completed" arrives before "answered" (in-progress): the call still counts as answered.
    for status in ("completed", "completed", "in-progress", "ringing"):
        assert signed(twilio, f"{root}/caller-status",
                      leg_params(caller_sid, status, CallDuration="64")).status_code == 204
        clock.now += timedelta(seconds=5)
    attempt = desk_app.extensions["answer"].calls.get(attempt["id"])
    assert attempt["caller_status"] == "completed" and attempt["outcome"] == "answered"
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "done" and item["attempts"] == 1
    assert item["closed_at"].replace(tzinfo=answered_at.tzinfo) == answered_at  # the first one
    # The agent's leg completing afterwards changes nothing either.
    assert signed(twilio, f"{root}/status", leg_params("CA" + "a" * 32, "completed",
                                                       To=AGENT_PHONE)).status_code == 204
    assert desk_app.extensions["answer"].callbacks.get(callback_id) == item


def test_unsigned_or_forged_status_callbacks_are_refused_and_change_nothing(
        desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    attempt = _attempt(desk_app, clock, callback_id)
    url = f"{PUBLIC}/answer/calls/{attempt['id']}/caller-status"
    twilio = desk_app.test_client()
    params = leg_params("CA" + "c" * 32, "completed")
    assert twilio.post(urlsplit(url).path, data=params).status_code == 403
    forged = RequestValidator("x" * 32).compute_signature(url, params)
    assert signed(twilio, url, params, signature=forged).status_code == 403
    other = RequestValidator(TOKEN).compute_signature(url.replace("caller-status", "status"),
                                                      params)
    assert signed(twilio, url, params, signature=other).status_code == 403  # another URL's
    assert desk_app.extensions["answer"].callbacks.get(callback_id)["status"] == "calling"
    assert signed(twilio, f"{PUBLIC}/answer/calls/{attempt['id']}/agent", params,
                  signature="bad").status_code == 403


def test_a_busy_agent_phone_puts_the_callback_back_in_the_queue_with_the_attempt_logged(
        desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    attempt = _attempt(desk_app, clock, callback_id)
    root = f"{PUBLIC}/answer/calls/{attempt['id']}"
    twilio = desk_app.test_client()
    for status in ("initiated", "ringing", "busy", "ringing"):
        signed(twilio, f"{root}/status", leg_params("CA" + "a" * 32, status, To=AGENT_PHONE))
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "queued" and item["claimed_by"] is None
    assert item["attempts"] == 1 and item["outcome"] == "agent_busy"
    assert desk_app.extensions["answer"].calls.get(attempt["id"])["outcome"] == "agent_busy"
    page = agent(desk_app, "bob").get(f"/dashboard/callbacks/{callback_id}").get_data(as_text=True)
    assert "Your phone was busy" in page and 'data-outcome="agent_busy"' in page


def test_a_caller_who_does_not_answer_leaves_the_callback_queued(desk_app: Any,
                                                                  clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    attempt = _attempt(desk_app, clock, callback_id)
    root = f"{PUBLIC}/answer/calls/{attempt['id']}"
    twilio = desk_app.test_client()
    signed(twilio, f"{root}/status", leg_params("CA" + "a" * 32, "in-progress", To=AGENT_PHONE))
    after = signed(twilio, f"{root}/dialed", leg_params("CA" + "a" * 32, "completed",
                                                        DialCallStatus="no-answer"))
    [say, hangup] = list(ET.fromstring(after.data))
    assert say.text == "The caller did not answer." and hangup.tag == "Hangup"
    signed(twilio, f"{root}/caller-status", leg_params("CA" + "c" * 32, "no-answer"))
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "queued" and item["outcome"] == "no_answer" and item["attempts"] == 1


def test_a_rest_failure_never_loses_the_request_and_is_retried_with_backoff(
        desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    sender = desk_app.extensions["ivr"].sender
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, CALLS_API, status=500,
                 json={"code": 20500, "message": "Internal Server Error", "status": 500})
        response = click_call_back(agent(desk_app), callback_id)
        assert response.status_code == 302  # the agent sees the attempt logged, not an error
        assert len(rsps.calls) == 1
    [attempt] = desk_app.extensions["answer"].calls.for_item("callback", callback_id)
    assert attempt["outcome"] == "retrying" and "500" in attempt["error"]
    assert attempt["next_try"].replace(tzinfo=clock().tzinfo) == clock() + timedelta(seconds=15)
    assert desk_app.extensions["answer"].callbacks.queue("now", clock())[0]["id"] == callback_id
    with responses.RequestsMock() as rsps:
        assert sender.send_due() == 0  # not before its time
        clock.now += timedelta(seconds=15)
        twilio_accepts(rsps)
        assert sender.send_due() == 1
        assert len(rsps.calls) == 1
    attempt = desk_app.extensions["answer"].calls.get(attempt["id"])
    assert attempt["outcome"] == "ringing_agent" and attempt["error"] is None
    assert attempt["tries"] == 2


def test_after_the_last_rest_failure_the_callback_is_queued_again(desk_app: Any,
                                                                   clock: Clock) -> None:
    from ivr.answer.calls import MAX_TRIES

    callback_id = a_request(desk_app, clock)
    sender = desk_app.extensions["ivr"].sender
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, CALLS_API, status=401,
                 json={"code": 20003, "message": "Authenticate", "status": 401})
        click_call_back(agent(desk_app), callback_id)
        for _ in range(MAX_TRIES):
            clock.now += timedelta(minutes=10)
            sender.send_due()
        assert len(rsps.calls) == MAX_TRIES
    [attempt] = desk_app.extensions["answer"].calls.for_item("callback", callback_id)
    assert attempt["outcome"] == "not_placed" and "Authenticate" in attempt["error"]
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "queued" and item["outcome"] == "not_placed"
    assert item["attempts"] == 1


def test_two_agents_cannot_take_the_same_callback(desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    alice, bob = agent(desk_app, "alice"), agent(desk_app, "bob")
    with responses.RequestsMock() as rsps:
        twilio_accepts(rsps)
        assert click_call_back(alice, callback_id).status_code == 302
        refused = click_call_back(bob, callback_id)
        assert len(rsps.calls) == 1  # bob's phone never rang
    assert refused.status_code == 409
    assert "Another agent is already calling this caller." in refused.get_data(as_text=True)


def test_concurrent_claims_have_exactly_one_winner(desk_app: Any, clock: Clock) -> None:
    store = desk_app.extensions["answer"].callbacks
    for round_ in range(10):
        callback_id = a_request(desk_app, clock, call_sid=f"CA{round_:032x}")
        barrier = threading.Barrier(4)
        won: list[int] = []

        def take(user_id: int, callback_id: int = callback_id,
                 barrier: threading.Barrier = barrier, won: list[int] = won) -> None:
            barrier.wait()
            if store.claim(callback_id, user_id, clock()):
                won.append(user_id)

        threads = [threading.Thread(target=take, args=(user_id,)) for user_id in (1, 2, 3, 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert len(won) == 1, won
        assert store.get(callback_id)["claimed_by"] == won[0]


def test_an_agent_without_a_phone_is_told_to_add_one(desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    root = agent(desk_app, "root")
    refused = click_call_back(root, callback_id)
    assert refused.status_code == 400
    assert ('Add your phone number on <a href="/dashboard/account/">your account page</a> first'
            in refused.get_data(as_text=True))  # a link to where the phone is added
    assert desk_app.extensions["answer"].callbacks.get(callback_id)["status"] == "queued"


def test_the_account_page_keeps_the_agents_phone_and_refuses_premium_rate(desk_app: Any) -> None:
    client = agent(desk_app, "root")
    token = csrf_token_of(client)
    refused = client.post("/dashboard/account/phone", data={"phone": "+33 8 99 12 34 56",
                                                            "current": ADMIN_PASSWORD,
                                                            "csrf_token": token})
    assert refused.status_code == 400
    assert "That number cannot be used: a premium-rate number." in refused.get_data(as_text=True)
    refused = client.post("/dashboard/account/phone", data={"phone": "12", "current": ADMIN_PASSWORD,
                                                            "csrf_token": token})
    assert refused.status_code == 400 and "cannot be used: not a phone number" in \
        refused.get_data(as_text=True)
    saved = client.post("/dashboard/account/phone", data={"phone": "+40 721 234 567",
                                                          "current": ADMIN_PASSWORD,
                                                          "csrf_token": token})
    assert saved.status_code == 200 and "Calls back will ring +40721234567." in saved.get_data(
        as_text=True)
    users = desk_app.extensions["dashboard"].users
    assert users.user_by_name("root")["phone"] == "+40721234567"


def test_calling_back_from_a_voicemail_closes_it_with_who_and_when(desk_app: Any,
                                                                  clock: Clock) -> None:
    voicemail_id = add_voicemail(desk_app, from_number=CALLER, to_number=LINE, menu="callback",
                                 lang="en", transcript="My parcel is late, can you check it?")
    client = agent(desk_app)
    with responses.RequestsMock() as rsps:
        twilio_accepts(rsps)
        response = client.post(f"/dashboard/voicemails/{voicemail_id}/call",
                               data={"csrf_token": csrf_token_of(client)})
        assert response.status_code == 302 and "call_problem" not in response.location
        assert parse_qs(rsps.calls[0].request.body)["To"] == [AGENT_PHONE]
    [attempt] = desk_app.extensions["answer"].calls.for_item("voicemail", voicemail_id)
    assert "about My parcel is late, can you check it?" in attempt["whisper"]
    signed(desk_app.test_client(), f"{PUBLIC}/answer/calls/{attempt['id']}/caller-status",
           leg_params("CA" + "c" * 32, "in-progress"))
    vm = desk_app.extensions["ivr"].voicemails.get(voicemail_id)
    alice = desk_app.extensions["dashboard"].users.user_by_name("alice")
    assert vm["status"] == "done" and vm["closed_by"] == alice["id"]
    page = client.get(f"/dashboard/voicemails/{voicemail_id}").get_data(as_text=True)
    assert "Answered by alice" in page and "data-history" in page


def test_a_callers_history_is_one_click_away(desk_app: Any, clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    voicemail_id = add_voicemail(desk_app, from_number=CALLER, menu="callback")
    add_voicemail(desk_app, from_number="+40721234567", menu="callback")
    desk_app.extensions["ivr"].store.write_batch(
        [{"call_sid": "CA" + "f" * 32, "account_sid": ACCOUNT, "from_number": CALLER,
          "to_number": LINE, "menu": "callback", "started_at": clock()}], [], [])
    client = agent(desk_app)
    page = client.get(f"/dashboard/callbacks/{callback_id}").get_data(as_text=True)
    assert f'href="/dashboard/callers/{CALLER.replace("+", "%2B")}"' in page or \
        f'href="/dashboard/callers/{CALLER}"' in page
    history = client.get(f"/dashboard/callers/{CALLER}")
    assert history.status_code == 200
    text = history.get_data(as_text=True)
    assert "Calls (1)" in text and "Voicemails (1)" in text and "Callback requests (1)" in text
    assert f"/dashboard/voicemails/{voicemail_id}" in text
    assert f"/dashboard/callbacks/{callback_id}" in text
    assert client.get("/dashboard/callers/not-a-number").status_code == 404


def test_the_queue_lists_due_now_and_later_oldest_first(desk_app: Any, clock: Clock) -> None:
    late = a_request(desk_app, clock, call_sid="CA" + "1" * 32, due_from=clock() + timedelta(hours=20))
    older = a_request(desk_app, clock, call_sid="CA" + "2" * 32, due_from=clock() - timedelta(hours=5))
    newer = a_request(desk_app, clock, call_sid="CA" + "3" * 32, due_from=clock() - timedelta(hours=1))
    client = agent(desk_app)
    now_tab = client.get("/dashboard/callbacks").get_data(as_text=True)
    assert now_tab.index(f'data-id="{older}"') < now_tab.index(f'data-id="{newer}"')
    assert f'data-id="{late}"' not in now_tab
    assert f'data-id="{late}"' in client.get("/dashboard/callbacks?tab=later").get_data(as_text=True)
    assert 'data-due-callbacks' in now_tab and 'aria-label="2 due now"' in now_tab
    assert client.get("/dashboard/callbacks?tab=nope").status_code == 400


def test_a_voicemail_is_not_called_back_twice_at_once(desk_app: Any, clock: Clock) -> None:
    voicemail_id = add_voicemail(desk_app, from_number=CALLER, to_number=LINE, menu="callback")
    client = agent(desk_app)
    with responses.RequestsMock() as rsps:
        twilio_accepts(rsps)
        client.post(f"/dashboard/voicemails/{voicemail_id}/call",
                    data={"csrf_token": csrf_token_of(client)})
        bob = agent(desk_app, "bob")
        again = bob.post(f"/dashboard/voicemails/{voicemail_id}/call",
                         data={"csrf_token": csrf_token_of(bob)})
        assert len(rsps.calls) == 1
    assert "already+under+way" in again.location or "already%20under%20way" in again.location
    # A call Twilio never reported on stops blocking after a while.
    clock.now += timedelta(minutes=16)
    assert not desk_app.extensions["answer"].calls.active("voicemail", voicemail_id, clock())


def test_the_agents_leg_ending_first_does_not_hide_an_answered_caller(desk_app: Any,
                                                                      clock: Clock) -> None:
    callback_id = a_request(desk_app, clock)
    attempt = _attempt(desk_app, clock, callback_id)
    root = f"{PUBLIC}/answer/calls/{attempt['id']}"
    twilio = desk_app.test_client()
    signed(twilio, f"{root}/status", leg_params("CA" + "a" * 32, "completed", To=AGENT_PHONE))
    assert desk_app.extensions["answer"].callbacks.get(callback_id)["status"] == "queued"
    # The caller's leg reports late: they were answered after all.
    signed(twilio, f"{root}/caller-status", leg_params("CA" + "c" * 32, "completed"))
    item = desk_app.extensions["answer"].callbacks.get(callback_id)
    assert item["status"] == "done" and item["outcome"] == "answered"
    assert desk_app.extensions["answer"].calls.get(attempt["id"])["outcome"] == "answered"
