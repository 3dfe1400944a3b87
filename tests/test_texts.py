"""Texts to callers: "text me this", receipts, caps, refusals, sending and delivery status."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
import sqlalchemy as sa

from ivr.answer.texts import (
    TextSender,
    TextSettings,
    apply_status,
    get_text,
    queue,
    texts,
    texts_about,
)
from ivr.engine import core
from ivr.engine.texts import (
    ALREADY,
    CAPPED,
    NOT_MOBILE,
    OPTED_OUT,
    QUEUED,
    REFUSED,
    UNAVAILABLE,
    WITHHELD,
    TextRequest,
    segments,
    with_link,
)
from ivr.engine.types import CallState, Input, Speak
from ivr.menu.lint import lint
from ivr.menu.loader import MenuError, load_text
from ivr.notify import MAX_ATTEMPTS, Sender, outbox
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import OPEN_TIME, ROOT, TOKEN, Clock, make_app, shutdown
from tests.test_webhooks import post

ACCOUNT = "AC" + "1" * 32
MOBILE_FR, MOBILE_RO, LANDLINE_FR, PREMIUM_FR = ("+33612345678", "+40712345678", "+33142685300",
                                                 "+33899123456")
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
PUBLIC = "https://ivr.example.org"
SETTINGS = TextSettings(sms_from="+15005550006", daily_cap=3, public_url=PUBLIC)

MENU = """
menu: t
languages:
  en: {}
  fr: {}
  ro: {}
start: hours
global_keys: {"9": main}
nodes:
  hours:
    type: message
    say: {en: "We open at nine.", fr: "Nous ouvrons à neuf heures.", ro: "Deschidem la nouă."}
    text_me:
      body: {en: "Open 9-18: {link}", fr: "Ouvert 9h-18h : {link}", ro: "Deschis 9-18"}
      link: https://example.org/hours
      key: "5"
    next: bye
  bye:
    type: hangup
"""


class FakeTexts:
    """The engine's Texts port, answering a set verdict and remembering the requests."""

    def __init__(self, verdict: str) -> None:
        self.verdict = verdict
        self.requests: list[TextRequest] = []

    def request(self, text: TextRequest) -> str:
        self.requests.append(text)
        return self.verdict


def spoken(turn: Any) -> list[str]:
    """Every text the caller hears in a turn, Gather prompts included."""
    out: list[str] = []
    for action in turn.actions:
        for item in (*getattr(action, "prompts", ()), action):
            if isinstance(item, Speak):
                out.append(item.text)
    return out


# ---- the engine, on plain values -------------------------------------------------------


def test_the_offer_follows_the_answer_and_listens_for_the_words() -> None:
    menu = load_text(MENU, "t.yaml")
    turn = core.start(menu, OPEN_TIME)
    gather = turn.actions[0]
    assert spoken(turn) == ["We open at nine.",
                            "To get this by text message, press 5 or say text me."]
    assert gather.input == "dtmf speech" and "text me" in gather.hints


@pytest.mark.parametrize(("verdict", "heard"), [
    (QUEUED, "Done: we are sending it to your mobile phone by text message."),
    (ALREADY, "We have already sent you this text during this call."),
    (WITHHELD, "Sorry, your number is hidden, so we cannot send you a text."),
    (NOT_MOBILE, "Sorry, we can only send texts to mobile phones, and you are not calling "
                 "from one."),
    (REFUSED, "Sorry, we cannot send a text to the number you are calling from."),
    (CAPPED, "Sorry, this number has had all the texts we send in a day. Please try again "
             "tomorrow."),
    (UNAVAILABLE, "Sorry, we cannot send texts right now."),
])
def test_the_caller_hears_each_verdict_then_goes_on(verdict: str, heard: str) -> None:
    menu = load_text(MENU, "t.yaml")
    fake = FakeTexts(verdict)
    state = CallState("t", "hours", "en", started=int(OPEN_TIME.timestamp()))
    turn = core.step(menu, state, Input(digits="5"), OPEN_TIME, texts=fake)
    assert spoken(turn) == [heard, "Thank you for calling. Goodbye."]
    assert turn.ends_call  # next: bye (a hangup)
    assert fake.requests == [TextRequest("t", "hours", "en", "Open 9-18: https://example.org/hours")]
    assert [(s.event, s.input, s.outcome) for s in turn.steps][0] == ("text", "5", f"text:{verdict}")


