"""The phone simulator: the browser's actions become signed webhook requests, the TwiML is followed."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from ivr.simulator import FlaskTransport, Phone
from ivr.web.clock import FIELD as CLOCK_FIELD
from tests.conftest import TOKEN, Clock, shutdown
from tests.test_admin_menus import NEW_HOURS, OLD_HOURS, admin_client, live_text, make_admin_app

ACTION = "/dashboard/admin/simulator/action"


@pytest.fixture
def admin_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app on the mini menu (SQLite and PostgreSQL: simulated calls write journeys)."""
    app = make_admin_app(db_url, tmp_path, clock)
    yield app
    shutdown(app)


def act(client: Any, header: dict[str, str], **body: Any) -> Any:
    response = client.post(ACTION, json=body, headers=header)
    assert response.status_code == 200, response.text
    return response.get_json()


def _no_network(*_args: Any) -> None:
    raise AssertionError("the simulator opened a network connection")


def said(reply: dict[str, Any]) -> str:
    return " ".join(item.get("say", "") for item in reply["heard"])


def test_the_page_offers_the_live_menus_by_number(admin_app: Any) -> None:
    client, _ = admin_client(admin_app)
    page = client.get("/dashboard/admin/simulator/")
    assert page.status_code == 200
    assert '<option value="live:+15005550001"' in page.text
    assert "TWILIO" not in page.text and "12345678901234567890123456789012" not in page.text


