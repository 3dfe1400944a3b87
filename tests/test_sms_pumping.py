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