@pytest.mark.parametrize(("lang", "said", "body", "heard"), [
    ("en", "can you text me that", "Open 9-18: https://example.org/hours", "Done:"),
    ("fr", "Envoyez-moi un SMS s'il vous plaît", "Ouvert 9h-18h : https://example.org/hours",
     "C'est fait"),
    ("ro", "trimiteți-mi un mesaj", "Deschis 9-18 https://example.org/hours", "Gata"),
])
def test_saying_it_asks_for_the_text_in_each_language(lang: str, said: str, body: str,
                                                      heard: str) -> None:
    menu = load_text(MENU, "t.yaml")
    fake = FakeTexts(QUEUED)
    state = CallState("t", "hours", lang, started=int(OPEN_TIME.timestamp()))
    turn = core.step(menu, state, Input(speech=said, confidence=0.9), OPEN_TIME, texts=fake)
    assert [r.body for r in fake.requests] == [body]
    assert spoken(turn)[0].startswith(heard)


def test_other_keys_and_speech_do_not_send_and_texts_off_is_said() -> None:
    menu = load_text(MENU, "t.yaml")
    fake = FakeTexts(QUEUED)
    state = CallState("t", "hours", "en", started=int(OPEN_TIME.timestamp()))
    core.step(menu, state, Input(digits="1"), OPEN_TIME, texts=fake)
    core.step(menu, state, Input(speech="what time do you close"), OPEN_TIME, texts=fake)
    ro = CallState("t", "hours", "ro", started=int(OPEN_TIME.timestamp()))
    core.step(menu, ro, Input(speech="vreau să las un mesaj"), OPEN_TIME, texts=fake)
    assert fake.requests == []
    turn = core.step(menu, state, Input(digits="5"), OPEN_TIME)  # no Texts port at all
    assert spoken(turn)[0] == "Sorry, we cannot send texts right now."


# ---- segments and the menu checker ------------------------------------------------------


def test_segments_are_measured_like_a_phone_does() -> None:
    assert (segments("a" * 160).count, segments("a" * 161).count) == (1, 2)
    assert segments("a" * 306).count == 2 and segments("a" * 307).count == 3  # 153 a part
    assert segments("€" * 80).units == 160 and segments("€" * 80).count == 1  # escaped: 2 each
    ro = segments("ș" + "a" * 69)
    assert (ro.encoding, ro.count, ro.first_ucs2) == ("UCS-2", 1, "ș")
    assert segments("ș" + "a" * 70).count == 2 and segments("ș" * 134).count == 2
    assert segments("ș" * 135).count == 3  # 67 a part
    assert with_link("See {link} now", "https://x.org") == "See https://x.org now"
    assert with_link("See", "https://x.org") == "See https://x.org"


def test_the_checker_warns_about_long_and_missing_texts_with_lines() -> None:
    text = MENU.replace('ro: "Deschis 9-18"', 'ro: "Deschis de luni până vineri între 9 și 18, '
                        'sâmbătă între 10 și 14, duminică închis."').replace(
        'fr: "Ouvert 9h-18h : {link}", ', "")  # the French text is left out
    menu = load_text(text, "t.yaml")
    found = [str(p) for p in lint(menu, None)]
    assert any("t.yaml:14:7:" in p and "text_me has no text in fr" in p for p in found), found
    assert any("'hours' text_me (ro) is 109 characters and takes 2 SMS segments (UCS-2 because "
               "of 'â'" in p for p in found), found
    assert not any("(en)" in p for p in found)


def test_the_loader_points_at_bad_text_settings() -> None:
    bad = MENU.replace("link: https://example.org/hours", "link: example.org").replace(
        'key: "5"', 'key: "55"').replace("ro: \"Deschis 9-18\"", "de: \"Offen\"")
    with pytest.raises(MenuError) as caught:
        load_text(bad, "t.yaml")
    found = "\n".join(str(p) for p in caught.value.problems)
    assert "t.yaml:15:13: error: link must be an http(s) address" in found
    assert "t.yaml:16:12: error: a key is one of 0-9" in found
    assert "t.yaml:14:69: error: language 'de' is not declared" in found


