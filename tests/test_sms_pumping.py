"""Callers must not choose who gets texts: opt-outs, countries, caps, keyed numbers (SMS pumping)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa

from ivr.answer import optouts
from ivr.answer.texts import texts, texts_about
from ivr.engine.texts import OPTED_OUT, QUEUED
from ivr.notify import outbox
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import OPEN_TIME, ROOT, TOKEN, Clock, make_app, shutdown
from tests.test_texts import ACCOUNT, MESSAGES_URL, MOBILE_FR, PUBLIC, _queue, _sender
from tests.test_texts import engine as engine  # noqa: F401 - the migrated database fixture
from tests.test_webhooks import post

SHOP = "+15005550006"  # the demo shop's line (US)


@pytest.fixture
def texting_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The demo menus with texts on (the tests' default countries: the demo's US, FR, RO)."""
    yield from _app(db_url, tmp_path, clock)


def _app(db_url: str, tmp_path: Path, clock: Clock, **overrides: Any) -> Iterator[Any]:
    from tests.conftest import empty_dashboard_tables

    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                           IVR_SMS_FROM="+15005550006", IVR_PUBLIC_URL=PUBLIC,
                           TWILIO_ACCOUNT_SID=ACCOUNT, **overrides)
    engine = application.extensions["ivr"].store.engine
    with engine.begin() as conn:
        for table in (texts, outbox, optouts.sms_opt_outs):
            conn.execute(sa.delete(table))
    yield application
    shutdown(application)


def ask_for_text(app: Any, caller: str, called: str = SHOP) -> tuple[Phone, str]:
    """A caller on the shop line goes to the returns answer and presses 1: "text me";
    returns the phone and what the caller heard right after."""
    phone = Phone(FlaskTransport(app, PUBLIC), TOKEN, base_url=PUBLIC, called=called,
                  caller=caller)
    phone.dial()
    phone.press("1")  # English
    phone.press("2")
    phone.press("1")
    assert phone.node == "how_to_return", phone.node
    heard = phone.press("1")  # text me
    return phone, " ".join(h.text for h in heard)


# ---- opt-outs ---------------------------------------------------------------------------


def test_an_opt_out_is_kept_per_number_and_an_opt_in_lifts_it(engine: sa.engine.Engine) -> None:
    assert not optouts.opted_out(engine, MOBILE_FR)
    assert optouts.record_opt_out(engine, "+33 6 12 34 56 78", optouts.STOP, OPEN_TIME)
    assert optouts.opted_out(engine, MOBILE_FR)
    assert optouts.record_opt_out(engine, MOBILE_FR, optouts.ERROR_21610, OPEN_TIME)  # again
    assert _queue(engine, MOBILE_FR, "k") == OPTED_OUT
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(texts)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 0
        [row] = conn.execute(sa.select(optouts.sms_opt_outs)).all()
    assert (row.number, row.source) == (MOBILE_FR, "error-21610")
    assert optouts.record_opt_in(engine, MOBILE_FR)
    assert not optouts.record_opt_in(engine, MOBILE_FR)  # nothing left to lift
    assert _queue(engine, MOBILE_FR, "k") == QUEUED
    assert not optouts.record_opt_out(engine, "anonymous", optouts.STOP, OPEN_TIME)
    with pytest.raises(ValueError):
        optouts.record_opt_out(engine, MOBILE_FR, "made-up", OPEN_TIME)
    assert [optouts.keyword(w) for w in ("stop", " Stop. ", "UNSTOP", "help", "stop it")] == [
        "stop", "stop", "start", "", ""]


