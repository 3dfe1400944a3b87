"""Notifications about new voicemails, and recordings fetched and purged at Twilio."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import responses

from ivr.notify import (
    MAX_ATTEMPTS,
    Channels,
    Sender,
    backlog,
    list_failed_deliveries,
    notify_voicemail,
    outbox,
)
from ivr.voicemail import Media
from ivr.voicemail.store import VoicemailStore

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ACCOUNT = "AC" + "1" * 32
TOKEN = "t" * 32


class Hook(BaseHTTPRequestHandler):
    """A webhook receiver that records what it gets and answers ``status``."""

    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def hook() -> Iterator[tuple[str, type[Hook]]]:
    """A real HTTP server on 127.0.0.1 receiving webhook notifications."""
    handler = type("H", (Hook,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def store(app: Any) -> VoicemailStore:
    """The app's voicemail store on the test database."""
    return app.extensions["ivr"].voicemails


def a_voicemail(store: VoicemailStore, sid: str = "RE" + "c" * 32, **extra: Any) -> int:
    return store.report(sid, NOW, call_sid="CA" + "2" * 32, from_number="+15551230000",
                        to_number="+15005550002", menu="vm", lang="en", duration=14,
                        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
                                      f"/Recordings/{sid}",
                        recording_status="completed", **extra)


def test_webhook_notification_reaches_a_real_server(store: VoicemailStore,
                                                    hook: tuple[str, type[Hook]]) -> None:
    url, handler = hook
    channels = Channels(webhook_url=url, dashboard_url="https://desk.example.org/dashboard")
    vid = a_voicemail(store, transcript="My parcel is late")
    notify_voicemail(store.engine, channels, vid, "RE" + "c" * 32, NOW)
    notify_voicemail(store.engine, channels, vid, "RE" + "c" * 32, NOW)  # a repeated report
    sender = Sender(store.engine, channels, load_voicemail=store.get,
                    clock=lambda: NOW + timedelta(seconds=11))
    assert sender.send_due() == 1
    assert len(handler.received) == 1
    text = handler.received[0]["text"]
    assert "+15551230000" in text and "My parcel is late" in text
    assert f"https://desk.example.org/dashboard/voicemails/{vid}" in text
    assert backlog(store.engine) == 0


def test_nothing_is_sent_before_its_time_and_failures_back_off(store: VoicemailStore,
                                                               hook: tuple[str, type[Hook]]
                                                               ) -> None:
    url, handler = hook
    handler.status = 500
    channels = Channels(webhook_url=url)
    vid = a_voicemail(store)
    notify_voicemail(store.engine, channels, vid, "RE" + "c" * 32, NOW)
    clock = {"now": NOW}
    sender = Sender(store.engine, channels, load_voicemail=store.get, clock=lambda: clock["now"])
    assert sender.send_due() == 0 and handler.received == []  # the first 10 s: wait
    waits = []
    for _ in range(MAX_ATTEMPTS):
        with store.engine.connect() as conn:
            row = conn.execute(outbox.select()).mappings().one()
        clock["now"] = row["next_attempt_at"]
        waits.append(row["next_attempt_at"])
        assert sender.send_due() == 0
    with store.engine.connect() as conn:
        row = conn.execute(outbox.select()).mappings().one()
    assert row["status"] == "failed" and row["attempts"] == MAX_ATTEMPTS
    assert "500" in row["last_error"]
    gaps = [(b - a).total_seconds() for a, b in zip(waits[1:], waits[2:], strict=False)]
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]  # exponential backoff
    failed = list_failed_deliveries(store.engine)
    assert [(f["channel"], f["attempts"]) for f in failed] == [("webhook", MAX_ATTEMPTS)]
    assert len(handler.received) == MAX_ATTEMPTS