def test_a_language_without_built_in_text_phrases_is_warned_only_when_texts_are_offered(
) -> None:
    german = MENU.replace("  ro: {}\n", "  de: {}\n").replace(', ro: "Deschidem la nouă."', "") \
        .replace(', ro: "Deschis 9-18"', "")
    from ivr.engine.messages import BUILTIN, MESSAGE_NAMES

    plain = {name: BUILTIN["en"][name] for name in MESSAGE_NAMES}
    with_messages = german + "messages:\n  de:\n" + "".join(
        f"    {k}: {json.dumps(v)}\n" for k, v in plain.items())
    menu = load_text(with_messages, "t.yaml")
    [note] = menu.notes
    assert note.severity == "warning" and "language 'de' has no phrase for: text_offer" in \
        note.message
    assert menu.message("text_offer", "de") == menu.message("text_offer", "en")
    without_texts = with_messages.split("    text_me:")[0] + "    next: bye\n  bye:\n    " \
        "type: hangup\n" + with_messages.split("type: hangup\n")[1]
    quiet = load_text(without_texts, "t.yaml")
    assert quiet.nodes["hours"].text_me is None and quiet.notes == ()


# ---- the log: caps, refusals, idempotency ----------------------------------------------


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.engine.Engine]:
    from tests.conftest import upgraded

    upgraded(db_url)
    found = sa.create_engine(db_url)
    with found.begin() as conn:
        conn.execute(sa.delete(texts))
        conn.execute(sa.delete(outbox))
    yield found
    found.dispose()


def _queue(engine: sa.engine.Engine, number: str, key: str, when: Any = OPEN_TIME,
           settings: TextSettings = SETTINGS) -> str:
    return queue(engine, settings, key=key, purpose="text_me", kind="call", ref="CA1",
                 number=number, body="Open 9-18", now=when, menu="t", lang="en")


def test_refusals_never_reach_the_log(engine: sa.engine.Engine) -> None:
    assert _queue(engine, "anonymous", "a") == WITHHELD
    assert _queue(engine, "", "b") == WITHHELD
    assert _queue(engine, LANDLINE_FR, "c") == NOT_MOBILE
    assert _queue(engine, PREMIUM_FR, "d") == REFUSED
    assert _queue(engine, "+15551230000", "e") == REFUSED  # not a valid number
    assert _queue(engine, MOBILE_FR, "f", settings=TextSettings()) == UNAVAILABLE
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(texts)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 0


def test_each_number_gets_at_most_the_daily_cap_in_24_hours(engine: sa.engine.Engine) -> None:
    assert [_queue(engine, MOBILE_FR, f"k{i}") for i in range(4)] == [QUEUED] * 3 + [CAPPED]
    assert _queue(engine, MOBILE_FR, "k0") == ALREADY  # the same request is never queued twice
    assert _queue(engine, MOBILE_RO, "other") == QUEUED  # another number has its own count
    later = OPEN_TIME + timedelta(hours=23, minutes=59)
    assert _queue(engine, "+33 6 12 34 56 78", "k5", later) == CAPPED  # same number, written apart
    assert _queue(engine, MOBILE_FR, "k6", OPEN_TIME + timedelta(hours=24, seconds=1)) == QUEUED
    with engine.connect() as conn:
        rows = conn.execute(sa.select(texts.c.to_number, texts.c.status, texts.c.segments,
                                      texts.c.encoding).order_by(texts.c.id)).all()
        keys = conn.execute(sa.select(outbox.c.key, outbox.c.channel).order_by(outbox.c.id)).all()
    assert [r.to_number for r in rows] == [MOBILE_FR] * 3 + [MOBILE_RO, MOBILE_FR]
    assert {(r.status, r.segments, r.encoding) for r in rows} == {("pending", 1, "GSM-7")}
    assert [k.channel for k in keys] == ["text"] * 5


def test_a_text_twilio_refused_does_not_count_against_the_cap(engine: sa.engine.Engine) -> None:
    assert [_queue(engine, MOBILE_FR, f"k{i}") for i in range(3)] == [QUEUED] * 3
    with engine.begin() as conn:
        conn.execute(sa.update(texts).where(texts.c.key == "k0").values(status="failed"))
    assert _queue(engine, MOBILE_FR, "k3") == QUEUED


# ---- sending through Twilio's REST API -------------------------------------------------


