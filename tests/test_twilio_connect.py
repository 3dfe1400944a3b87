"""`ivr twilio connect`: the exact REST requests sent to Twilio, and clear errors."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner, Result

from ivr.cli import cli

SID = "AC" + "4" * 32
TOKEN = "5" * 32
NUMBER = "+15005550006"
NUMBER_SID = "PN" + "6" * 32
API = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers"


def _number(**values: Any) -> dict[str, Any]:
    """An IncomingPhoneNumber as Twilio's API returns it (the fields we read)."""
    return {"sid": NUMBER_SID, "account_sid": SID, "phone_number": NUMBER,
            "friendly_name": "(500) 555-0006", "voice_url": "", "voice_method": "POST",
            "status_callback": "", "status_callback_method": "POST", **values}


def _page(*numbers: dict[str, Any]) -> dict[str, Any]:
    return {"incoming_phone_numbers": list(numbers), "page": 0, "page_size": 20,
            "start": 0, "end": len(numbers), "uri": f"{API}.json", "first_page_uri": "",
            "next_page_uri": None, "previous_page_uri": None}


def connect(*args: str, **env: str | None) -> Result:
    """Run `ivr twilio connect` with the account's credentials in the environment."""
    base_env: dict[str, str | None] = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
                                       "IVR_PUBLIC_URL": None}
    base_env.update(env)
    return CliRunner().invoke(cli, ["twilio", "connect", *args], env=base_env)


@responses.activate
def test_connect_finds_the_number_and_sets_both_webhooks() -> None:
    responses.get(f"{API}.json", json=_page(_number(phone_number="+150055500061"),
                                            _number()))
    responses.post(f"{API}/{NUMBER_SID}.json", json=_number(
        voice_url="https://ivr.example.org/voice",
        status_callback="https://ivr.example.org/voice/status"))

    result = connect(NUMBER, "--base-url", "https://ivr.example.org/")

    assert result.exit_code == 0, result.output
    assert len(responses.calls) == 2
    listing, update = (call.request for call in responses.calls)
    assert listing.method == "GET"
    assert parse_qs(urlsplit(listing.url).query) == {"PhoneNumber": [NUMBER], "PageSize": ["20"]}
    assert update.method == "POST" and update.url == f"{API}/{NUMBER_SID}.json"
    assert update.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(update.body) == {
        "VoiceUrl": ["https://ivr.example.org/voice"], "VoiceMethod": ["POST"],
        "StatusCallback": ["https://ivr.example.org/voice/status"],
        "StatusCallbackMethod": ["POST"],
    }
    for request in (listing, update):
        expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        assert request.headers["Authorization"] == f"Basic {expected}"
    assert "A call comes in:     POST https://ivr.example.org/voice" in result.output
    assert "Call status changes: POST https://ivr.example.org/voice/status" in result.output


@responses.activate
def test_the_base_url_defaults_to_the_public_url() -> None:
    responses.get(f"{API}.json", json=_page(_number()))
    responses.post(f"{API}/{NUMBER_SID}.json", json=_number(
        voice_url="https://help.example.org/ivr/voice",
        status_callback="https://help.example.org/ivr/voice/status"))
    result = connect(NUMBER, IVR_PUBLIC_URL="https://help.example.org/ivr")
    assert result.exit_code == 0, result.output
    assert parse_qs(responses.calls[1].request.body)["VoiceUrl"] == [
        "https://help.example.org/ivr/voice"]
    assert "warning" not in result.output


@responses.activate
def test_a_refused_listing_says_what_twilio_said() -> None:
    responses.get(f"{API}.json", status=404, json={
        "code": 20404, "message": "The requested resource was not found", "status": 404})
    result = connect(NUMBER, "--base-url", "https://ivr.example.org")
    assert result.exit_code == 1
    assert "Error: Twilio answered HTTP 404: The requested resource was not found" in result.output


@responses.activate
def test_an_unknown_number_is_a_clear_error_and_changes_nothing() -> None:
    responses.get(f"{API}.json", json=_page())
    result = connect(NUMBER, "--base-url", "https://ivr.example.org")
    assert result.exit_code == 1
    assert f"Error: {NUMBER} is not a number of account {SID}" in result.output
    assert [call.request.method for call in responses.calls] == ["GET"]


@responses.activate
def test_bad_credentials_are_a_clear_error() -> None:
    responses.get(f"{API}.json", status=401, json={
        "code": 20003, "message": "Authenticate", "status": 401,
        "more_info": "https://www.twilio.com/docs/errors/20003"})
    result = connect(NUMBER, "--base-url", "https://ivr.example.org")
    assert result.exit_code == 1
    assert "Twilio refused the credentials (HTTP 401)" in result.output
    assert "TWILIO_AUTH_TOKEN" in result.output


@responses.activate
def test_a_refused_update_is_reported() -> None:
    responses.get(f"{API}.json", json=_page(_number()))
    responses.post(f"{API}/{NUMBER_SID}.json", status=400, json={
        "code": 21502, "message": "Invalid callback url", "status": 400})
    result = connect(NUMBER, "--base-url", "https://ivr.example.org")
    assert result.exit_code == 1
    assert "Twilio answered HTTP 400: " in result.output
    assert "Invalid callback url" in result.output


@pytest.mark.parametrize(("args", "env", "says"), [
    (["15005550006", "--base-url", "https://ivr.example.org"], {}, "not a phone number in E.164"),
    ([NUMBER, "--base-url", "ivr.example.org"], {}, "absolute http(s) URL"),
    ([NUMBER, "--base-url", "https://ivr.example.org/?x=1"], {}, "must not have a query"),
    ([NUMBER], {}, "give --base-url"),
    ([NUMBER, "--base-url", "https://ivr.example.org"], {"TWILIO_ACCOUNT_SID": None},
     "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set"),
])
@responses.activate
def test_bad_input_is_refused_before_any_request(args: list[str], env: dict[str, str | None],
                                                 says: str) -> None:
    result = connect(*args, **env)
    assert result.exit_code != 0
    assert says in result.output
    assert len(responses.calls) == 0


@responses.activate
def test_a_base_url_other_than_the_public_url_is_warned_about() -> None:
    responses.get(f"{API}.json", json=_page(_number()))
    responses.post(f"{API}/{NUMBER_SID}.json", json=_number(voice_url="http://other.example/voice"))
    result = connect(NUMBER, "--base-url", "http://other.example",
                     IVR_PUBLIC_URL="https://ivr.example.org")
    assert result.exit_code == 0
    assert "IVR_PUBLIC_URL is https://ivr.example.org" in result.output
    assert "unencrypted" in result.output