@responses.activate
def test_twilios_refusal_21610_at_sending_is_kept_as_an_opt_out(engine: sa.engine.Engine) -> None:
    responses.post(MESSAGES_URL, status=400, json={
        "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400})
    assert _queue(engine, MOBILE_FR, "k") == QUEUED
    assert _sender(engine).send_due() == 0
    assert optouts.opted_out(engine, MOBILE_FR)
    assert _queue(engine, MOBILE_FR, "k2") == OPTED_OUT


def test_a_status_callback_with_21610_stops_every_later_text(texting_app: Any) -> None:
    engine = texting_app.extensions["ivr"].store.engine
    phone, _ = ask_for_text(texting_app, MOBILE_FR)
    [sent] = texts_about(engine, "call", phone.call_sid)
    sid = "SM" + "f" * 32
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": SHOP,
              "To": "+40712345678", "MessageStatus": "failed", "SmsStatus": "failed",
              "ErrorCode": "21610", "ApiVersion": "2010-04-01"}
    client = texting_app.test_client()
    assert post(client, f"{PUBLIC}/sms/status?t={sent['id']}", params).status_code == 204
    assert optouts.opted_out(engine, MOBILE_FR)
    assert not optouts.opted_out(engine, "+40712345678")  # the text's number, not the form's
    again, heard = ask_for_text(texting_app, MOBILE_FR)
    assert heard.startswith("Sorry, we cannot send a text to the number you are calling from.")
    assert texts_about(engine, "call", again.call_sid) == []


# ---- automatic texts: only to the number that called, in allowed countries, capped -------

DOMESTIC = [f"+1202555{100 + i:04d}" for i in range(10)]  # US: the demo lines' country
FOREIGN = [*(f"+3712000001{i}" for i in range(6)),  # Latvia
           *(f"+53512345{i:02d}" for i in range(6)),  # Cuba
           *(f"+2526123450{i}" for i in range(6)),  # Somalia
           *(f"+44740012340{i}" for i in range(6)),  # United Kingdom
           *(f"+4072123450{i}" for i in range(6))]  # Romania


@pytest.fixture
def lines_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The demo menus with texts on and the production default: the lines' own countries."""
    yield from _app(db_url, tmp_path, clock, IVR_SMS_COUNTRIES="")


def test_forty_callers_asking_for_a_text_only_the_ten_at_home_get_one(lines_app: Any) -> None:
    import phonenumbers

    assert len(FOREIGN) == 30 and all(
        phonenumbers.is_valid_number(phonenumbers.parse(n)) for n in DOMESTIC + FOREIGN)
    engine = lines_app.extensions["ivr"].store.engine
    refused = []
    for caller in DOMESTIC + FOREIGN:
        phone, heard = ask_for_text(lines_app, caller)
        if caller in FOREIGN:
            refused.append(heard.startswith("Sorry, we cannot send a text to the number you are "
                                            "calling from."))
    with engine.connect() as conn:
        texted = sorted(conn.execute(sa.select(texts.c.to_number)).scalars())
        queued = conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar()
    assert texted == sorted(DOMESTIC) and queued == 10
    assert refused == [True] * 30


def test_a_line_texts_at_most_its_hourly_cap_and_the_dashboard_warns(
        db_url: str, tmp_path: Path, clock: Clock) -> None:
    from datetime import timedelta

    from tests.conftest import AGENT_PASSWORD, log_in

    cap = 4
    app_iter = _app(db_url, tmp_path, clock, IVR_SMS_LINE_HOURLY_CAP=str(cap))
    app = next(app_iter)
    app.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    engine = app.extensions["ivr"].store.engine
    start = clock.now
    heard_after = []
    for i, caller in enumerate(DOMESTIC[:cap + 5]):
        clock.now = start + timedelta(minutes=6 * i)  # 9 callers within 48 minutes
        heard_after.append(ask_for_text(app, caller)[1])
    with engine.connect() as conn:
        texted = list(conn.execute(sa.select(texts.c.to_number).order_by(texts.c.id)).scalars())
    assert texted == DOMESTIC[:cap]
    assert all(h.startswith("Done: we are sending it") for h in heard_after[:cap])
    assert all(h.startswith("Sorry, we cannot send this text right now: this line has sent "
                            "all its texts for the hour.") for h in heard_after[cap:])
    client = app.test_client()
    log_in(client)
    page = client.get("/dashboard/inbox").get_data(as_text=True)
    assert "data-text-cap=\"shop\"" in page and "5 automatic texts refused" in page
    # An hour after the last refusal the warning is gone, and texts go out again.
    clock.now = start + timedelta(minutes=6 * (cap + 4) + 61)
    assert "data-text-cap" not in client.get("/dashboard/inbox").get_data(as_text=True)
    assert ask_for_text(app, DOMESTIC[9])[1].startswith("Done: we are sending it")
    next(app_iter, None)


def _callback_from(app: Any, caller: str, clock: Clock) -> Phone:
    """After hours on the shop line, "a person" offers a callback: the caller accepts."""
    clock.now = OPEN_TIME.replace(hour=22)
    phone = Phone(FlaskTransport(app, PUBLIC), TOKEN, base_url=PUBLIC, called=SHOP,
                  caller=caller)
    phone.dial()
    phone.press("1")
    phone.press("0")
    while phone.node != "call_back" and not phone.ended:
        phone.silence()
    phone.press("1")  # yes, call me back
    return phone


def _receipts(engine: sa.engine.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(texts.c.to_number)
                                 .where(texts.c.purpose == "receipt")).scalars())