def _sender(engine: sa.engine.Engine, settings: TextSettings = SETTINGS,
            when: Any = OPEN_TIME + timedelta(seconds=5)) -> Sender:
    from twilio.rest import Client

    from ivr.notify import Channels

    sender = Sender(engine, Channels(), clock=lambda: when)
    sender.register("text", TextSender(engine, settings, lambda: Client(ACCOUNT, TOKEN),
                                       lambda: when).channel())
    return sender


@responses.activate
def test_the_worker_sends_with_a_status_callback_and_never_twice(engine: sa.engine.Engine) -> None:
    responses.post(MESSAGES_URL, json={"sid": "SM" + "a" * 32, "status": "queued"}, status=201)
    assert _queue(engine, MOBILE_FR, "k") == QUEUED
    sender = _sender(engine)
    assert sender.send_due() == 1
    assert len(responses.calls) == 1
    sent = parse_qs(responses.calls[0].request.body)
    assert sent == {"To": [MOBILE_FR], "From": ["+15005550006"], "Body": ["Open 9-18"],
                    "StatusCallback": [f"{PUBLIC}/sms/status?t=1"]}
    text = texts_about(engine, "call", "CA1")[0]
    assert (text["status"], text["message_sid"]) == ("queued", "SM" + "a" * 32)
    # The outbox row was lost after the send (a crash): delivering it again sends nothing.
    TextSender(engine, SETTINGS, None, lambda: OPEN_TIME).deliver({"text_id": text["id"]})
    assert len(responses.calls) == 1


@responses.activate
def test_a_messaging_service_sends_instead_of_a_number(engine: sa.engine.Engine) -> None:
    responses.post(MESSAGES_URL, json={"sid": "SM" + "b" * 32, "status": "accepted"}, status=201)
    service = TextSettings(messaging_service_sid="MG" + "2" * 32, daily_cap=3)
    queue(engine, service, key="r", purpose="reply", kind="voicemail", ref="7", number=MOBILE_RO,
          body="Vă sunăm mâine.", now=OPEN_TIME, sent_by=1)
    assert _sender(engine, service).send_due() == 1
    assert parse_qs(responses.calls[0].request.body) == {
        "To": [MOBILE_RO], "MessagingServiceSid": ["MG" + "2" * 32], "Body": ["Vă sunăm mâine."]}
    assert texts_about(engine, "voicemail", 7)[0]["encoding"] == "UCS-2"


@responses.activate
def test_an_opted_out_number_fails_at_once_with_twilios_reason(engine: sa.engine.Engine) -> None:
    responses.post(MESSAGES_URL, status=400, json={
        "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400,
        "more_info": "https://www.twilio.com/docs/errors/21610"})
    _queue(engine, MOBILE_FR, "k")
    assert _sender(engine).send_due() == 0
    text = texts_about(engine, "call", "CA1")[0]
    assert (text["status"], text["error_code"]) == ("failed", "21610")
    assert "unsubscribed" in text["error"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(outbox)).one()
    assert (row.status, row.attempts) == ("failed", 1)  # no retry: STOP stays STOP
    assert _queue(engine, MOBILE_FR, "k2") == OPTED_OUT  # nothing more is queued to it
    from ivr.answer.optouts import record_opt_in

    assert record_opt_in(engine, MOBILE_FR)  # START: and the refused text used no cap
    assert [_queue(engine, MOBILE_FR, f"k{i}") for i in range(3, 6)] == [QUEUED] * 3


@responses.activate
def test_a_twilio_outage_is_retried_with_backoff_then_given_up(engine: sa.engine.Engine) -> None:
    responses.post(MESSAGES_URL, status=503, json={"code": 20503, "message": "Unavailable",
                                                   "status": 503})
    _queue(engine, MOBILE_FR, "k")
    when = OPEN_TIME
    for attempt in range(MAX_ATTEMPTS):
        when += timedelta(hours=2)
        assert _sender(engine, when=when).send_due() == 0
        status = texts_about(engine, "call", "CA1")[0]["status"]
        assert status == ("failed" if attempt == MAX_ATTEMPTS - 1 else "pending")
    assert len(responses.calls) == MAX_ATTEMPTS


# ---- status callbacks -------------------------------------------------------------------


