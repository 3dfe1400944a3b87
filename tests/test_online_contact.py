"""Leave a message or ask to be called back from a help page: the agents' inbox and queue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.answer.callbacks import callback_requests
from ivr.answer.texts import texts
from ivr.notify import outbox
from ivr.voicemail.store import VoicemailStore, voicemails
from tests.conftest import AGENT_PASSWORD, ROOT, Clock, empty_dashboard_tables, log_in, make_app, shutdown

SETTINGS = {"IVR_MENUS_DIR": str(ROOT / "menus"), "IVR_SMS_FROM": "+15005550006",
            "IVR_NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9/hook"}


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, **SETTINGS)
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def form_token(client: Any, lang: str = "en") -> str:
    html = client.get(f"/help/shop/contact?lang={lang}").get_data(as_text=True)
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def post(client: Any, lang: str = "en", **fields: str) -> Any:
    data = {"token": form_token(client, lang), **fields}
    return client.post(f"/help/shop/contact?lang={lang}", data=data)


def rows(app: Any, table: sa.Table) -> list[Any]:
    with app.extensions["ivr"].store.engine.connect() as conn:
        return list(conn.execute(sa.select(table)).all())


@pytest.mark.parametrize(("lang", "thanks"), [
    ("en", "Thank you. Your message is with our team"),
    ("fr", "Merci. Votre message est transmis à notre équipe"),
    ("ro", "Vă mulțumim. Mesajul a ajuns la echipa noastră")])
def test_a_web_message_lands_in_the_inbox_marked_web_and_is_notified(
        app: Any, lang: str, thanks: str) -> None:
    client = app.test_client()
    response = post(client, lang, kind="message", name="Ana", phone="0712 345 678",
                    email="ana@example.org", message="My parcel is late")
    assert response.status_code == 200
    assert thanks in response.get_data(as_text=True)
    [row] = rows(app, voicemails)
    assert (row.purpose, row.menu, row.lang, row.from_number) == ("web", "shop", lang,
                                                                  "+40712345678")
    assert row.transcript == "Name: Ana\nE-mail: ana@example.org\nMy parcel is late"
    assert row.recording_status == "absent"
    listed = VoicemailStore(app.extensions["ivr"].store.engine).list()
    assert [v["id"] for v in listed] == [row.id]  # in the agents' inbox
    assert [o.key for o in rows(app, outbox)] == [f"voicemail:{row.recording_sid}:webhook"]
    assert rows(app, texts) == []  # a typed number never gets an automatic text


def test_a_web_callback_request_joins_the_queue_without_a_receipt(app: Any) -> None:
    menu = app.extensions["ivr"].catalog.get("shop")
    assert menu.receipts  # the shop texts a receipt to callers who ask by phone
    response = post(app.test_client(), "ro", kind="callback", name="Ana Pop",
                    phone="+40712345678")
    assert response.status_code == 200
    [row] = rows(app, callback_requests)
    assert (row.number, row.number_source, row.menu, row.node, row.lang, row.status,
            row.caller_name) == ("+40712345678", "web", "shop", "call_back", "ro", "queued",
                                 "Ana Pop")
    assert rows(app, texts) == []


def test_the_dashboard_marks_web_items(app: Any, clock: Clock) -> None:
    post(app.test_client(), kind="message", email="a@example.org", message="Hello")
    post(app.test_client(), kind="callback", name="Ana", phone="+40712345678")
    app.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    agent = app.test_client()
    assert log_in(agent).status_code == 302
    inbox = agent.get("/dashboard/inbox").get_data(as_text=True)
    assert 'title="Left on the help pages">web</span>' in inbox
    queue = agent.get("/dashboard/callbacks").get_data(as_text=True)
    assert 'title="Typed on the help pages">web</span>' in queue


def test_bad_input_is_explained_and_nothing_kept(app: Any) -> None:
    client = app.test_client()
    response = post(client, kind="message", phone="12", message="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This is not a phone number we can call." in page
    assert "Please write your message." in page
    response = post(client, kind="callback", name="Ana", phone="+33899123456")  # premium rate
    assert response.status_code == 400
    response = client.post("/help/shop/contact", data={"token": "forged", "kind": "message",
                                                        "email": "a@example.org", "message": "x"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.post("/help/shop/contact", data={"kind": "other"}).status_code == 400
    assert rows(app, voicemails) == [] and rows(app, callback_requests) == []


def test_a_bot_filling_the_honeypot_is_thanked_and_ignored(app: Any) -> None:
    response = post(app.test_client(), kind="message", email="bot@example.org",
                    message="buy now", website="http://spam.example")
    assert response.status_code == 200
    assert rows(app, voicemails) == []


def test_forms_are_limited_per_address_and_site(db_url: str, tmp_path: Path, clock: Clock) -> None:
    app = make_app(db_url, tmp_path, clock, **SETTINGS, IVR_WEB_FORM_ADDRESS_LIMIT="2/hour",
                   IVR_WEB_FORM_GLOBAL_LIMIT="3/hour")
    try:
        client = app.test_client()
        for _ in range(2):
            assert post(client, kind="message", email="a@example.org", message="hi") \
                .status_code == 200
        response = post(client, kind="message", email="a@example.org", message="hi")
        assert response.status_code == 429
        other = app.test_client()
        response = other.post("/help/shop/contact", data={
            "token": form_token(other), "kind": "message", "email": "b@example.org",
            "message": "hi"}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert response.status_code == 200
        response = other.post("/help/shop/contact", data={
            "token": form_token(other), "kind": "message", "email": "c@example.org",
            "message": "hi"}, environ_base={"REMOTE_ADDR": "192.0.2.8"})
        assert response.status_code == 429  # the site's fourth this hour
        assert len(rows(app, voicemails)) == 3
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)


@pytest.mark.parametrize(("lang", "label", "needed"), [
    ("en", "Your name", "Please tell us whom to ask for when we call."),
    ("fr", "Votre nom", "Dites-nous qui demander quand nous appellerons."),
    ("ro", "Numele dumneavoastră", "Spuneți-ne pe cine să căutăm când sunăm.")])
def test_the_callback_form_asks_the_callers_name_and_agents_see_it(
        app: Any, clock: Clock, lang: str, label: str, needed: str) -> None:
    client = app.test_client()
    form = client.get(f"/help/shop/contact?lang={lang}").get_data(as_text=True)
    assert f'<label for="c-name">{label}</label>' in form
    assert re.search(r'<input type="text" id="c-name" name="name"[^>]* required', form)
    response = post(client, lang, kind="callback", phone="+40712345678")  # no name
    assert response.status_code == 400 and needed in response.get_data(as_text=True)
    assert 'aria-describedby="c-name-error"' in response.get_data(as_text=True)
    assert rows(app, callback_requests) == []
    assert post(client, lang, kind="callback", name="  Ana   Pop ",
                phone="+40712345678").status_code == 200
    [row] = rows(app, callback_requests)
    assert row.caller_name == "Ana Pop"
    app.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    agent = app.test_client()
    log_in(agent)
    assert "Ana Pop" in agent.get("/dashboard/callbacks").get_data(as_text=True)
    page = agent.get(f"/dashboard/callbacks/{row.id}").get_data(as_text=True)
    assert "Ask for <strong>Ana Pop</strong>" in page


def test_an_agent_answers_a_web_message_by_an_e_mail_link_or_by_text(app: Any,
                                                                      clock: Clock) -> None:
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    post(app.test_client(), kind="message", name="Ana", email="ana@example.org",
         message="My parcel is late.\nOrder 100001, please check.")
    post(app.test_client(), kind="message", phone="+40712345678", message="Call me")
    by_mail, by_phone = sorted(rows(app, voicemails), key=lambda r: r.id)
    app.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    agent = app.test_client()
    log_in(agent)
    page = agent.get(f"/dashboard/voicemails/{by_mail.id}").get_data(as_text=True)
    found = re.search(r'href="(mailto:[^"]+)" data-mailto', page)
    assert found is not None, page
    link = urlsplit(unescape(found.group(1)))
    assert link.path == "ana@example.org"
    fields = parse_qs(link.query)
    assert fields["subject"] == ["Your message to Northwind Shop customer service"]
    body = fields["body"][0]
    assert body.startswith("Hello Ana,")
    assert "> My parcel is late.\n> Order 100001, please check." in body
    # A message left with a phone number only: no e-mail link; the text reply is offered.
    page = agent.get(f"/dashboard/voicemails/{by_phone.id}").get_data(as_text=True)
    assert "data-mailto" not in page and "data-reply-form" in page


def test_only_a_well_formed_address_the_form_wrote_becomes_a_link() -> None:
    from ivr.online.mailto import reply_link, web_message

    assert web_message("Name: Ana\nE-mail: ana@example.org\nHi") == {
        "name": "Ana", "email": "ana@example.org", "message": "Hi"}
    # An address in the visitor's words is not the form's header line: no link.
    assert reply_link({"purpose": "web", "transcript": "Hi\nE-mail: x@example.org"}, "S") is None
    # A voicemail left by phone is never answered by e-mail, whatever its transcript says.
    assert reply_link({"purpose": None, "transcript": "E-mail: x@example.org\nHi"}, "S") is None
    # A header that would smuggle parameters into the link is refused.
    assert reply_link({"purpose": "web",
                       "transcript": "E-mail: x@example.org?bcc=y@example.org\nHi"}, "S") is None
