"""An agent calls a caller back, gets no answer, and answers the request by text instead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from ivr.answer.templates import Templates
from ivr.answer.texts import texts_about
from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import AGENT_PASSWORD, TOKEN, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")

ACCOUNT = "AC" + "4" * 32
PUBLIC = "https://ivr.example.org"
API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
CALLER = "+40722333444"  # a Romanian mobile


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The dashboard with a Twilio account, a public URL and texts sent from a number."""
    yield from serve_dashboard(tmp_path, clock, TWILIO_ACCOUNT_SID=ACCOUNT, IVR_PUBLIC_URL=PUBLIC,
                               IVR_SMS_FROM="+15005550006")


def signed(app: Any, path: str, params: dict[str, str]) -> int:
    """POST a status callback as Twilio would send it; its HTTP status."""
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}{path}", params)
    return int(app.test_client().post(path, data=params,
                                      headers={"X-Twilio-Signature": signature}).status_code)


def test_a_callback_not_answered_by_phone_is_answered_by_text(
        page: Any, server: Server, clock: Clock) -> None:
    app = server.app
    engine = app.extensions["ivr"].store.engine
    Templates(engine).save("Try again", "ro", "Am incercat sa va sunam. Revenim maine.", None,
                           clock())
    callback_id, _ = app.extensions["answer"].callbacks.keep(
        "CA" + "e" * 32, clock(), from_number=CALLER, to_number="+15005550030", number=CALLER,
        number_source="caller_id", menu="callback", node="call_me", lang="ro",
        schedule="office", due_from=clock() - timedelta(minutes=5))
    with engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE users SET phone = '+33611111111' WHERE username = 'alice'"))

    page.goto(f"{server.url}/dashboard/callbacks/{callback_id}")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/callbacks/{callback_id}")

    with responses.RequestsMock() as twilio:
        twilio.post(f"{API}/Calls.json", status=201,
                    json={"sid": "CA" + "a" * 32, "status": "queued", "account_sid": ACCOUNT})
        page.get_by_role("button", name="Call back").click()
        page.wait_for_selector("[data-attempt]")
        assert parse_qs(twilio.calls[0].request.body)["To"] == ["+33611111111"]

    # The agent answered; the caller did not. The request stays in the queue, attempt logged.
    [attempt] = app.extensions["answer"].calls.for_item("callback", callback_id)
    base = {"AccountSid": ACCOUNT, "ApiVersion": "2010-04-01"}
    assert signed(app, f"/answer/calls/{attempt['id']}/caller-status",
                  {**base, "CallSid": "CA" + "c" * 32, "CallStatus": "no-answer",
                   "From": "+15005550030", "To": CALLER, "Direction": "outbound-dial",
                   "SequenceNumber": "1"}) == 204
    page.reload()
    assert page.locator("[data-status]").get_attribute("data-status") != "done"
    assert "The caller did not answer" in page.locator("[data-attempts]").inner_text()

    # So the agent texts the caller, in their language, from a template.
    page.get_by_label("Start from a template").select_option(label="Try again (ro)")
    assert page.get_by_label("Reply by SMS").input_value() == \
        "Am incercat sa va sunam. Revenim maine."
    page.get_by_role("button", name="Send text").click()
    page.wait_for_url(f"{server.url}/dashboard/callbacks/{callback_id}#texts")
    assert "Text queued" in page.locator("[data-text-verdict]").inner_text()
    assert page.locator("[data-status]").get_attribute("data-status") == "done"
    assert "Answered by text by alice" in page.locator("[data-closed]").inner_text()

    sid = "SM" + "b" * 32
    with responses.RequestsMock() as twilio:
        twilio.post(f"{API}/Messages.json", json={"sid": sid, "status": "queued"}, status=201)
        assert app.extensions["ivr"].sender.send_due() == 1
        sent = parse_qs(twilio.calls[0].request.body)
    [text] = texts_about(engine, "callback", callback_id)
    assert sent["To"] == [CALLER] and sent["Body"] == ["Am incercat sa va sunam. Revenim maine."]
    assert signed(app, f"/sms/status?t={text['id']}",
                  {**base, "MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered",
                   "SmsStatus": "delivered", "From": "+15005550006", "To": CALLER}) == 204
    page.reload()
    assert page.locator("[data-text]").get_attribute("data-text-status") == "delivered"
    page.goto(f"{server.url}/dashboard/callbacks?tab=done")
    assert "Answered by text · alice" in page.locator(f"tr[data-id='{callback_id}']").inner_text()
