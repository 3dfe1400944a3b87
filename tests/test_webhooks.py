"""The webhooks as Twilio drives them: signed requests, real parameter sets, real TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN, shutdown

CALL_SID = "CA" + "0" * 31 + "1"
ACCOUNT_SID = "AC" + "f" * 32


def twilio_params(**extra: str) -> dict[str, str]:
    """A real-looking parameter set: unknown geo fields empty, as Twilio sends them."""
    params = {
        "CallSid": CALL_SID, "AccountSid": ACCOUNT_SID, "From": "+15551230000",
        "To": "+15005550001", "Caller": "+15551230000", "Called": "+15005550001",
        "CallStatus": "ringing", "ApiVersion": "2010-04-01", "Direction": "inbound",
        "FromCity": "", "FromState": "", "FromZip": "", "FromCountry": "US",
        "ToCity": "", "ToState": "", "ToZip": "", "ToCountry": "US",
        "CallerCity": "", "CallerState": "", "CallerZip": "", "CallerCountry": "US",
        "CalledCity": "", "CalledState": "", "CalledZip": "", "CalledCountry": "US",
    }
    params.update(extra)
    return params


def post(client: Any, url: str, params: dict[str, str], *, token: str = TOKEN,
         headers: dict[str, str] | None = None) -> Any:
    """POST as Twilio would: form-encoded and signed over the full URL."""
    signature = RequestValidator(token).compute_signature(url, params)
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    # The body encoded here, as Twilio sends it: the test client's own form building
    # cost a fifth of a long walk of requests (tests/test_walk_menus.py).
    return client.post(path, data=urlencode(params), base_url=f"{parts.scheme}://{parts.netloc}",
                       content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature,
                                "User-Agent": "TwilioProxy/1.1", **(headers or {})})


def twiml(response: Any) -> ET.Element:
    """Parse a TwiML answer, checking status and content type."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype in ("text/xml", "application/xml")
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return root


def test_incoming_call_asks_for_a_language_with_a_gather_then_a_redirect(app: Any) -> None:
    root = twiml(post(app.test_client(), "http://localhost/voice", twilio_params()))
    verbs = [child.tag for child in root]
    assert verbs == ["Gather", "Redirect"]
    gather = root[0]
    assert gather.get("input") == "dtmf speech"
    assert gather.get("numDigits") == "1"
    assert gather.get("finishOnKey") == ""  # so that # and * arrive as Digits
    assert gather.get("method") == "POST"
    assert gather.get("language") == "en-US"
    assert gather.get("speechModel") == "phone_call"
    assert "English" in (gather.get("hints") or "")
    says = [(s.get("language"), s.get("voice")) for s in gather.findall("Say")]
    assert says == [("en-US", "Polly.Joanna"), ("fr-FR", "Polly.Lea"), ("ro-RO", "Polly.Carmen")]
    action = urlsplit(gather.get("action") or "")
    assert action.path == "/voice/step"
    query = parse_qs(action.query)
    assert query["n"] == ["welcome"] and query["e"] == ["in"]
    redirect = parse_qs(urlsplit(root[1].text or "").query)
    assert redirect["e"] == ["silence"]


def test_romanian_caller_gets_romanian_voice_and_a_model_that_knows_romanian(phone: Phone) -> None:
    phone.dial()
    heard = phone.press("3")
    assert heard[0].locale == "ro-RO" and heard[0].voice == "Polly.Carmen"
    assert phone.listening is not None
    assert phone.listening.get("language") == "ro-RO"
    assert phone.listening.get("speechModel") not in (None, "phone_call")
    assert phone.node == "main"


def test_speech_without_confidence_and_with_unknown_fields_still_routes(app: Any) -> None:
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("2")  # French
    assert phone.listening is not None
    url = phone.listening.get("action") or ""
    params = phone.base_params() | {"SpeechResult": "Retours.", "msg": "Gather End",
                                    "FinishedOnKey": "", "SomethingNew": "x", "Unicode": "ș"}
    root = twiml(post(app.test_client(), url, params))
    gather = root.find("Gather")
    assert gather is not None
    assert parse_qs(urlsplit(gather.get("action") or "").query)["n"] == ["returns"]
    assert gather.find("Say").get("language") == "fr-FR"  # type: ignore[union-attr]


