"""An agent answers a callback request in a real browser: the queue, Call back, the outcome."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from twilio.request_validator import RequestValidator

from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import AGENT_PASSWORD, TOKEN, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")

ACCOUNT = "AC" + "2" * 32
PUBLIC = "https://ivr.example.org"
CALLS_API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json"


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The dashboard on a real server, with a Twilio account and a public URL."""
    yield from serve_dashboard(tmp_path, clock, TWILIO_ACCOUNT_SID=ACCOUNT, IVR_PUBLIC_URL=PUBLIC)


def test_an_agent_calls_a_caller_back_from_the_queue_and_the_answer_closes_it(
        page: Any, server: Server, clock: Clock) -> None:
    app = server.app
    callback_id, _ = app.extensions["answer"].callbacks.keep(
        "CA" + "d" * 32, clock(), from_number="+33612345678", to_number="+15005550030",
        number="+33612345678", number_source="caller_id", menu="callback", node="call_me",
        lang="fr", schedule="office", due_from=clock() - timedelta(minutes=30))

    page.goto(f"{server.url}/dashboard/login")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/inbox")

    # The agent's own phone, on the account page (a premium-rate one is refused first).
    page.get_by_role("link", name="alice", exact=True).click()
    page.get_by_label("Phone number").fill("+33 8 99 12 34 56")
    page.locator("#phone-current").fill(AGENT_PASSWORD)  # a change of phone needs the password
    page.get_by_role("button", name="Save phone number").click()
    assert "a premium-rate number" in page.locator("#phone-error").inner_text()
    page.get_by_label("Phone number").fill("+33 6 11 11 11 11")
    page.locator("#phone-current").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Save phone number").click()
    assert "Calls back will ring +33611111111." in page.get_by_role("status").inner_text()

    # The queue shows the request due now; the agent opens it and calls back.
    page.get_by_role("link", name="Callbacks").click()
    assert page.locator("[data-due-callbacks]").inner_text() == "1"
    row = page.locator(f"tr[data-id='{callback_id}']")
    assert "Waiting" in row.inner_text() and "fr" in row.inner_text().lower()
    row.get_by_role("link", name="+33612345678").click()
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, CALLS_API, status=201,
                 json={"sid": "CA" + "a" * 32, "status": "queued", "account_sid": ACCOUNT})
        page.get_by_role("button", name="Call back").click()
        page.wait_for_selector("[data-attempt]")
        assert len(rsps.calls) == 1
        assert parse_qs(rsps.calls[0].request.body)["To"] == ["+33611111111"]
    assert "Ringing your phone" in page.locator("[data-attempts]").inner_text()
    assert page.get_by_role("button", name="Call back").is_disabled()

    # Twilio reports the caller's leg answered (signed, as Twilio sends it).
    [attempt] = app.extensions["answer"].calls.for_item("callback", callback_id)
    url = f"{PUBLIC}/answer/calls/{attempt['id']}/caller-status"
    params = {"AccountSid": ACCOUNT, "CallSid": "CA" + "c" * 32, "CallStatus": "in-progress",
              "From": "+15005550030", "To": "+33612345678", "Direction": "outbound-dial",
              "ApiVersion": "2010-04-01", "SequenceNumber": "2"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    answered = app.test_client().post(f"/answer/calls/{attempt['id']}/caller-status", data=params,
                                      headers={"X-Twilio-Signature": signature})
    assert answered.status_code == 204

    page.reload()
    assert page.locator("[data-status]").get_attribute("data-status") == "done"
    assert "Answered by alice" in page.locator("[data-closed]").inner_text()
    assert "Answered" in page.locator("[data-attempts]").inner_text()
    page.get_by_role("link", name="← Callbacks").click()
    assert page.locator("[data-due-callbacks]").inner_text() == "0"
    page.get_by_role("link", name="Done").click()
    assert "Answered · alice" in page.locator(f"tr[data-id='{callback_id}']").inner_text()
