"""Callers asking to be called back: the callback node through the real webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivr.engine import core
from ivr.engine.types import Input, Recorded
from ivr.menu.loader import load_text
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN

# Monday 23 November 2026, 21:00 in Paris: closed; the office opens Tuesday 09:00 (08:00 UTC).
EVENING = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
LINE = "+15005550030"


def requests_of(app: Any) -> list[dict[str, Any]]:
    """Every stored request, whichever tab it is in."""
    store = app.extensions["answer"].callbacks
    moment = app.extensions["ivr"].clock()
    return [*store.queue("now", moment), *store.queue("later", moment)]


def spoken(phone: Phone) -> str:
    return " ".join(h.text for h in phone.heard)


def accept(app: Any, caller: str) -> Phone:
    """Dial the callback test line and accept the offer."""
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE, caller=caller)
    phone.dial()
    phone.press("1")
    assert "press 1 or say yes" in phone.heard[-1].text
    phone.press("1")
    return phone


def test_caller_id_is_read_back_confirmed_and_the_request_kept_with_its_window(
        app: Any, clock: Any) -> None:
    clock.now = EVENING
    phone = accept(app, "+33612345678")
    assert "We will call you back on 0 6, 1 2, 3 4, 5 6, 7 8." in phone.heard[-1].text
    phone.press("1")
    assert phone.recording is not None  # the short reason
    assert phone.recording.get("maxLength") == "30"
    heard, details = phone.record(7)
    assert "your request is registered" in heard[-1].text and phone.ended
    [request] = requests_of(app)
    assert request["number"] == "+33612345678" and request["number_source"] == "caller_id"
    assert request["lang"] == "en" and request["menu"] == "callback"
    assert request["node"] == "call_me" and request["schedule"] == "office"
    assert request["reason_recording_sid"] == details["RecordingSid"]
    assert request["reason_seconds"] == 7
    # Closed now: due from Tuesday's opening (09:00 Paris) to its closing (17:00).
    assert request["due_from"].replace(tzinfo=UTC) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert request["due_until"].replace(tzinfo=UTC) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    kept = app.extensions["answer"].callbacks.get(request["id"])
    assert [s["event"] for s in kept["journey"]][:2] == ["call", "choice"]
    # The reason is kept for its audio and transcript, listed with the request, not in the inbox.
    reason = app.extensions["ivr"].voicemails.by_recording(details["RecordingSid"])
    assert reason["purpose"] == "callback" and reason["node"] == "call_me"
    assert app.extensions["ivr"].voicemails.list() == []
    assert app.extensions["ivr"].voicemails.count_new() == 0


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", "", "Restricted"])
def test_a_withheld_number_is_asked_to_key_one_read_back_and_kept(app: Any, withheld: str) -> None:
    phone = accept(app, withheld)
    assert "not shown to us" in spoken(phone)
    gather = phone.listening
    assert gather is not None and gather.get("input") == "dtmf"
    assert gather.get("finishOnKey") == "#" and gather.get("numDigits") is None
    phone.press("0612345678", finished_on="#")  # a national French number (region: FR)
    assert "We will call you back on 0 6, 1 2, 3 4, 5 6, 7 8." in phone.heard[-1].text
    phone.press("1")
    phone.record(0, digits="hangup")  # hung up without a reason: the request still counts
    [request] = requests_of(app)
    assert request["number"] == "+33612345678" and request["number_source"] == "keyed"
    assert request["reason_recording_sid"] is None


def test_a_premium_rate_or_invalid_number_is_refused_and_asked_again(app: Any) -> None:
    phone = accept(app, "anonymous")
    phone.press("0899123456", finished_on="#")  # French premium rate (08 9x)
    assert "cannot call premium-rate" in spoken(phone)
    assert phone.listening is not None and phone.listening.get("input") == "dtmf"
    before = len(phone.heard)
    phone.press("00441234", finished_on="#")  # too short to be a UK number
    assert "not a phone number we can call" in " ".join(h.text for h in phone.heard[before:])
    assert requests_of(app) == []


def test_no_to_the_read_back_lets_the_caller_key_another_number(app: Any) -> None:
    phone = accept(app, "+33612345678")
    phone.say("no")
    assert "key the phone number" in phone.heard[-1].text
    phone.press("0040721234567", finished_on="#")  # 00: an international number
    assert "0 7 2 1, 2 3 4, 5 6 7" in phone.heard[-1].text
    phone.say("yes")
    phone.record(5)
    assert requests_of(app)[0]["number"] == "+40721234567"


def test_declining_goes_to_the_decline_target(app: Any) -> None:
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE, caller="+33612345678")
    phone.dial()
    phone.press("1")
    phone.press("2")
    assert phone.recording is not None and "leave a message" in phone.heard[-1].text
    assert requests_of(app) == []


def test_in_french_the_caller_hears_french(app: Any) -> None:
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE, caller="+33612345678")
    phone.dial()
    phone.press("2")
    phone.press("1")
    phone.press("1")
    assert "Nous pouvons vous rappeler" in phone.heard[-1].text
    phone.press("1")
    assert phone.heard[-1].text.startswith("Nous vous rappellerons au 0 6")
    assert phone.heard[-1].locale == "fr-FR"
    phone.press("1")
    phone.record(4)
    assert requests_of(app)[0]["lang"] == "fr"


def test_a_retried_webhook_keeps_one_request(app: Any) -> None:
    phone = accept(app, "+33612345678")
    phone.press("1")
    phone.record(6)
    last = phone.exchanges[-1]
    # Twilio retries the <Record> action (a timeout on its side): same URL, same form.
    again = phone.request(last.url, {k: v for k, v in last.params.items()
                                     if k not in phone.base_params()})
    assert "your request is registered" in again
    assert len(requests_of(app)) == 1


def test_the_caller_is_thanked_even_when_the_request_cannot_be_kept(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.extensions["answer"].intake, "keep", broken)
    phone = accept(app, "+33612345678")
    phone.press("1")
    heard, _ = phone.record(6)
    assert "your request is registered" in heard[-1].text
    assert not any("went wrong" in h.text for h in phone.heard)


def test_while_the_database_is_down_the_request_waits_on_disk_then_is_written(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    store = app.extensions["answer"].callbacks
    real_keep = store.keep

    def down(*_: Any, **__: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(store, "keep", down)
    stored: list[Any] = []
    app.extensions["answer"].intake.on_stored.append(lambda row: stored.append(row["number"]))
    phone = accept(app, "+33612345678")
    phone.press("1")
    heard, _ = phone.record(6)
    assert "your request is registered" in heard[-1].text
    assert len(app.extensions["answer"].intake.pending()) == 1
    monkeypatch.setattr(store, "keep", real_keep)
    assert app.extensions["answer"].intake.replay() == 1
    assert app.extensions["answer"].intake.replay() == 0
    [request] = requests_of(app)
    assert request["number"] == "+33612345678" and request["schedule"] == "office"
    assert stored == ["+33612345678"]  # the on_stored hook ran once, for the new request


def test_on_stored_hooks_run_once_per_request_and_a_failing_hook_loses_nothing(app: Any) -> None:
    seen: list[int] = []

    def failing(_: Any) -> None:
        raise RuntimeError("SMS provider down")

    app.extensions["answer"].intake.on_stored.extend([failing, lambda row: seen.append(row["id"])])
    phone = accept(app, "+33612345678")
    phone.press("1")
    phone.record(6)
    [request] = requests_of(app)
    assert seen == [request["id"]]


# ---- the engine on plain values -------------------------------------------------------------

MENU = """
menu: cb
numbers: ["+15005550031"]
languages: {en: {locale: en-GB, voice: Polly.Amy}}
start: offer
hours:
  office: {timezone: Europe/Bucharest, weekly: {mon-fri: "09:00-17:00"}}