def test_a_callback_receipt_never_goes_to_a_keyed_number(texting_app: Any, clock: Clock) -> None:
    engine = texting_app.extensions["ivr"].store.engine
    callbacks = texting_app.extensions["answer"].callbacks
    keyed = "+40721234567"  # in an allowed country: kept and called back, never texted
    withheld = _callback_from(texting_app, "anonymous", clock)
    withheld.press("0040721234567", finished_on="#")
    withheld.press("1")  # the number read back is right
    withheld.record(5)
    said_no = _callback_from(texting_app, MOBILE_FR, clock)
    said_no.press("2")  # not this number
    said_no.press("0040721234567", finished_on="#")
    said_no.press("1")
    said_no.record(5)
    assert [r["number_source"] for r in callbacks.for_number(keyed)] == ["keyed", "keyed"]
    assert _receipts(engine) == []


@pytest.mark.parametrize("keyed", ["008823421234", "00881612345678", "00870301234567",
                                   "00883510012345"])
def test_satellite_and_international_network_numbers_are_never_kept(
        texting_app: Any, clock: Clock, keyed: str) -> None:
    phone = _callback_from(texting_app, "anonymous", clock)
    heard = " ".join(h.text for h in phone.press(keyed, finished_on="#"))
    assert "we cannot call" in heard and phone.listening is not None  # asked again
    assert texting_app.extensions["answer"].callbacks.for_number("+" + keyed[2:]) == []


# ---- callbacks: only numbers in allowed countries, never special ranges ------------------

CALLBACK_LINE = "+15005550030"  # tests/menus/callback.yaml; the tests' countries: US, FR, RO


def test_a_foreign_caller_id_is_not_offered_and_foreign_keyed_numbers_are_refused(
        app: Any) -> None:
    from tests.test_callbacks import requests_of

    phone = Phone(FlaskTransport(app), TOKEN, called=CALLBACK_LINE, caller="+447400123401")
    phone.dial()
    phone.press("1")
    heard = " ".join(h.text for h in phone.press("1"))  # yes, call me back
    assert heard.startswith("Sorry, we cannot call back numbers in that country.")
    assert "key the phone number" in heard  # their own number is not read back
    heard = " ".join(h.text for h in phone.press("00447400123401", finished_on="#"))
    assert heard.startswith("Sorry, we cannot call back numbers in that country.")
    assert phone.listening is not None and phone.listening.get("input") == "dtmf"
    assert requests_of(app) == []
    phone.press("0612345678", finished_on="#")  # France: allowed
    phone.press("1")
    phone.record(3)
    assert [r["number"] for r in requests_of(app)] == ["+33612345678"]


def test_in_french_a_number_abroad_is_refused_in_french(app: Any) -> None:
    from tests.test_callbacks import requests_of

    phone = Phone(FlaskTransport(app), TOKEN, called=CALLBACK_LINE, caller="anonymous")
    phone.dial()
    phone.press("2")  # français
    phone.press("1")
    phone.press("1")
    phone.press("1")  # oui
    heard = " ".join(h.text for h in phone.press("005351234501", finished_on="#"))  # Cuba
    assert heard.startswith("Désolé, nous ne pouvons pas rappeler les numéros de ce pays.")
    heard = " ".join(h.text for h in phone.press("008823421234", finished_on="#"))
    assert heard.startswith("Désolé, nous ne pouvons pas appeler les numéros surtaxés")
    assert requests_of(app) == []  # two tries: on to the fallback, nothing kept


