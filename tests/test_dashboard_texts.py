"""Replies by SMS from the dashboard, and the text templates admins keep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.answer.templates import sms_templates
from ivr.answer.texts import texts, texts_about
from ivr.notify import outbox
from tests.conftest import (
    ADMIN_PASSWORD,
    Clock,
    add_voicemail,
    csrf_token_of,
    empty_dashboard_tables,
    log_in,
    make_app,
    shutdown,
)

MOBILE_RO, LANDLINE_FR = "+40712345678", "+33142685300"


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_SMS_FROM="+15005550006",
                           IVR_PUBLIC_URL="https://ivr.example.org")
    engine = application.extensions["ivr"].store.engine
    with engine.begin() as conn:
        for table in (texts, sms_templates, outbox):
            conn.execute(sa.delete(table))
    users = application.extensions["dashboard"].users
    users.add_user("alice", "agent-password-1", "agent", clock())
    users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    yield application
    shutdown(application)


def _reply(client: Any, voicemail_id: int, **form: str) -> Any:
    return client.post(f"/dashboard/reply/voicemail/{voicemail_id}",
                       data={"csrf_token": csrf_token_of(client), **form})


def test_an_agent_replies_to_a_voicemail_once_per_form(app: Any) -> None:
    engine = app.extensions["ivr"].store.engine
    vid = add_voicemail(app, from_number=MOBILE_RO, lang="ro")
    client = app.test_client()
    log_in(client)
    page = client.get(f"/dashboard/voicemails/{vid}").get_data(as_text=True)
    assert "Reply by SMS" in page and "No texts yet." in page
    answer = _reply(client, vid, body="Vă sunăm mâine la 10.", token="form-1")
    assert answer.status_code == 302 and answer.location.endswith(f"/dashboard/voicemails/{vid}#texts")
    assert _reply(client, vid, body="Vă sunăm mâine la 10.", token="form-1").status_code == 302
    sent = texts_about(engine, "voicemail", vid)
    assert [(t["body"], t["to_number"], t["purpose"], t["lang"]) for t in sent] == [
        ("Vă sunăm mâine la 10.", MOBILE_RO, "reply", "ro")]
    alice = app.extensions["dashboard"].users.user_by_name("alice")
    assert sent[0]["sent_by"] == alice["id"]
    from ivr.answer.texts import TextSettings, queue

    queue(engine, TextSettings(sms_from="+15005550006"), key="text_me:CA0000:hours",
          purpose="text_me", kind="call", ref="CA0000", number=MOBILE_RO, body="Program: L-V 9-18",
          now=sent[0]["created_at"])  # asked for during the call that left the voicemail
    page = client.get(f"/dashboard/voicemails/{vid}").get_data(as_text=True)
    assert "This reply was already sent." in page  # the second post of the same form
    assert "waiting to be sent" in page and "1 segment (UCS-2)" in page
    assert "Program: L-V 9-18" in page and "Asked for during the call" in page


def test_a_reply_to_a_landline_or_unknown_item_is_refused_clearly(app: Any) -> None:
    vid = add_voicemail(app, from_number=LANDLINE_FR, lang="fr")
    client = app.test_client()
    log_in(client)
    _reply(client, vid, body="Bonjour", token="t1")
    page = client.get(f"/dashboard/voicemails/{vid}").get_data(as_text=True)
    assert "Not sent: the caller&#39;s number is not a mobile." in page
    assert texts_about(app.extensions["ivr"].store.engine, "voicemail", vid) == []
    assert _reply(client, 999999, body="x", token="t2").status_code == 404
    assert client.post("/dashboard/reply/order/1", data={
        "csrf_token": csrf_token_of(client), "body": "x", "token": "t"}).status_code == 404
    assert _reply(client, vid, body="", token="t3").status_code == 400
    assert _reply(client, vid, body="x" * 1601, token="t4").status_code == 400
    assert _reply(client, vid, body="x", token="").status_code == 400
    assert app.test_client().post(f"/dashboard/reply/voicemail/{vid}").status_code in (302, 401)


def test_admins_keep_templates_and_agents_send_them(app: Any) -> None:
    client = app.test_client()
    log_in(client, "root", ADMIN_PASSWORD)
    token = csrf_token_of(client)
    assert client.post("/dashboard/admin/texts", data={
        "csrf_token": token, "name": "Call back", "lang": "ro",
        "body": "Vă sunăm înapoi mâine."}).status_code == 302
    assert client.post("/dashboard/admin/texts", data={
        "csrf_token": token, "name": "Call back", "lang": "en",
        "body": "We will call you back tomorrow."}).status_code == 302
    clash = client.post("/dashboard/admin/texts", data={
        "csrf_token": token, "name": "Call back", "lang": "ro", "body": "Again"})
    assert clash.status_code == 400 and "already a ro template called Call back" in \
        clash.get_data(as_text=True)
    page = client.get("/dashboard/admin/texts").get_data(as_text=True)
    assert "1 (UCS-2, 22 characters)" in page and "1 (GSM-7, 31 characters)" in page
    engine = app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        ro_id, en_id = (conn.execute(sa.select(sms_templates.c.id).where(
            sms_templates.c.lang == lang)).scalar_one() for lang in ("ro", "en"))
    assert client.post("/dashboard/admin/texts", data={
        "csrf_token": token, "template_id": str(ro_id), "name": "Call back", "lang": "ro",
        "body": "Vă sunăm mâine."}).status_code == 302
    assert client.post(f"/dashboard/admin/texts/{en_id}/delete",
                       data={"csrf_token": token}).status_code == 302

    agent = app.test_client()
    log_in(agent)
    assert agent.get("/dashboard/admin/texts").status_code == 403
    assert agent.post("/dashboard/admin/texts", data={
        "csrf_token": csrf_token_of(agent), "name": "x", "lang": "en", "body": "x"}).status_code == 403
    vid = add_voicemail(app, from_number=MOBILE_RO, lang="ro")
    page = agent.get(f"/dashboard/voicemails/{vid}").get_data(as_text=True)
    assert 'data-body="Vă sunăm mâine."' in page and "We will call you back" not in page
    _reply(agent, vid, template=str(ro_id), body="", token="f")  # no script: the template's text
    assert [t["body"] for t in texts_about(engine, "voicemail", vid)] == ["Vă sunăm mâine."]


def test_the_callers_path_says_when_they_asked_for_a_text() -> None:
    from ivr.dashboard.journey import describe

    pressed = describe({"node": "how_to_return", "event": "text", "input": "1",
                        "outcome": "text:queued"}, None, "en")
    assert (pressed.did, pressed.then) == ("Asked for the answer by text (pressed 1)",
                                           "a text was queued to their mobile")
    said = describe({"node": "how_to_return", "event": "text", "input": "text me",
                     "outcome": "text:capped"}, None, "en")
    assert (said.did, said.then) == ("Asked for the answer by text (said \u2018text me\u2019)",
                                     "not texted: the number had its texts for the day")