def test_statuses_only_move_forward_and_apply_once(engine: sa.engine.Engine) -> None:
    _queue(engine, MOBILE_FR, "k")
    sid = "SM" + "c" * 32
    assert apply_status(engine, 1, "queued", OPEN_TIME, message_sid=sid)
    assert apply_status(engine, 1, "delivered", OPEN_TIME, message_sid=sid)
    assert not apply_status(engine, 1, "delivered", OPEN_TIME, message_sid=sid)  # a retry
    assert not apply_status(engine, 1, "sent", OPEN_TIME, message_sid=sid)  # late: no regress
    assert not apply_status(engine, 1, "undelivered", OPEN_TIME, message_sid="SM" + "d" * 32)
    assert not apply_status(engine, 1, "bogus", OPEN_TIME, message_sid=sid)
    assert get_text(engine, 1)["status"] == "delivered"  # type: ignore[index]


@pytest.fixture
def texting_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    from tests.conftest import empty_dashboard_tables

    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                           IVR_SMS_FROM="+15005550006", IVR_PUBLIC_URL=PUBLIC,
                           TWILIO_ACCOUNT_SID=ACCOUNT)
    engine = application.extensions["ivr"].store.engine
    with engine.begin() as conn:
        conn.execute(sa.delete(texts))
        conn.execute(sa.delete(outbox))
    yield application
    shutdown(application)


def test_the_status_callback_is_signed_and_applied_out_of_order(texting_app: Any) -> None:
    engine = texting_app.extensions["ivr"].store.engine
    _queue(engine, MOBILE_FR, "k")
    text_id = texts_about(engine, "call", "CA1")[0]["id"]
    client = texting_app.test_client()
    url = f"{PUBLIC}/sms/status?t={text_id}"
    sid = "SM" + "e" * 32

    def report(status: str, **extra: str) -> int:
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": "+15005550006",
                  "To": MOBILE_FR, "MessageStatus": status, "SmsStatus": status,
                  "ApiVersion": "2010-04-01", **extra}
        return int(post(client, url, params).status_code)

    assert report("delivered") == 204
    assert report("sent") == 204  # arrives late
    assert report("delivered") == 204  # retried
    assert texts_about(engine, "call", "CA1")[0]["status"] == "delivered"
    forged = client.post(f"/sms/status?t={text_id}", base_url=PUBLIC,
                         data={"MessageSid": sid, "MessageStatus": "failed"},
                         headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert forged.status_code == 403
    assert report("failed", ErrorCode="30006") == 204  # a terminal status never replaces another
    assert texts_about(engine, "call", "CA1")[0]["status"] == "delivered"
    assert post(client, f"{PUBLIC}/sms/status?t=abc", {"MessageStatus": "sent"}).status_code == 204


# ---- through the webhooks: the demo menus in every language -----------------------------

DEMO_PATHS = [  # (menu's number, language key, keys to the answer, what the text says)
    ("+15005550006", "1", "21", "Northwind returns: 30 days, free label. Print it at "
                                "https://shop.example.com/returns"),
    ("+15005550006", "2", "21", "Retours Northwind : 30 jours, étiquette gratuite. Imprimez-la "
                                "sur https://shop.example.com/returns"),
    ("+15005550006", "3", "21", "Retur Northwind: 30 de zile, eticheta gratuita. Tipariti-o de pe "
                                "https://shop.example.com/returns"),
    ("+15005550007", "1", "1", "City Library: Tue-Fri 10-19, Sat 10-18, Sun 14-18, closed "
                               "Mondays. https://library.example.org/hours"),
    ("+15005550007", "2", "1", "Bibliothèque : mar-ven 10h-19h, sam 10h-18h, dim 14h-18h, "
                               "fermée le lundi. https://library.example.org/hours"),
    ("+15005550007", "3", "1", "Biblioteca: Ma-Vi 10-19, Sa 10-18, Du 14-18, luni inchis. "
                               "https://library.example.org/hours"),
]
SENT = {"1": "Done: we are sending it", "2": "C'est fait : nous vous l'envoyons",
        "3": "Gata, vi-l trimitem"}
NOT_MOBILE_HEARD = {"1": "we can only send texts to mobile phones",
                    "2": "nous envoyons des SMS uniquement aux mobiles",
                    "3": "trimitem SMS doar pe telefoane mobile"}


@pytest.mark.parametrize(("called", "lang_key", "keys", "body"), DEMO_PATHS)
def test_demo_answers_text_the_caller_in_their_language(texting_app: Any, called: str,
                                                        lang_key: str, keys: str,
                                                        body: str) -> None:
    engine = texting_app.extensions["ivr"].store.engine
    phone = Phone(FlaskTransport(texting_app, PUBLIC), TOKEN, base_url=PUBLIC, called=called,
                  caller=MOBILE_FR)
    phone.dial()
    phone.press(lang_key)
    for key in keys:
        heard = phone.press(key)
    assert phone.node in ("how_to_return", "opening_hours")
    assert "text message" in heard[-1].text or "SMS" in heard[-1].text  # the offer, last
    heard = phone.press("1")
    assert heard[0].text.startswith(SENT[lang_key])
    assert not phone.ended
    heard = phone.press("1")  # once more: not sent twice in one call
    assert [t["body"] for t in texts_about(engine, "call", phone.call_sid)] == [body]
    landline = Phone(FlaskTransport(texting_app, PUBLIC), TOKEN, base_url=PUBLIC, called=called,
                     caller=LANDLINE_FR)
    landline.dial()
    landline.press(lang_key)
    for key in keys:
        landline.press(key)
    assert NOT_MOBILE_HEARD[lang_key] in landline.press("1")[0].text
    assert texts_about(engine, "call", landline.call_sid) == []


def test_a_voicemail_from_a_mobile_gets_the_menus_receipt(texting_app: Any, clock: Clock) -> None:
    clock.now = OPEN_TIME.replace(hour=22)  # the shop is closed: "a person" leads to voicemail
    engine = texting_app.extensions["ivr"].store.engine
    for caller, expected in ((MOBILE_RO, 1), (LANDLINE_FR, 0)):
        phone = Phone(FlaskTransport(texting_app, PUBLIC), TOKEN, base_url=PUBLIC,
                      called="+15005550006", caller=caller)
        phone.dial()
        phone.press("3")
        phone.press("0")
        while phone.recording is None and not phone.ended:
            phone.silence()
        phone.record(15)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(texts).where(texts.c.purpose == "receipt",
                                                       texts.c.to_number == caller)).all()
        assert len(rows) == expected
        if expected:
            assert rows[0].body == "Northwind: am primit mesajul. Raspundem L-V 9-18, S 10-14."
            assert rows[0].kind == "voicemail" and rows[0].lang == "ro"