def test_wrong_key_says_sorry_and_asks_again_then_falls_back(phone: Phone) -> None:
    phone.dial()
    phone.press("1")
    first = phone.press("7")
    assert "didn't understand" in first[0].text
    assert phone.node == "main"
    phone.press("7")
    final = phone.press("7")  # third miss: the fallback (goodbye) ends the call
    assert any("Goodbye" in h.text for h in final)
    assert phone.ended


def test_silence_asks_again_and_never_hangs_up_silently(phone: Phone) -> None:
    phone.dial()
    phone.press("1")
    heard = phone.silence()
    assert "didn't hear" in heard[0].text
    assert phone.node == "main" and not phone.ended


def test_transfer_while_open_then_no_answer_goes_on(phone: Phone) -> None:
    phone.dial()
    phone.press("1")
    phone.press("0")
    assert phone.dialing is not None
    assert phone.dialing.text == "+15005550006"
    assert phone.dialing.get("timeout") == "20"
    heard = phone.dial_ends("no-answer")
    assert "nobody is available" in heard[0].text
    assert phone.ended


def test_transfer_when_closed_plays_the_closed_message(app: Any, phone: Phone, clock: Any) -> None:
    from datetime import UTC, datetime

    clock.now = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)  # Christmas: closed all day
    phone.dial()
    phone.press("1")
    heard = phone.press("0")
    assert heard[0].text == "We are closed."
    assert phone.dialing is None


def test_prompt_audio_is_served_to_twilio(app: Any) -> None:
    client = app.test_client()
    missing = client.get("/prompts/nothing/here.wav")
    assert missing.status_code == 404
    not_audio = client.get("/prompts/README.md")
    assert not_audio.status_code == 404
    escape = client.get("/prompts/../pyproject.toml")
    assert escape.status_code == 404


@pytest.mark.parametrize("path", ["/voice", "/voice/step?m=mini&n=main&l=en&e=in",
                                  "/voice/status"])
def test_unsigned_and_forged_requests_get_403(app: Any, path: str) -> None:
    client = app.test_client()
    assert client.post(path, data=twilio_params()).status_code == 403
    forged = post(client, f"http://localhost{path}", twilio_params(), token="0" * 32)
    assert forged.status_code == 403
    # A valid signature for other parameters does not carry over.
    signature = RequestValidator(TOKEN).compute_signature(f"http://localhost{path}",
                                                          twilio_params())
    tampered = client.post(path, data=twilio_params(From="+15559999999"),
                           headers={"X-Twilio-Signature": signature})
    assert tampered.status_code == 403


def test_signature_uses_the_public_url_behind_a_tls_proxy(db_url: str, tmp_path: Any,
                                                          clock: Any) -> None:
    from tests.conftest import make_app

    app = make_app(db_url, tmp_path, clock, IVR_PUBLIC_URL="https://ivr.example.org")
    client = app.test_client()
    params = twilio_params()
    signature = RequestValidator(TOKEN).compute_signature("https://ivr.example.org/voice",
                                                          params)
    # The proxy forwards plain http to the app; Twilio signed the https URL.
    response = client.post("/voice", data=params, base_url="http://10.0.0.5:8000",
                           headers={"X-Twilio-Signature": signature})
    root = twiml(response)
    assert (root[0].get("action") or "").startswith("https://ivr.example.org/voice/step?")
    shutdown(app)


@pytest.mark.parametrize("query", [
    "",  # no state at all
    "m=mini&n=nowhere&l=en&t=0&e=in",  # a node that does not exist
    "m=mini&n=main&l=en&t=abc&e=in",  # malformed tries
    "m=..%2F..&n=main&l=en&e=in",  # garbage menu id
    "m=mini&n=main&l=xx-INVALID-LANG&e=in",
    "m=mini&n=main&l=en&t=0&e=unknown-event",
])
def test_malformed_state_gets_valid_twiml_not_an_error(app: Any, query: str) -> None:
    url = "http://localhost/voice/step" + (f"?{query}" if query else "")
    root = twiml(post(app.test_client(), url, twilio_params(Digits="1")))
    assert root.find("Gather") is not None or root.find("Hangup") is not None


def test_internal_error_apologises_in_twiml_and_restarts_once(app: Any, monkeypatch: Any) -> None:
    from ivr.engine import core

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(core, "step", broken)
    url = "http://localhost/voice/step?m=mini&n=main&l=fr&t=0&p=main&s=0&v=x&e=in"
    root = twiml(post(app.test_client(), url, twilio_params(Digits="1")))
    assert root[0].tag == "Say" and root[0].get("language") == "fr-FR"
    assert "problème" in (root[0].text or "")
    redirect = root.find("Redirect")
    assert redirect is not None and "x=1" in (redirect.text or "")
    # A second failure on the restart hangs up instead of looping.
    again = twiml(post(app.test_client(), redirect.text or "", twilio_params()))
    assert [c.tag for c in again] == ["Say", "Hangup"]