def test_a_menu_narrows_the_countries_and_cannot_widen_them() -> None:
    from ivr.answer.reach import Reach
    from ivr.menu.loader import MenuError, load_text

    text = (ROOT / "tests" / "menus" / "callback.yaml").read_text(encoding="utf-8")
    narrowed = load_text(text.replace("start: main", "start: main\ncountries: [fr, GB]"), "c.yaml")
    reach = Reach("US,FR,RO", dict)
    assert reach.for_menu(narrowed) == {"FR"}  # GB is not the operator's: not added
    assert reach.for_menu(None) == {"US", "FR", "RO"}
    lines = Reach("", lambda: {"c": narrowed})
    assert lines.operator() == {"US"}  # +15005550030: the line's own country
    with pytest.raises(MenuError) as found:
        load_text(text.replace("start: main", "start: main\ncountries: [France]"), "c.yaml")
    assert "c.yaml:8" in str(found.value) and "two-letter code" in str(found.value)


# ---- agents' texts ----------------------------------------------------------------------


def test_an_agents_reply_abroad_is_refused_and_one_at_home_is_kept_with_the_agent(
        db_url: str, tmp_path: Path, clock: Clock) -> None:
    from tests.conftest import AGENT_PASSWORD, add_voicemail, csrf_token_of, log_in

    app_iter = _app(db_url, tmp_path, clock)
    app = next(app_iter)
    app.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    engine = app.extensions["ivr"].store.engine
    client = app.test_client()
    log_in(client)
    for number, token in (("+447400123401", "f1"), ("+8823421234", "f2"), ("+40712345678", "f3")):
        vid = add_voicemail(app, from_number=number, lang="en", menu="shop",
                            call_sid=f"CA{token}")
        client.post(f"/dashboard/reply/voicemail/{vid}",
                    data={"csrf_token": csrf_token_of(client), "body": "We call you at 10.",
                          "token": token})
        page = client.get(f"/dashboard/voicemails/{vid}").get_data(as_text=True)
        if number.startswith("+44"):
            assert "Not sent: texts may not go to this number&#39;s country" in page
        elif number.startswith("+882"):
            assert "Not sent: texts may not go to this number (invalid, premium-rate" in page
        else:
            assert "Text queued" in page and "by <span data-text-agent>alice</span>" in page
    with engine.connect() as conn:
        rows = conn.execute(sa.select(texts.c.to_number, texts.c.sent_by)).all()
    alice = app.extensions["dashboard"].users.user_by_name("alice")["id"]
    assert [tuple(r) for r in rows] == [("+40712345678", alice)]
    next(app_iter, None)


# ---- `ivr check`: numbers written in menus --------------------------------------------

TRANSFER_MENU = """
menu: t
numbers: ["+33142685300"]
languages: {en: {}}
start: desk
nodes:
  desk:
    type: transfer
    say: "Putting you through."
    number: "{number}"
"""


