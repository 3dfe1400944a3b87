"""An agent replies by SMS to a voicemail in a real browser and sees Twilio's delivery report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses

from ivr.answer.templates import Templates
from ivr.answer.texts import texts_about
from tests.browser.conftest import SKIP_WHY, Server, serve_dashboard
from tests.conftest import AGENT_PASSWORD, Clock, add_voicemail
from tests.test_webhooks import post

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")
ACCOUNT = "AC" + "3" * 32
PUBLIC = "https://ivr.example.org"
MOBILE_FR = "+33612345678"


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The dashboard with texts on, sent from a Twilio number of the account."""
    yield from serve_dashboard(tmp_path, clock, IVR_SMS_FROM="+15005550006",
                               IVR_PUBLIC_URL=PUBLIC, TWILIO_ACCOUNT_SID=ACCOUNT)


def test_an_agent_replies_by_sms_with_a_template_and_sees_it_delivered(
        page: Any, server: Server, clock: Clock) -> None:
    app = server.app
    engine = app.extensions["ivr"].store.engine
    templates = Templates(engine)
    templates.save("Refund", "en", "Your refund is on its way.", None, clock())
    templates.save("Refund", "fr", "Votre remboursement est en route. Bonne journée !", None,
                   clock())
    vid = add_voicemail(app, from_number=MOBILE_FR, lang="fr",
                        transcript="Bonjour, je n'ai pas reçu mon remboursement.")

    page.goto(f"{server.url}/dashboard/voicemails/{vid}")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/voicemails/{vid}")
    picker = page.get_by_label("Start from a template")
    # The caller's language comes first.
    assert picker.locator("option").all_inner_texts() == ["—", "Refund (fr)", "Refund (en)"]
    picker.select_option(label="Refund (fr)")
    body = page.get_by_label("Reply by SMS")
    assert body.input_value() == "Votre remboursement est en route. Bonne journée !"
    body.fill("Votre remboursement est parti hier. Bonne journée !")
    assert page.locator("[data-reply-length]").inner_text() == "51 characters, 1 SMS segment"
    page.get_by_role("button", name="Send text").click()
    page.wait_for_url(f"{server.url}/dashboard/voicemails/{vid}#texts")
    assert "Text queued" in page.locator("[data-text-verdict]").inner_text()
    status = page.locator("[data-text] [data-text-status-words]")
    assert status.inner_text() == "waiting to be sent"

    sid = "SM" + "f" * 32
    with responses.RequestsMock() as twilio:
        twilio.post(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
                    json={"sid": sid, "status": "queued"}, status=201)
        assert app.extensions["ivr"].sender.send_due() == 1
        sent = parse_qs(twilio.calls[0].request.body)
    text_id = texts_about(engine, "voicemail", vid)[0]["id"]
    assert sent == {"To": [MOBILE_FR], "From": ["+15005550006"],
                    "Body": ["Votre remboursement est parti hier. Bonne journée !"],
                    "StatusCallback": [f"{PUBLIC}/sms/status?t={text_id}"]}
    client = app.test_client()
    for reported in ("delivered", "sent"):  # Twilio's reports, the late one last
        answer = post(client, f"{PUBLIC}/sms/status?t={text_id}", {
            "MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "MessageStatus": reported,
            "SmsStatus": reported, "From": "+15005550006", "To": MOBILE_FR,
            "ApiVersion": "2010-04-01"})
        assert answer.status_code == 204
    page.reload()
    assert status.inner_text() == "delivered"
    assert page.locator("[data-text]").get_attribute("data-text-status") == "delivered"
