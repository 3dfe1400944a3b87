"""Text conversations through the signed Messaging webhook (POST /sms), in en/fr/ro."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from ivr.answer.optouts import sms_opt_outs
from ivr.online.conversations import text_conversations
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown

SHOP = "+15005550006"
SENDERS = {"en": "+447400123456", "fr": "+33612345678", "ro": "+40712345678"}
COUNTRY = {"en": "GB", "fr": "FR", "ro": "RO"}
HOURS = {"en": "opening hours", "fr": "horaires", "ro": "program"}
PARCEL = {"en": "where is my parcel", "fr": "où est mon colis", "ro": "unde este coletul"}


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                           IVR_SMS_REPLY_COUNTRIES="GB,FR,RO")
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def send(app: Any, body: str, sender: str = SENDERS["en"], *, to: str = SHOP,
         token: str = TOKEN, **extra: str) -> tuple[int, list[str]]:
    """POST a text as Twilio does (signed with ``token``): the status and the texts answered."""
    url = "http://localhost/sms"
    params = {"MessageSid": "SM" + secrets.token_hex(16), "SmsSid": "", "AccountSid": "AC" + "0" * 32,
              "From": sender, "To": to, "Body": body, "NumSegments": "1", "NumMedia": "0",
              "FromCountry": extra.pop("FromCountry", ""), "ToCountry": "US", **extra}
    params["SmsSid"] = params["MessageSid"]
    signature = RequestValidator(token).compute_signature(url, params)
    response = app.test_client().post("/sms", data=params, headers={"X-Twilio-Signature": signature})
    if response.status_code != 200:
        return response.status_code, []
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return 200, [child.text or "" for child in root]


def prompt_text(app: Any, node: str, lang: str) -> str:
    menu = app.extensions["ivr"].catalog.get("shop")
    version = menu.nodes[node].say.for_language(lang, "en")
    return " ".join(version.text.split())


@pytest.mark.parametrize("lang", ["en", "fr", "ro"])
def test_opening_hours_by_text_answers_the_hours(app: Any, lang: str) -> None:
    status, texts = send(app, HOURS[lang], SENDERS[lang])
    assert status == 200
    assert texts == [prompt_text(app, "shop_hours", lang)]


@pytest.mark.parametrize("lang", ["en", "fr", "ro"])
def test_a_question_in_words_gets_the_answer(app: Any, lang: str) -> None:
    _, texts = send(app, PARCEL[lang], SENDERS[lang], FromCountry=COUNTRY[lang])
    assert texts == [prompt_text(app, "tracking", lang)]


def test_menu_then_numbers_walk_the_menu(app: Any) -> None:
    _, texts = send(app, "menu", SENDERS["fr"], FromCountry="FR")
    lines = texts[0].splitlines()
    assert lines[0] == "Répondez par un numéro ou une question :"
    assert lines[1] == "1. Les commandes et la livraison"
    assert "Terminer l'appel" not in texts[0]  # a hang-up is no topic
    _, texts = send(app, "1", SENDERS["fr"])
    assert texts[0].startswith("Les commandes et la livraison. Répondez par un numéro")
    assert "2. Le suivi de colis" in texts[0]
    _, texts = send(app, "2", SENDERS["fr"])
    assert texts == [prompt_text(app, "tracking", "fr")]


def test_an_expired_conversation_starts_again(app: Any, clock: Clock) -> None:
    send(app, "meniu", SENDERS["ro"], FromCountry="RO")
    clock.now += timedelta(minutes=29)
    _, texts = send(app, "1", SENDERS["ro"])
    assert texts[0].startswith("Comenzi și livrare.")  # still within 30 minutes
    clock.now += timedelta(minutes=31)
    _, texts = send(app, "2", SENDERS["ro"], FromCountry="RO")
    # The sub-menu's choices are forgotten: "2" is no answer now, the main topics come again.
    assert texts[0].splitlines()[0] == "Răspundeți cu un număr sau o întrebare:"
    assert "2. Retururi și rambursări" in texts[0]


def test_stop_is_recorded_and_the_number_never_texted_then_start(app: Any) -> None:
    engine = app.extensions["ivr"].store.engine
    assert send(app, "menu", SENDERS["en"])[1]
    assert send(app, "STOP", SENDERS["en"]) == (200, [])  # Twilio confirms, not us
    with engine.connect() as conn:
        assert conn.execute(sa.select(sms_opt_outs.c.number)).scalars().all() == [SENDERS["en"]]
        assert conn.execute(sa.select(text_conversations)).all() == []
    assert send(app, "opening hours", SENDERS["en"]) == (200, [])
    assert send(app, "START", SENDERS["en"]) == (200, [])
    assert send(app, "opening hours", SENDERS["en"])[1] == [prompt_text(app, "shop_hours", "en")]


def test_advanced_opt_out_type_and_help_are_twilios(app: Any) -> None:
    engine = app.extensions["ivr"].store.engine
    assert send(app, "arrêtez", SENDERS["fr"], OptOutType="STOP") == (200, [])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sms_opt_outs.c.number)).scalars().all() == [SENDERS["fr"]]
    assert send(app, "HELP", SENDERS["ro"]) == (200, [])


def test_a_forged_or_unsigned_text_is_refused(app: Any) -> None:
    assert send(app, "opening hours", token="0" * 32)[0] == 403
    response = app.test_client().post("/sms", data={"From": SENDERS["en"], "To": SHOP,
                                                    "Body": "opening hours"})
    assert response.status_code == 403
    with app.extensions["ivr"].store.engine.connect() as conn:
        assert conn.execute(sa.select(text_conversations)).all() == []


def test_unknown_numbers(app: Any) -> None:
    assert send(app, "opening hours", to="+15005550099") == (200, [])  # not one of our lines
    assert send(app, "opening hours", "not-a-number") == (200, [])
    assert send(app, "opening hours", "+12025550123") == (200, [])  # US: not an allowed country
    assert send(app, "opening hours", "+33899123456") == (200, [])  # French premium rate


def test_caps_per_sender_and_per_line(db_url: str, tmp_path: Path, clock: Clock) -> None:
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                   IVR_SMS_REPLY_COUNTRIES="*", IVR_SMS_REPLY_SENDER_LIMIT="2/hour",
                   IVR_SMS_REPLY_LINE_LIMIT="3/hour")
    try:
        assert send(app, "menu", SENDERS["en"])[1]
        assert send(app, "menu", SENDERS["en"])[1]
        assert send(app, "menu", SENDERS["en"]) == (200, [])  # the sender's third this hour
        assert send(app, "menu", SENDERS["fr"])[1]
        assert send(app, "menu", SENDERS["ro"]) == (200, [])  # the line's fourth this hour
        clock.now += timedelta(hours=1, minutes=1)
        assert send(app, "menu", SENDERS["en"])[1]
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)


def test_a_body_over_the_webhook_limit_is_refused_unread(app: Any) -> None:
    response = app.test_client().post("/sms", data={"Body": "x" * 70_000},
                                      headers={"X-Twilio-Signature": "c2lnbmVk"})
    assert response.status_code == 413  # refused before the signature is even checked
    response = app.test_client().post("/sms", data={"Body": "x" * 60_000},
                                      headers={"X-Twilio-Signature": "c2lnbmVk"})
    assert response.status_code == 403


def test_where_a_texter_is_is_kept_off_the_request_and_never_over_a_newer_row(
        db_url: str, tmp_path: Path, clock: Clock) -> None:
    """The conversation waits in the online writer (read back by this process at once) and
    is written in its batch, only over an older row: another worker may have a newer one."""
    # The writer's thread waits ten minutes between rounds here: only flush() writes.
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                   IVR_SMS_REPLY_COUNTRIES="*", IVR_JOURNEY_FLUSH_MS="600000")
    engine = app.extensions["ivr"].store.engine
    writer = app.extensions["online"].writer
    number = "+33612345679"
    rows = sa.select(text_conversations.c.choices).where(text_conversations.c.number == number)
    try:
        send(app, "menu", number, FromCountry="FR")
        with engine.connect() as conn:
            assert conn.execute(rows).all() == []  # answered before any write
        _, texts = send(app, "1", number)  # this process reads what it has not written yet
        assert texts[0].startswith("Les commandes et la livraison.")
        assert writer.flush() is True
        with engine.connect() as conn:
            written = conn.execute(rows).scalar_one()
        assert written and "," in written  # the sub-menu's numbered choices
        # Another worker answered a later text of the same texter and wrote it first.
        with engine.begin() as conn:
            conn.execute(text_conversations.update().where(
                text_conversations.c.number == number).values(
                choices="shop_hours", updated_at=clock.now + timedelta(seconds=5)))
        send(app, "menu", number)  # an earlier text, answered here, written after
        assert writer.flush() is True
        with engine.connect() as conn:
            assert conn.execute(rows).scalar_one() == "shop_hours"
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)
