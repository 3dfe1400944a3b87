"""The whole lookup flow through signed webhooks, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from ivr.lookup.demo import seed
from ivr.lookup.policy import DEMO_TABLES, Connection
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import OPEN_TIME, TOKEN, Clock, make_app, shutdown

NUMBER = "+15005550020"


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock,
        demo_connection: dict[str, str]) -> Iterator[Any]:
    engine = sa.create_engine(db_url)
    seed(engine, OPEN_TIME.date())  # order 100001 arrives on Wednesday, November 25
    engine.dispose()
    application = make_app(db_url, tmp_path, clock, **demo_connection)
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def call(app: Any, lang_key: str = "1", option: str = "1",
         caller: str = "+15551230000") -> Phone:
    phone = Phone(FlaskTransport(app), TOKEN, called=NUMBER, caller=caller)
    phone.dial()
    phone.press(lang_key)
    phone.press(option)
    return phone


def text(heard: list[Any]) -> str:
    return " ".join(h.text for h in heard)


def journey(app: Any, phone: Phone) -> list[tuple[str, str, str, str]]:
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    return [(s["node"], s["event"], s["input"], s["outcome"])
            for s in svc.store.journey(phone.call_sid)]


def test_enter_confirm_and_hear_the_answer(app: Any) -> None:
    phone = call(app)
    assert phone.listening is not None
    assert phone.listening.get("numDigits") == "6"
    assert phone.listening.get("finishOnKey") == ""  # a fixed length: # stays a global key
    assert phone.listening.get("input") == "dtmf speech"
    heard = phone.press("100001")
    assert text(heard).startswith("You entered 1 0 0 0 0 1. If that is right, press 1")
    action = phone.listening.get("action") if phone.listening is not None else ""
    assert "100001" not in (action or "")  # the number travels sealed
    assert parse_qs(urlsplit(action or "").query)["c"][0].startswith("lookup:confirm:")
    heard = phone.press("1")
    assert text(heard).startswith("Order 1 0 0 0 0 1 is on its way, delivery expected "
                                  "Wednesday, November 25. Total 42 euros and 50 cents.")
    assert phone.node == "main"  # then back to the menu
    assert ("order_status", "lookup", "****01", "found:go:main") in journey(app, phone)


def test_french_caller_says_the_digits(app: Any) -> None:
    phone = call(app, lang_key="2")
    heard = phone.say("un zéro zéro zéro zéro un")
    assert text(heard).startswith("Vous avez saisi 1 0 0 0 0 1.")
    heard = phone.say("oui")
    assert text(heard).startswith("La commande 1 0 0 0 0 1 est en route, livraison prévue "
                                  "mercredi 25 novembre. Total 42 euros et 50 centimes.")
    assert heard[0].locale == "fr-FR"


def test_romanian_answer_and_route_to_a_person_when_delayed(app: Any) -> None:
    phone = call(app, lang_key="3")
    phone.press("100002")
    heard = phone.press("1")
    assert text(heard).startswith("Comanda 1 0 0 0 0 2 este întârziată, livrare estimată "
                                  "duminică, 29 noiembrie. Total 19 euro și 99 de cenți.")
    assert phone.dialing is not None and phone.dialing.text == "+15005550006"


def test_re_enter_after_a_wrong_read_back(app: Any) -> None:
    phone = call(app)
    phone.press("100004")
    heard = phone.press("2")
    assert text(heard) == "Please enter your six digit order number."
    phone.press("100003")
    heard = phone.press("1")
    assert "Order 1 0 0 0 0 3 is delivered" in text(heard)
    lines = journey(app, phone)
    assert ("order_status", "confirm", "2", "no:again") in lines


def test_not_found_then_retry_then_fallback(app: Any) -> None:
    phone = call(app)
    phone.press("999999")
    heard = phone.press("1")
    assert text(heard).startswith("Sorry, I couldn't find anything for 9 9 9 9 9 9. Please "
                                  "enter your six digit order number.")
    phone.press("999998")
    heard = phone.press("1")
    assert "Thank you for calling. Goodbye." in text(heard)
    assert phone.ended
    lines = journey(app, phone)
    assert [line[3] for line in lines if line[1] == "lookup"] == ["not_found", "not_found"]
    assert ("order_status", "fallback", "", "go:goodbye") in lines


def test_second_factor_pin_before_personal_data(app: Any) -> None:
    phone = call(app, option="2")
    phone.press("20001234")
    heard = phone.press("1")
    assert text(heard) == "Now enter your four digit PIN."
    assert phone.listening is not None and phone.listening.get("input") == "dtmf"
    heard = phone.press("9999")
    assert text(heard).startswith("Sorry, those details don't match our records. Now enter")
    heard = phone.press("1234")
    assert text(heard).startswith("Books on loan: 2. Next due back Friday, November 27.")
    lines = journey(app, phone)
    assert ("loans", "verify", "", "pin:mismatch") in lines
    assert ("loans", "verify", "", "pin:match") in lines
    stored = repr(lines)
    assert "20001234" not in stored and "1234'" not in stored and "9999" not in stored
    assert ("loans", "lookup", "******34", "found:go:main") in lines
    urls = " ".join(e.url for e in phone.exchanges)
    assert "20001234" not in urls and "1234" not in urls


def test_caller_id_identifies_the_caller(app: Any) -> None:
    phone = call(app, option="3", caller="+15551230000")
    assert "Your latest order, 1 0 0 0 0 1, is shipped." in text(phone.heard)
    withheld = call(app, option="3", caller="anonymous")
    assert "can't see the number you are calling from" in text(withheld.heard)


def test_a_failing_source_apologises_and_falls_back(app: Any) -> None:
    lookups = app.extensions["ivr"].lookups
    gone = Connection("demo", "sqlite:////nonexistent-dir/orders.sqlite3", DEMO_TABLES)
    lookups.policy = replace(lookups.policy, connections={"demo": gone})
    phone = call(app)
    phone.press("100001")
    heard = phone.press("1")
    assert text(heard).startswith("Sorry, we can't check that right now. Let me find another "
                                  "way to help you.")
    assert phone.ended
    assert ("order_status", "lookup", "****01", "failed:sql") in journey(app, phone)


def test_journey_never_holds_a_full_identifier(app: Any) -> None:
    phone = call(app)
    phone.press("100001")
    phone.press("1")
    phone.press("1")
    phone.press("123456")
    phone.press("1")
    lines = journey(app, phone)
    outcomes = [line[3] for line in lines if line[1] == "lookup"]
    assert outcomes == ["found:go:main", "not_found"]
    assert "100001" not in repr(lines) and "123456" not in repr(lines)


@pytest.fixture
def demo_app(db_url: str, tmp_path: Path, clock: Clock,
             demo_connection: dict[str, str]) -> Iterator[Any]:
    from tests.conftest import ROOT

    engine = sa.create_engine(db_url)
    seed(engine, OPEN_TIME.date())
    engine.dispose()
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                           **demo_connection)
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def test_demo_shop_checks_an_order_from_the_seeded_table(demo_app: Any) -> None:
    phone = Phone(FlaskTransport(demo_app), TOKEN, called="+15005550006")
    phone.dial()
    phone.press("2")  # français
    phone.press("1")  # commandes
    phone.press("4")  # état d'une commande
    phone.press("100004")
    heard = phone.press("1")
    assert text(heard).startswith("La commande 1 0 0 0 0 4 est en préparation. La livraison est "
                                  "prévue le samedi 28 novembre. Le montant total est de 7 "
                                  "euros et 5 centimes.")
    assert phone.node == "orders"


def test_demo_library_reads_loans_after_the_pin(demo_app: Any) -> None:
    phone = Phone(FlaskTransport(demo_app), TOKEN, called="+15005550007")
    phone.dial()
    phone.press("1")
    phone.press("3")  # loans
    phone.press("4")  # what I have on loan
    phone.press("20005678")
    phone.press("1")
    heard = phone.press("1234")
    assert text(heard).startswith("Items on loan: 1. At least one was due back on Saturday, "
                                  "November 21 and is overdue")