def test_database_outage_does_not_reach_the_caller_and_loses_nothing(app: Any) -> None:
    import logging

    import sqlalchemy as sa

    svc = app.extensions["ivr"]
    working = svc.store.engine
    svc.store.engine = sa.create_engine("sqlite:////nonexistent-dir/db.sqlite3")
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()
    heard = phone.press("1")
    assert "opening hours" in heard[0].text
    logging.disable(logging.ERROR)  # the expected write failure is logged loudly
    try:
        assert svc.recorder.flush() is False  # the journey is kept, not lost
    finally:
        logging.disable(logging.NOTSET)
    assert svc.recorder.pending == 3  # the call row and two journey lines
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and "unreachable" in health.get_json()["database"]
    svc.store.engine = working  # the database comes back
    assert svc.recorder.flush() is True
    assert svc.recorder.pending == 0
    assert [s["event"] for s in svc.store.journey(phone.call_sid)] == ["call", "language"]


def test_journey_is_recorded_with_inputs_and_outcomes(app: Any, phone: Phone) -> None:
    phone.dial()
    phone.press("3")
    phone.say("retururi")
    phone.press("9")
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    steps = svc.store.journey(phone.call_sid)
    lines = [(s["node"], s["event"], s["input"], s["outcome"]) for s in steps]
    assert ("welcome", "language", "3", "lang:ro") in lines
    # The spoken choice is recorded with the matcher's score.
    assert any(line[:3] == ("main", "speech", "retururi") and line[3].startswith("match:returns:")
               for line in lines), lines
    assert ("returns", "key", "9", "global:main") in lines
    assert all(s["lang"] == "ro" for s in steps if s["node"] != "welcome")
    call = svc.store.call(phone.call_sid)
    assert call is not None
    assert call["from_number"] == "+15551230000" and call["menu"] == "mini"


def test_a_retried_webhook_does_not_double_the_journey(app: Any) -> None:
    client = app.test_client()
    headers = {"I-Twilio-Idempotency-Token": "retry-token-1"}
    for _ in range(3):
        twiml(post(client, "http://localhost/voice", twilio_params(), headers=headers))
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    assert len(svc.store.journey(CALL_SID)) == 1


def test_status_callbacks_out_of_order_keep_the_latest(app: Any) -> None:
    client = app.test_client()
    completed = twilio_params(CallStatus="completed", CallDuration="73", SequenceNumber="3",
                              Timestamp="Mon, 23 Nov 2026 08:01:13 +0000",
                              CallbackSource="call-progress-events")
    ringing = twilio_params(CallStatus="ringing", SequenceNumber="0")
    for params in (completed, ringing):
        response = post(client, "http://localhost/voice/status", params)
        assert response.status_code == 204
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    call = svc.store.call(CALL_SID)
    assert call is not None
    assert call["status"] == "completed" and call["duration"] == 73


def test_get_is_not_a_twilio_webhook(app: Any) -> None:
    assert app.test_client().get("/voice").status_code == 405


def test_health_reports_menus_database_and_token(app: Any) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and "mini" in body["menus"]
    assert body["auth_token"] is True and body["status"] == "ok"


def test_trusted_proxy_headers_restore_the_url_twilio_signed(db_url: str, tmp_path: Any,
                                                             clock: Any) -> None:
    from tests.conftest import make_app

    app = make_app(db_url, tmp_path, clock, IVR_TRUSTED_PROXIES="1")
    client = app.test_client()
    params = twilio_params()
    signature = RequestValidator(TOKEN).compute_signature("https://help.example.org/voice",
                                                          params)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "help.example.org",
                 "X-Twilio-Signature": signature}
    ok = client.post("/voice", data=params, base_url="http://127.0.0.1:8000", headers=forwarded)
    assert ok.status_code == 200
    # Without the forwarded headers the same signature does not match.
    plain = client.post("/voice", data=params, base_url="http://127.0.0.1:8000",
                        headers={"X-Twilio-Signature": signature})
    assert plain.status_code == 403
    shutdown(app)
