"""The phone simulator: the browser's actions become signed webhook requests, the TwiML is followed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Clock, shutdown
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
    assert '<option value="draft:mini.yaml" selected>' in page.text
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
    started = time.monotonic()
    act(client, header, action="call", target="live:+15005550001")
    assert time.monotonic() - started < 2  # in-process: no network round trip