def test_a_flaky_channel_is_retried_until_it_works(store: VoicemailStore,
                                                   hook: tuple[str, type[Hook]]) -> None:
    url, handler = hook
    handler.status = 503
    vid = a_voicemail(store)
    notify_voicemail(store.engine, Channels(webhook_url=url), vid, "RE" + "c" * 32, NOW)
    clock = {"now": NOW + timedelta(seconds=11)}
    sender = Sender(store.engine, Channels(webhook_url=url), load_voicemail=store.get,
                    clock=lambda: clock["now"])
    assert sender.send_due() == 0
    handler.status = 200
    assert sender.send_due() == 0  # not due yet: backoff
    clock["now"] += timedelta(minutes=5)
    assert sender.send_due() == 1
    assert list_failed_deliveries(store.engine) == []


def test_email_notification_through_a_real_smtp_server(store: VoicemailStore) -> None:
    from aiosmtpd.controller import Controller

    class Inbox:
        messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            self.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channels = Channels(email_to="desk@example.org", email_from="ivr@example.org",
                            smtp_host="127.0.0.1", smtp_port=port)
        vid = a_voicemail(store)
        notify_voicemail(store.engine, channels, vid, "RE" + "c" * 32, NOW)
        sender = Sender(store.engine, channels, load_voicemail=store.get,
                        clock=lambda: NOW + timedelta(minutes=1))
        assert sender.send_due() == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert inbox.messages[0].rcpt_tos == ["desk@example.org"]
    assert b"+15551230000" in inbox.messages[0].content


@responses.activate
def test_sms_notification_through_twilios_rest_api(store: VoicemailStore) -> None:
    from twilio.rest import Client

    responses.post(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
                   json={"sid": "SM" + "0" * 32, "status": "queued"}, status=201)
    channels = Channels(sms_to="+15550001111", sms_from="+15005550006")
    vid = a_voicemail(store)
    notify_voicemail(store.engine, channels, vid, "RE" + "c" * 32, NOW)
    sender = Sender(store.engine, channels, twilio_client=lambda: Client(ACCOUNT, TOKEN),
                    load_voicemail=store.get, clock=lambda: NOW + timedelta(minutes=1))
    assert sender.send_due() == 1
    sent = responses.calls[0].request
    assert "To=%2B15550001111" in sent.body and "From=%2B15005550006" in sent.body
    assert "Body=New+voicemail+from+%2B15551230000" in sent.body


@responses.activate
def test_recording_audio_is_fetched_with_the_account_credentials(store: VoicemailStore) -> None:
    vid = a_voicemail(store)
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{'RE' + 'c' * 32}.mp3"
    responses.get(url, body=b"ID3fake-mp3-audio", status=200,
                  match=[responses.matchers.header_matcher(
                      {"Authorization": "Basic " + __import__("base64").b64encode(
                          f"{ACCOUNT}:{TOKEN}".encode()).decode()})])
    media = Media(store, ACCOUNT, TOKEN)
    assert media.fetch_missing(NOW) == 1
    assert store.media(vid) == (b"ID3fake-mp3-audio", "audio/mpeg")
    assert media.fetch_missing(NOW) == 0  # already have it


@responses.activate
def test_purge_deletes_old_recordings_here_and_at_twilio(store: VoicemailStore) -> None:
    from twilio.rest import Client

    old = a_voicemail(store, "RE" + "0" * 32)
    store.store_media(old, b"audio", "audio/mpeg", NOW)
    recent_sid = "RE" + "9" * 32
    store.report(recent_sid, NOW + timedelta(days=80), recording_status="completed")
    responses.delete(f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/"
                     f"{'RE' + '0' * 32}.json", status=204)
    media = Media(store, ACCOUNT, TOKEN, client_factory=lambda: Client(ACCOUNT, TOKEN))
    assert media.purge(30, now=NOW + timedelta(days=90)) == 1
    assert len(responses.calls) == 1 and responses.calls[0].request.method == "DELETE"
    purged = store.get(old)
    assert purged is not None and purged["recording_status"] == "deleted"
    assert purged["recording_url"] is None and store.media(old) is None
    assert purged["from_number"] == "+15551230000"  # the context stays
    kept = store.by_recording(recent_sid)
    assert kept is not None and kept["recording_status"] == "completed"