@pytest.mark.parametrize(("number", "severity", "said"), [
    ("+33899123456", "error", "is a premium-rate number: it is never dialled"),
    ("+8823421234", "error", "is an international network number: it is never dialled"),
    ("+881612345678", "error", "is a satellite number: it is never dialled"),
    ("+447400123401", "warning", "is in GB, outside the countries calls and texts may go to "
                                 "(FR; IVR_SMS_COUNTRIES"),
])
def test_the_checker_points_at_numbers_never_dialled_and_countries_not_allowed(
        number: str, severity: str, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.menu.lint import lint
    from ivr.menu.loader import load_text

    monkeypatch.delenv("IVR_SMS_COUNTRIES", raising=False)  # the line's own country: FR
    menu = load_text(TRANSFER_MENU.replace("{number}", number), "t.yaml")
    found = [p for p in lint(menu, None) if "number" in p.message]
    assert [(p.severity, p.where.line) for p in found] == [(severity, 10)], found
    assert said in found[0].message
    assert "t.yaml:10" in str(found[0])
    fine = load_text(TRANSFER_MENU.replace("{number}", "+33612345678"), "t.yaml")
    assert [p for p in lint(fine, None) if "number" in p.message] == []
    monkeypatch.setenv("IVR_SMS_COUNTRIES", "FR,GB")  # the operator's list, from the environment
    assert [p.severity for p in lint(menu, None) if "number" in p.message] == [
        s for s in [severity] if s == "error"]


def test_a_menu_widening_the_countries_is_warned_and_the_demo_menus_stay_clean(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.menu.lint import check_paths, lint
    from ivr.menu.loader import load_text

    monkeypatch.setenv("IVR_SMS_COUNTRIES", "FR")
    text = TRANSFER_MENU.replace("{number}", "+33612345678").replace(
        "start: desk", "start: desk\ncountries: [FR, LV]")
    [warning] = [p for p in lint(load_text(text, "t.yaml"), None) if "countries" in p.message]
    assert warning.severity == "warning" and warning.where.line == 6
    assert "LV are not the operator's (FR" in warning.message
    monkeypatch.delenv("IVR_SMS_COUNTRIES")
    for folder in (ROOT / "menus", ROOT / "tests" / "menus"):
        problems, _ = check_paths(sorted(folder.glob("*.yaml")), ROOT / "prompts")
        assert not [p for p in problems if "never dialled" in p.message or "countries" in
                    p.message], problems


# ---- the US and Canada: fixed line or mobile -------------------------------------------


def test_a_us_number_is_texted_and_a_landline_refusal_is_kept_with_its_code(
        texting_app: Any) -> None:
    import phonenumbers

    us = "+12025550100"
    assert phonenumbers.number_type(phonenumbers.parse(us)) == \
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    engine = texting_app.extensions["ivr"].store.engine
    phone, heard = ask_for_text(texting_app, us)
    assert heard.startswith("Done: we are sending it")  # it may be a mobile: tried
    [text] = texts_about(engine, "call", phone.call_sid)
    sid = "SM" + "c" * 32
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": SHOP, "To": us,
              "MessageStatus": "undelivered", "SmsStatus": "undelivered", "ErrorCode": "30006",
              "ApiVersion": "2010-04-01"}
    assert post(texting_app.test_client(), f"{PUBLIC}/sms/status?t={text['id']}",
                params).status_code == 204
    [text] = texts_about(engine, "call", phone.call_sid)
    assert (text["status"], text["error_code"], text["status_words"]) == (
        "undelivered", "30006", "not delivered")
    assert not optouts.opted_out(engine, us)  # a landline is no opt-out


def test_development_allows_the_demos_countries_and_production_the_lines(tmp_path: Path) -> None:
    from ivr.config import env_settings, finalize

    for env, expected in (("development", "US,FR,RO"), ("production", "")):
        config: dict[str, Any] = {**env_settings({}), "IVR_ENV": env, "TWILIO_AUTH_TOKEN": TOKEN}
        finalize(config, tmp_path)
        assert config["IVR_SMS_COUNTRIES"] == expected
    config = {**env_settings({"IVR_SMS_COUNTRIES": "CA"}), "IVR_ENV": "development",
              "TWILIO_AUTH_TOKEN": TOKEN}
    finalize(config, tmp_path)
    assert config["IVR_SMS_COUNTRIES"] == "CA"  # the operator's choice wins


def test_a_menu_in_another_language_written_before_the_new_phrases_still_loads() -> None:
    import json

    from ivr.engine.messages import BUILTIN, MESSAGE_NAMES, TEXT_MESSAGE_NAMES
    from ivr.menu.loader import load_text
    from tests.test_texts import MENU

    german = MENU.replace("  ro: {}\n", "  de: {}\n").replace(', ro: "Deschidem la nouă."', "") \
        .replace(', ro: "Deschis 9-18"', "")
    given = {name: f"DE {name}" for name in (*MESSAGE_NAMES, *TEXT_MESSAGE_NAMES)}
    menu = load_text(german + "messages:\n  de:\n" + "".join(
        f"    {k}: {json.dumps(v)}\n" for k, v in given.items()), "t.yaml")
    assert menu.message("text_busy", "de") == "DE text_unavailable"
    assert menu.message("callback_abroad", "de") == "DE callback_refused"
    assert menu.message("text_busy", "en") == BUILTIN["en"]["text_busy"]
    assert BUILTIN["ro"]["callback_abroad"].startswith("Ne pare rău, nu putem suna înapoi")


def test_the_doctor_fails_on_a_country_list_with_words_that_are_no_codes() -> None:
    from ivr.ops.doctor import check_texts

    full = {"IVR_SMS_FROM": "+15005550006", "TWILIO_ACCOUNT_SID": ACCOUNT, "IVR_PUBLIC_URL": PUBLIC,
            "IVR_SMS_COUNTRIES": "US, fr"}
    [fine] = check_texts(full)
    assert fine.status == "ok" and "to US, fr" in fine.detail and "20 a line an hour" in fine.detail
    [wrong] = check_texts({**full, "IVR_SMS_COUNTRIES": "US,France"})
    assert wrong.status == "fail" and "France" in wrong.detail