def test_a_call_by_keys_reaches_the_node_and_is_signed_like_twilio(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    first = act(client, header, action="call", target="live:+15005550001")
    assert first["node"] == "welcome" and first["state"] == "listening"
    assert first["input"] == "dtmf speech"
    assert {"say": "For English, press 1.", "lang": "en-US", "voice": "Polly.Joanna"} in first["heard"]
    exchange = first["exchanges"][0]
    assert exchange["url"] == "/voice" and exchange["status"] == 200
    assert exchange["params"]["To"] == "+15005550001"
    assert exchange["params"]["CallSid"].startswith("CA") and len(exchange["params"]["CallSid"]) == 34
    assert "<Gather" in exchange["body"]

    menu = act(client, header, action="press", digits="1")
    assert menu["node"] == "main"
    assert menu["exchanges"][0]["params"]["Digits"] == "1"
    hours = act(client, header, action="press", digits="1")
    assert hours["node"] == "hours_info"
    assert said(hours) == OLD_HOURS
    assert hours["input"] == "dtmf"  # an answer listens for keys only

    ended = act(client, header, action="hangup")
    assert ended["ended"] is True and ended["state"] == "ended"
    assert ended["exchanges"][-1]["url"] == "/voice/status"
    assert ended["exchanges"][-1]["status"] == 204
    assert client.post(ACTION, json={"action": "press", "digits": "1"},
                       headers=header).status_code == 409
    admin_app.extensions["ivr"].recorder.flush()
    engine = admin_app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        sid = exchange["params"]["CallSid"]
        nodes = conn.execute(sa.text("SELECT node FROM journey_steps WHERE call_sid = :s "
                                     "ORDER BY id"), {"s": sid}).scalars().all()
    assert nodes == ["welcome", "welcome", "main"]  # answered, chose English, chose hours


def test_a_call_by_voice_with_a_confidence_reaches_the_node(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550001")
    french = act(client, header, action="say", text="français", confidence="0.9")
    assert french["node"] == "main"
    assert french["exchanges"][0]["params"]["SpeechResult"] == "français"
    assert french["exchanges"][0]["params"]["Confidence"] == "0.90"
    assert said(french).startswith("Pour les horaires")
    returns = act(client, header, action="say", text="retours", confidence="")
    assert "Confidence" not in returns["exchanges"][0]["params"]  # Twilio may leave it out
    assert returns["node"] == "returns"
    bad = client.post(ACTION, json={"action": "say", "text": "x", "confidence": "7"},
                      headers=header)
    assert bad.status_code == 409 and "between 0 and 1" in bad.get_json()["error"]


def test_silence_and_a_transfer_follow_twilio(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550001")
    act(client, header, action="press", digits="1")
    again = act(client, header, action="wait")  # silence: Twilio follows the <Redirect>
    assert again["node"] == "main" and again["state"] == "listening"
    desk = act(client, header, action="press", digits="0")  # open at this hour: a transfer
    assert desk["state"] == "transferring"
    assert said(desk) == "Connecting you."
    nobody = act(client, header, action="transfer", outcome="no-answer")
    assert nobody["ended"] is True  # no_answer: goodbye hangs up


def test_a_call_on_a_saved_draft_hears_the_draft(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    text = live_text(admin_app).replace(OLD_HOURS, NEW_HOURS)
    client.post("/dashboard/admin/menus/mini.yaml/draft", json={"text": text}, headers=header)
    page = client.get("/dashboard/admin/simulator/?menu=mini.yaml")
    assert '<option value="draft:mini.yaml" data-zone="Europe/Bucharest" selected>' in page.text
    first = act(client, header, action="call", target="draft:mini.yaml")
    assert first["exchanges"][0]["url"] == "/voice?draft=mini.yaml"
    act(client, header, action="press", digits="1")
    hours = act(client, header, action="press", digits="1")
    assert said(hours) == NEW_HOURS
    assert hours["menu"].startswith("draft--")
    # The live menu still says the old text.
    act(client, header, action="call", target="live:+15005550001")
    act(client, header, action="press", digits="1")
    assert said(act(client, header, action="press", digits="1")) == OLD_HOURS


def test_bad_actions_are_refused_without_a_call(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    assert client.post(ACTION, json={"action": "press", "digits": "1"},
                       headers=header).status_code == 409
    assert client.post(ACTION, json={"action": "fly"}, headers=header).status_code == 400
    assert client.post(ACTION, json={"action": "call", "target": "live:+1999"},
                       headers=header).status_code == 400
    with pytest.MonkeyPatch.context() as patch:  # in-process: no network round trip
        patch.setattr(socket.socket, "connect", _no_network)
        assert act(client, header, action="call", target="live:+15005550001")["node"] == "welcome"


def test_the_reply_says_how_twilio_collects_keys(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    first = act(client, header, action="call", target="live:+15005550001")
    # A menu answers on one key; the page collects keys by these rules before sending.
    assert first["gather"] == {"numDigits": 1, "finishOnKey": "", "timeout": 5}
    pressed = act(client, header, action="press", digits="1", finished_on="#")
    assert pressed["exchanges"][0]["params"]["FinishedOnKey"] == "#"
    assert pressed["exchanges"][0]["params"]["Digits"] == "1"


def test_the_page_preselects_the_default_menu(admin_app: Any) -> None:
    client, _ = admin_client(admin_app)
    page = client.get("/dashboard/admin/simulator/").text
    selected = re.findall(r'<option value="([^"]+)"[^>]*selected>', page)
    assert selected == ["live:+15005550001"]  # mini: default: true (the lookup desk sorts first)
    assert page.index('value="live:+15005550020"') < page.index('value="live:+15005550001"')


def voicemails(app: Any) -> list[dict[str, Any]]:
    return list(app.extensions["dashboard"].voicemails.list(limit=10))


def test_leaving_a_message_stores_a_voicemail_with_its_transcript(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550002")
    recording = act(client, header, action="press", digits="1")
    assert recording["state"] == "recording"
    assert recording["record"] == {"transcribe": True, "maxLength": 90}
    words = "Hello, this is Ana, please call me back about order 100001."
    left = act(client, header, action="record", words=words, end="key")
    urls = [e["url"].split("?")[0] for e in left["exchanges"]]
    assert urls[-3:] == ["/voice/step", "/voice/recording", "/voice/transcription"]
    action = left["exchanges"][-3]["params"]
    assert action["Digits"] == "#" and action["RecordingSid"].startswith("RE")
    assert action["RecordingUrl"].endswith(action["RecordingSid"])
    assert int(action["RecordingDuration"]) >= 2
    assert all(e["status"] in (200, 204) for e in left["exchanges"][-3:])
    stored = voicemails(admin_app)
    assert len(stored) == 1
    assert stored[0]["recording_sid"] == action["RecordingSid"]
    assert stored[0]["transcript"] == words and stored[0]["transcript_status"] == "completed"
    assert stored[0]["menu"] == "vm" and stored[0]["from_number"] == "+15550100199"
    inbox = client.get("/dashboard/inbox").text
    assert "please call me back about order 100001" in inbox


def test_a_french_message_is_transcribed_by_twilio_real_time_transcription(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550002")
    act(client, header, action="press", digits="2")
    act(client, header, action="press", digits="1")
    recording = act(client, header, action="press", digits="1")
    assert recording["record"] == {"transcribe": False, "maxLength": 90}
    words = "Bonjour, c'est Ana, rappelez-moi au sujet de la commande 100001."
    left = act(client, header, action="record", words=words, end="key")
    urls = [e["url"].split("?")[0] for e in left["exchanges"]]
    assert urls[-5:] == ["/voice/step", "/voice/recording", "/voice/transcript",
                         "/voice/transcript", "/voice/transcript"]
    events = [e["params"]["TranscriptionEvent"] for e in left["exchanges"][-3:]]
    assert events == ["transcription-started", "transcription-content", "transcription-stopped"]
    assert all(e["status"] == 204 for e in left["exchanges"][-3:])
    stored = voicemails(admin_app)
    assert len(stored) == 1 and stored[0]["lang"] == "fr"
    assert stored[0]["transcript"] == words and stored[0]["transcript_status"] == "completed"


def test_hanging_up_after_the_message_still_delivers_it(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550002")
    act(client, header, action="press", digits="1")
    gone = act(client, header, action="record", words="", end="hangup")
    assert gone["ended"] is True and gone["heard"] == []
    urls = [e["url"].split("?")[0] for e in gone["exchanges"]]
    assert urls[-4:] == ["/voice/step", "/voice/recording", "/voice/transcription",
                         "/voice/status"]
    assert gone["exchanges"][-4]["params"]["Digits"] == "hangup"
    stored = voicemails(admin_app)
    assert len(stored) == 1 and stored[0]["transcript_status"] == "failed"  # nothing was said
    assert client.post(ACTION, json={"action": "record", "words": "x"},
                       headers=header).status_code == 409


def test_record_is_refused_where_nothing_records(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550001")
    refused = client.post(ACTION, json={"action": "record", "words": "hi"}, headers=header)
    assert refused.status_code == 409
    assert "Nothing is recording" in refused.get_json()["error"]


def test_call_at_tries_the_open_branch_after_hours(admin_app: Any, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # a Sunday evening: the desk is closed
    client, header = admin_client(admin_app)
    act(client, header, action="call", target="live:+15005550001")
    act(client, header, action="press", digits="1")
    closed = act(client, header, action="press", digits="0")
    assert closed["state"] != "transferring"

    # Monday 10:00 in the menu's zone (Europe/Bucharest): open, the call is transferred.
    act(client, header, action="call", target="live:+15005550001", at="2026-11-30T10:00")
    act(client, header, action="press", digits="1")
    opened = act(client, header, action="press", digits="0")
    assert opened["state"] == "transferring" and said(opened) == "Connecting you."
    # 08:30 there is before opening time.
    act(client, header, action="call", target="live:+15005550001", at="2026-11-30T08:30")
    act(client, header, action="press", digits="1")
    assert act(client, header, action="press", digits="0")["state"] != "transferring"
    # The journey keeps the real time; only the engine's decisions used the simulated one.
    admin_app.extensions["ivr"].recorder.flush()
    with admin_app.extensions["ivr"].store.engine.connect() as conn:
        times = conn.execute(sa.text("SELECT DISTINCT at FROM journey_steps")).scalars().all()
    assert {str(t)[:16] for t in times} == {"2026-11-29 18:00"}

    bad = client.post(ACTION, json={"action": "call", "target": "live:+15005550001",
                                    "at": "next tuesday"}, headers=header)
    assert bad.status_code == 409 and "2026-12-01T10:00" in bad.get_json()["error"]


def test_nothing_a_caller_sends_moves_the_clock(admin_app: Any, clock: Clock) -> None:
    """In production only the in-process simulators move the time; a webhook's field cannot."""
    clock.now = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # closed
    monday = "2026-11-30T10:00:00+00:00"  # open
    phone = Phone(FlaskTransport(admin_app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("1")
    gather = phone.listening
    assert gather is not None
    url = gather.get("action", "")
    params = {**phone.base_params(), "Digits": "0", CLOCK_FIELD: monday}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    client = admin_app.test_client()
    path = url.removeprefix("http://localhost")
    admin_app.config["IVR_ENV"] = "production"
    try:
        answer = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        assert "<Dial" not in answer.text  # still closed: a request from outside is not re-timed
        forged = client.post(path, data=params, headers={"X-Twilio-Signature": signature,
                                                         "ivr.simulator": "1"})
        assert "<Dial" not in forged.text  # a header is not the simulator's environ key
        # The in-process simulator's own call, timed from its first request, is re-timed.
        simulated = Phone(FlaskTransport(admin_app), TOKEN, called="+15005550001")
        simulated.at = datetime.fromisoformat(monday)
        simulated.dial()
        simulated.press("1")
        simulated.press("0")
        assert simulated.dialing is not None
    finally:
        admin_app.config["IVR_ENV"] = "test"