nodes:
  offer: {type: callback, schedule: office, reason: false}
"""


def test_while_open_the_window_is_now_until_closing(tmp_path: Path) -> None:
    menu = load_text(MENU, "cb.yaml")
    monday_noon = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 12:00 in Bucharest
    turn = core.start(menu, monday_noon, caller="+40721234567")
    state = turn.state
    assert state is not None
    turn = core.step(menu, state, Input(digits="1"), monday_noon, caller="+40721234567")
    assert turn.state is not None and turn.state.pending.startswith("callback:confirm:")
    turn = core.step(menu, turn.state, Input(digits="1"), monday_noon, caller="+40721234567")
    [request] = turn.requests
    assert request.number == "+40721234567" and request.source == "caller_id"
    assert request.due_from == monday_noon
    assert request.due_until == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert turn.ends_call and request.reason_sid == ""


def test_a_forged_number_in_the_state_is_not_called(tmp_path: Path) -> None:
    menu = load_text(MENU, "cb.yaml")
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    state = core.start(menu, moment).state
    assert state is not None
    from dataclasses import replace

    forged = replace(state, pending="callback:confirm:k0899123456")  # premium rate
    turn = core.step(menu, forged, Input(digits="1"), moment)
    assert turn.requests == ()
    assert any(s.outcome == "bad_state" for s in turn.steps)
    turn = core.step(menu, forged, Recorded("RE" + "a" * 32, 5, "#"), moment)
    assert turn.requests == ()


def test_the_callback_steps_read_as_sentences_on_the_dashboard() -> None:
    from ivr.dashboard.journey import describe

    def said(event: str, given: str, outcome: str) -> str:
        step = describe({"node": "call_me", "event": event, "input": given,
                         "outcome": outcome}, None, "en")
        return f"{step.did}, {step.then}"

    assert said("callback", "1", "accepted") == "Callback, accepted the callback"
    assert said("callback_number", "+33*******78", "readback:keyed") == \
        "The number to call back, read back to the caller (keyed)"
    assert said("callback", "", "requested:caller_id:reason:RE1") == \
        "Callback, asked to be called back, with a recorded reason"
    assert said("callback_number", "+33*******56", "refused:a premium-rate number") == \
        "The number to call back, refused: a premium-rate number"


# ---- the opening-hours window ---------------------------------------------------------------


def _schedule(weekly: dict[int, tuple[tuple[int, int], ...]], closed: frozenset = frozenset(),
              zone: str = "Europe/Paris") -> Any:
    from ivr.engine.hours import Schedule

    return Schedule("s", zone, weekly, closed, {})


def test_the_window_of_a_range_past_midnight_started_yesterday() -> None:
    late = _schedule({4: ((22 * 60, 26 * 60),)})  # Friday 22:00 to Saturday 02:00
    saturday_one_am = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 01:00 in Paris
    assert late.window(saturday_one_am) == (saturday_one_am,
                                            datetime(2026, 11, 28, 1, 0, tzinfo=UTC))


def test_the_window_skips_closed_dates_and_keeps_wall_clock_hours_across_dst() -> None:
    from datetime import date

    weekdays = _schedule({d: ((9 * 60, 17 * 60),) for d in range(5)},
                         closed=frozenset({date(2027, 3, 29)}))
    friday_evening = datetime(2027, 3, 26, 18, 0, tzinfo=UTC)  # 19:00 CET
    start, end = weekdays.window(friday_evening)  # Monday is closed: Tuesday, in summer time
    assert start == datetime(2027, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert end == datetime(2027, 3, 30, 15, 0, tzinfo=UTC)
    assert _schedule({}).window(friday_evening) is None


def test_a_french_reason_is_transcribed_live_and_an_english_one_by_twilio(app: Any) -> None:
    """The reason's <Record> gets the transcription its language and length call for."""
    french = Phone(FlaskTransport(app), TOKEN, called=LINE, caller="+33612345678")
    french.dial()
    for key in ("2", "1", "1", "1", "1"):  # French, then accept, confirm
        french.press(key)
    assert french.recording is not None and french.recording.get("transcribe") is None
    assert french.live["rec-call_me"].get("languageCode") == "fr-FR"
    _, details = french.record(6)
    assert french.live == {} and not french.problems  # stopped after the reason
    assert french.live_transcript(details, ["Je voudrais changer ma commande."]) == [204] * 3
    reason = app.extensions["ivr"].voicemails.by_recording(details["RecordingSid"])
    assert reason["purpose"] == "callback"
    assert reason["transcript"] == "Je voudrais changer ma commande."

    english = accept(app, "+12025550123")  # a US caller: the tests allow US, FR and RO
    english.press("1")
    assert english.recording is not None and english.recording.get("transcribe") == "true"
    english.record(6)
    assert english.live == {} and not english.problems  # no <Start>, so no <Stop>
