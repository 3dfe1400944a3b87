"""Recording downloads: each retries on its own schedule, none blocks or aborts the others,
and the account's credentials only ever go to Twilio's API hosts over https."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from ivr.voicemail import Media
from ivr.voicemail.media import MAX_ATTEMPTS, next_delay, twilio_api_url
from ivr.voicemail.store import VoicemailStore

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ACCOUNT = "AC" + "1" * 32
TOKEN = "t" * 32
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings"


@pytest.fixture
def store(app: Any) -> VoicemailStore:
    """The app's voicemail store on the test database."""
    return app.extensions["ivr"].voicemails


def recording(store: VoicemailStore, n: int, base: str = API) -> tuple[int, str]:
    """A completed voicemail whose audio is not fetched yet; its id and media URL."""
    sid = f"RE{n:032x}"
    vid = store.report(sid, NOW, call_sid=f"CA{n:032x}", recording_status="completed",
                       recording_url=f"{base}/{sid}")
    return vid, f"{base}/{sid}.mp3"


@responses.activate
def test_failing_recordings_at_the_head_neither_starve_nor_abort_the_rest(
        store: VoicemailStore) -> None:
    missing = [recording(store, n) for n in range(20)]  # Twilio answers 404 for these
    broken = recording(store, 20)  # this one's connection fails
    good = [recording(store, n) for n in range(21, 26)]
    for _, url in missing:
        responses.get(url, status=404)
    responses.get(broken[1], body=requests.ConnectionError("connection reset"))
    for n, (_, url) in enumerate(good):
        responses.get(url, body=f"mp3-{n}".encode(), status=200)
    media = Media(store, ACCOUNT, TOKEN)

    fetched = media.fetch_missing(NOW) + media.fetch_missing(NOW + timedelta(seconds=5))
    assert fetched == 5
    assert [store.media(vid) for vid, _ in good] == [(f"mp3-{n}".encode(), "audio/mpeg")
                                                      for n in range(5)]
    assert all(call.request.headers["Authorization"] == BASIC for call in responses.calls)
    # Each failure waits for its own next attempt: none is asked again a second later.
    asked = len(responses.calls)
    assert media.fetch_missing(NOW + timedelta(seconds=10)) == 0
    assert len(responses.calls) == asked
    failed = store.get(missing[0][0])
    assert failed is not None and failed["media_attempts"] == 1
    assert failed["media_error"] == "HTTP 404"
    assert store.get(broken[0])["media_error"].startswith("ConnectionError")
    # Once due, the failed ones are tried again, and a recording that appeared is kept.
    responses.replace(responses.GET, missing[3][1], body=b"late", status=200)
    assert media.fetch_missing(NOW + next_delay(1) + timedelta(seconds=5), limit=30) == 1
    assert store.media(missing[3][0]) == (b"late", "audio/mpeg")
    assert store.get(missing[0][0])["media_attempts"] == 2


@responses.activate
def test_a_recording_that_never_appears_is_given_up_after_the_last_attempt(
        store: VoicemailStore) -> None:
    vid, url = recording(store, 1)
    responses.get(url, status=404)
    media = Media(store, ACCOUNT, TOKEN)
    when = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert media.fetch_missing(when) == 0
        when += next_delay(attempt) + timedelta(seconds=1)
    assert len(responses.calls) == MAX_ATTEMPTS
    assert media.fetch_missing(when + timedelta(days=30)) == 0
    assert len(responses.calls) == MAX_ATTEMPTS
    row = store.get(vid)
    assert row is not None and row["media_attempts"] == MAX_ATTEMPTS and row["media_next_at"] is None


@responses.activate
@pytest.mark.parametrize("base", [
    "https://evil.example.org/2010-04-01/Accounts/AC1/Recordings",
    "http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings",  # not https
    "https://api.twilio.com.evil.example.org/Recordings",
    "https://api.twilio.com:8443/Recordings",
    "https://user@api.twilio.com/Recordings",
])
def test_credentials_never_go_to_a_host_that_is_not_twilios_api(store: VoicemailStore,
                                                                base: str) -> None:
    vid, url = recording(store, 7, base)
    responses.get(url, body=b"stolen", status=200)
    media = Media(store, ACCOUNT, TOKEN)
    assert media.fetch_missing(NOW) == 0
    assert len(responses.calls) == 0  # no request at all, so no credentials
    assert store.media(vid) is None
    row = store.get(vid)
    assert row is not None and row["media_error"].startswith("not a Twilio API URL")
    assert media.fetch_missing(NOW + timedelta(days=2)) == 0 and len(responses.calls) == 0


def test_twilios_regional_api_hosts_are_accepted() -> None:
    assert twilio_api_url("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3")
    assert twilio_api_url("https://api.dublin.ie1.twilio.com/2010-04-01/Recordings/RE1.mp3")
    assert twilio_api_url("https://api.ie1.twilio.com/2010-04-01/Recordings/RE1.mp3")
    assert not twilio_api_url("https://media.twiliocdn.com/RE1.mp3")
    assert not twilio_api_url("https://api.twilio.com.example.org/RE1.mp3")
    assert not twilio_api_url("https://api.twilio.com:99999/RE1.mp3")