def test_the_doctor_checks_the_text_settings() -> None:
    from ivr.ops.doctor import check_texts

    assert check_texts({}) == []
    full = {"IVR_SMS_FROM": "+15005550006", "TWILIO_ACCOUNT_SID": ACCOUNT, "IVR_PUBLIC_URL": PUBLIC,
            "IVR_SMS_DAILY_CAP": "3"}
    assert [f.status for f in check_texts(full)] == ["ok"]
    assert [f.status for f in check_texts({**full, "IVR_SMS_FROM": "Northwind"})] == ["fail"]
    assert [f.status for f in check_texts({**full, "TWILIO_ACCOUNT_SID": ""})] == ["fail"]
    missing_url = check_texts({**full, "IVR_PUBLIC_URL": ""})
    assert [f.status for f in missing_url] == ["warn"] and "status callback" in missing_url[0].detail


def test_concurrent_requests_for_one_number_never_pass_the_cap(engine: sa.engine.Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda i: _queue(engine, MOBILE_FR, f"c{i}"), range(8)))
    assert sorted(verdicts) == sorted([QUEUED] * 3 + [CAPPED] * 5)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(texts)).scalar() == 3
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 3


def test_a_callback_request_gets_one_receipt_and_its_reason_none_as_a_voicemail(
        texting_app: Any, clock: Clock) -> None:
    clock.now = OPEN_TIME.replace(hour=22)  # the shop is closed: "a person" offers a callback
    engine = texting_app.extensions["ivr"].store.engine
    phone = Phone(FlaskTransport(texting_app, PUBLIC), TOKEN, base_url=PUBLIC,
                  called="+15005550006", caller=MOBILE_RO)
    phone.dial()
    phone.press("3")
    phone.press("0")
    while phone.node != "call_back" and not phone.ended:
        phone.silence()  # "we are closed", then the offer
    phone.press("1")  # yes, call me back
    phone.press("1")  # the number read back is right
    assert phone.recording is not None  # the reason, after the beep
    phone.record(6)
    [request] = texting_app.extensions["answer"].callbacks.for_number(MOBILE_RO)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(texts).where(texts.c.purpose == "receipt",
                                                   texts.c.to_number == MOBILE_RO)).all()
    assert [(r.kind, r.ref, r.lang) for r in rows] == [("callback", str(request["id"]), "ro")]
    assert rows[0].body == "Northwind: am primit mesajul. Raspundem L-V 9-18, S 10-14."


@pytest.mark.parametrize(("lang_key", "said", "offer", "body"), [
    ("1", "les miserables by victor hugo", "press 4 or say text me",
     "Les Misérables, by Victor Hugo. Shelf mark 843 HUG. On the shelf: Central 1, Northside "
     "2, Riverside 0. https://library.example.org/catalogue/L0338"),
    ("2", "les misérables de victor hugo", "tapez 4",
     "Les Misérables, de Victor Hugo. Cote 843 HUG. En rayon : Central 1, Northside 2, "
     "Riverside 0. https://library.example.org/catalogue/L0338"),
])
def test_a_searched_item_is_texted_on_request(texting_app: Any, lang_key: str, said: str,
                                              offer: str, body: str) -> None:
    engine = texting_app.extensions["ivr"].store.engine
    phone = Phone(FlaskTransport(texting_app, PUBLIC), TOKEN, base_url=PUBLIC,
                  called="+15005550007", caller=MOBILE_FR)
    phone.dial()
    phone.press(lang_key)
    phone.press("7")
    assert phone.node == "catalogue_search"
    heard = " ".join(h.text for h in phone.say(said))
    assert "Les Misérables, " in heard and offer not in heard  # offered after the details
    heard = " ".join(h.text for h in phone.press("1"))
    assert "843 HUG" in heard and offer in heard
    assert texts_about(engine, "call", phone.call_sid) == []  # nothing sent unasked
    heard = " ".join(h.text for h in phone.press("4"))
    assert heard.startswith(SENT[lang_key]) and not phone.ended
    assert phone.node == "catalogue_search"  # still listening for a pick or a new search
    phone.press("4")  # the same item again: not sent twice
    assert [t["body"] for t in texts_about(engine, "call", phone.call_sid)] == [body]
    # An exact title is read alone; a search by the author lists several works: another
    # result's details, then "text me" by voice.
    heard = " ".join(h.text for h in phone.say("victor hugo"))
    listed = re.split(r"\s*\d ?: ", heard)  # "2: " in English, "2 : " in French
    assert len(listed) > 2, heard
    second = listed[2].split(",")[0]
    phone.press("2")
    heard = " ".join(h.text for h in phone.say("text me" if lang_key == "1" else "par sms"))
    assert heard.startswith(SENT[lang_key])
    sent = [t["body"] for t in texts_about(engine, "call", phone.call_sid)]
    assert len(sent) == 2 and sent[0] == body and sent[1].startswith(second), (sent, second)


def test_a_text_offer_on_a_search_is_checked_at_its_line() -> None:
    from ivr.menu.loader import MenuError, load_text

    menu = (ROOT / "tests" / "menus" / "search.yaml").read_text(encoding="utf-8")
    good = menu.replace("    next: main\n  books_sql:", "    text_me:\n      body: "
                        "\"{title}, shelf {shelf} {link}\"\n      link: https://l.example/{key}\n"
                        "    next: main\n  books_sql:", 1)
    node = load_text(good, "search.yaml").nodes["books"]
    assert node.text_me is not None and node.text_me.key == "4"
    clash = good.replace("      link: https://l.example/{key}\n",
                         "      link: https://l.example/{key}\n      key: \"7\"\n", 1)
    with pytest.raises(MenuError) as caught:
        load_text(clash, "search.yaml")
    line = clash[:clash.index('key: "7"\n    next')].count("\n") + 1
    assert f"search.yaml:{line}" in str(caught.value) and "already a refinement's" in str(caught.value)
    with pytest.raises(MenuError) as caught:
        load_text(good.replace("shelf {shelf} {link}", "shelf {shelf:nope}"), "search.yaml")
    assert "search.yaml:" in str(caught.value)
