"""Callers waiting in a queue for the next free agent, through the real webhooks.

Twilio's queue contract (../shared docs of the project: docs/menus.md, "type: queue"):
<Enqueue waitUrl action>NAME</Enqueue>; the wait URL gets QueueSid, QueuePosition,
QueueTime, AvgQueueTime, CurrentQueueSize and MaxQueueSize; <Leave> there makes Twilio
request the action with QueueResult=leave.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ivr.menu.loader import MenuError, load_text
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN, make_app, shutdown

LINE = "+15005550050"
AGENTS = ("+15551230101", "+15551230102")
QUEUE_MENU = f"""\
menu: desk
name: Queue test desk
numbers: ["{LINE}"]
languages:
  en: {{locale: en-US, voice: Polly.Joanna}}
  fr: {{locale: fr-FR, voice: Polly.Lea}}
  ro: {{locale: ro-RO, voice: Polly.Carmen}}
start: welcome
main: main
defaults: {{fallback: sorry, tries: 2}}
hours:
  office:
    timezone: Europe/Paris
    weekly:
      mon-fri: "09:00-17:00"
nodes:
  welcome:
    type: language
    say: {{en: "English 1.", fr: "Français 2.", ro: "Română 3."}}
    options:
      - {{key: "1", language: en}}
      - {{key: "2", language: fr}}
      - {{key: "3", language: ro}}
    next: main
  main:
    type: menu
    say: {{en: "For a person press 0.", fr: "Conseiller: 0.", ro: "Operator: 0."}}
    options:
      - {{key: "0", go: line}}
  line:
    type: queue
    say: {{en: "Please hold.", fr: "Veuillez patienter.", ro: "Vă rugăm să așteptați."}}
    agents: ["{AGENTS[0]}", "{AGENTS[1]}"]
    max_wait: 120
    max_size: 3
    handle_time: 120
    leave: call_me
    messages:
      - {{en: "Thank you for waiting.", fr: "Merci de votre patience.", ro: "Vă mulțumim."}}
  call_me:
    type: callback
    schedule: office
    region: FR
    decline: message
  message:
    type: voicemail
    say: {{en: "Leave a message.", fr: "Laissez un message.", ro: "Lăsați un mesaj."}}
  sorry:
    type: hangup
    say: {{en: "Sorry, goodbye.", fr: "Désolé, au revoir.", ro: "Ne pare rău, la revedere."}}
"""
# Monday 23 November 2026, 10:00 in Paris: open.
OPEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    clock.now = OPEN
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    yield app
    shutdown(app)


def queued(app: Any, lang_key: str = "1", caller: str = "+33612345678") -> Phone:
    """A caller who chose a language and asked for a person: waiting in the queue."""
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE, caller=caller)
    phone.dial()
    phone.press(lang_key)
    phone.press("0")
    assert phone.enqueued is not None, phone.exchanges[-1].body
    return phone


def text(heard: list[Any]) -> str:
    return " ".join(h.text for h in heard)


def test_the_caller_is_enqueued_in_the_lines_queue_with_wait_and_action_urls(desk: Any) -> None:
    phone = queued(desk)
    body = phone.exchanges[-1].body
    assert "<Say" in body and "Please hold." in body
    enqueue = phone.enqueued
    assert enqueue is not None and enqueue.text == "desk-line"
    wait = urllib.parse.urlsplit(enqueue.get("waitUrl") or "")
    action = urllib.parse.urlsplit(enqueue.get("action") or "")
    assert wait.path == "/voice/queue/wait" and enqueue.get("waitUrlMethod") == "POST"
    assert action.path == "/voice/queue/done" and enqueue.get("method") == "POST"
    # The moment the caller joined travels with the call (callbacks are ordered by it).
    assert urllib.parse.parse_qs(action.query)["q"] == [str(int(OPEN.timestamp()))]
    [row] = desk.extensions["ivr"].queues.waiting_callers()
    assert row["queue"] == "desk-line" and row["lang"] == "en" and row["node"] == "line"
    assert phone.problems == []


@pytest.mark.parametrize("lang_key,position,expected", [
    ("1", 3, ["You are number 3 in the queue.", "about 3 minutes",
              "press 1", "Thank you for waiting."]),
    ("2", 3, ["Vous êtes en position 3 dans la file d'attente.", "environ 3 minutes",
              "tapez 1", "Merci de votre patience."]),
    ("3", 3, ["Sunteți pe locul 3 în așteptare.", "aproximativ 3 minute", "apăsați 1",
              "Vă mulțumim."]),
    ("1", 1, ["You are next in the queue.", "less than a minute"]),
])
def test_the_wait_url_says_position_and_estimated_wait_in_the_callers_language(
        desk: Any, lang_key: str, position: int, expected: list[str]) -> None:
    phone = queued(desk, lang_key)
    heard = phone.wait(position=position, waited=20, average=40, size=3)
    said = text(heard)
    for part in expected:
        assert part in said, said
    locale = {"1": "en-US", "2": "fr-FR", "3": "ro-RO"}[lang_key]
    assert {h.locale for h in heard if h.kind == "say"} == {locale}
    # A one-key Gather (keys only) listens while it plays, then the wait URL is asked again.
    gather = phone.listening
    assert gather is not None and gather.get("input") == "dtmf" and gather.get("numDigits") == "1"
    phone.silence()
    assert urllib.parse.urlsplit(phone.wait_url).path == "/voice/queue/wait"
    assert phone.problems == []
    # Twilio's real request carried every queue parameter.
    sent = phone.exchanges[-1].params
    for name in ("QueueSid", "QueuePosition", "QueueTime", "AvgQueueTime", "CurrentQueueSize",
                 "MaxQueueSize"):
        assert name in sent


def test_two_agents_halve_the_estimate(desk: Any) -> None:
    phone = queued(desk)
    assert "about 2 minutes" in text(phone.wait(position=2))  # 1.5 x 120 s / 2 agents
    desk.extensions["ivr"].queues.set_available(AGENTS[0], False, "alice", OPEN)
    assert "about 3 minutes" in text(phone.wait(position=2))  # one agent left


def test_the_menus_message_is_heard_each_round_and_the_round_counted(desk: Any) -> None:
    phone = queued(desk)
    first = text(phone.wait(position=2))
    phone.silence()
    second = text(phone.wait(position=2))
    phone.silence()
    assert "Thank you for waiting." in first and "Thank you for waiting." in second  # one message
    # One message: every round is round 0, and the wait URL stays the same.
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(phone.wait_url).query)["c"] == ["queue:0"]


def test_the_leave_key_leaves_for_a_callback_ordered_by_when_the_caller_joined(
        desk: Any, clock: Any) -> None:
    first = queued(desk, caller="+33612345601")
    clock.now = OPEN + timedelta(seconds=30)
    second = queued(desk, caller="+33612345602")
    clock.now = OPEN + timedelta(seconds=90)
    # The second caller gives up first; the first one a little later: still called first.
    for phone, waited in ((second, 60), (first, 95)):
        phone.wait(position=1, waited=waited)
        heard = phone.press("1")
        assert phone.enqueued is None  # <Leave>, then the action: QueueResult=leave
        assert phone.exchanges[-2].body.endswith("<Leave /></Response>")
        assert phone.exchanges[-1].params["QueueResult"] == "leave"
        assert "press 1 or say yes" in text(heard)  # the callback offer
        phone.press("1")  # yes
        phone.press("1")  # the caller ID is right
        phone.record(5)
        assert phone.ended and phone.problems == []
    store = desk.extensions["answer"].callbacks
    now = desk.extensions["ivr"].clock()
    listed = store.queue("now", now)
    assert [r["number"] for r in listed] == ["+33612345601", "+33612345602"]
    assert listed[0]["due_from"].replace(tzinfo=UTC) == OPEN
    rows = {r["call_sid"]: r for r in _queue_rows(desk)}
    assert rows[second.call_sid]["reason"] == "key" and rows[second.call_sid]["status"] == "leave"


def test_another_key_while_waiting_keeps_the_caller_in_the_queue(desk: Any) -> None:
    phone = queued(desk)
    phone.wait(position=2)
    phone.press("5")
    assert phone.enqueued is not None and not phone.ended
    assert urllib.parse.urlsplit(phone.wait_url).path == "/voice/queue/wait"
    assert phone.problems == []


def test_past_the_maximum_wait_the_caller_goes_to_the_fallback(desk: Any) -> None:
    phone = queued(desk)
    assert "You are" in text(phone.wait(position=2, waited=119))
    heard = phone.wait(position=2, waited=120)
    assert phone.enqueued is None
    assert "nobody is available" in text(heard) and "Sorry, goodbye." in text(heard)
    assert phone.ended and phone.problems == []
    [row] = _queue_rows(desk)
    assert row["reason"] == "max_wait" and row["waited"] == 120


def test_a_caller_past_the_maximum_size_goes_to_the_fallback(desk: Any) -> None:
    phone = queued(desk)
    heard = phone.wait(position=4, size=4)
    assert "cannot take more calls" in text(heard) and phone.ended
    assert _queue_rows(desk)[0]["reason"] == "full"


def test_a_full_queue_is_not_joined(desk: Any) -> None:
    for n in range(3):
        queued(desk, caller=f"+3361234560{n}")
    phone = Phone(FlaskTransport(desk), TOKEN, called=LINE, caller="+33612345699")
    phone.dial()
    phone.press("1")
    heard = phone.press("0")
    assert phone.enqueued is None and "cannot take more calls" in text(heard) and phone.ended


def test_with_no_agent_available_the_caller_goes_to_the_fallback(desk: Any) -> None:
    queues = desk.extensions["ivr"].queues
    waiting = queued(desk)
    for number in AGENTS:
        queues.set_available(number, False, "alice", OPEN)
    heard = waiting.wait(position=1)  # agents left while they waited
    assert waiting.enqueued is None and "Sorry, goodbye." in text(heard)
    phone = Phone(FlaskTransport(desk), TOKEN, called=LINE)
    phone.dial()
    phone.press("1")
    heard = phone.press("0")  # nobody there: not even queued
    assert phone.enqueued is None and "Sorry, goodbye." in text(heard)


@pytest.mark.parametrize("result,ends,says", [
    ("bridged", True, ""),
    ("hangup", True, ""),
    ("queue-full", True, "cannot take more calls"),
    ("error", True, "nobody is available"),
    ("system-error", True, "nobody is available"),
])
def test_the_enqueue_action_handles_every_queue_result(desk: Any, result: str, ends: bool,
                                                       says: str) -> None:
    phone = queued(desk)
    heard = phone.queue_ends(result, waited=33)
    assert phone.ended is ends
    assert says in text(heard)
    [row] = _queue_rows(desk)
    assert row["status"] == result and row["waited"] == 33
    assert desk.extensions["ivr"].queues.waiting_callers() == []


def test_a_forged_wait_request_is_refused_and_a_garbled_one_leaves(desk: Any) -> None:
    phone = queued(desk)
    client = desk.test_client()
    assert client.post(phone.wait_url, data={"QueuePosition": "1"}).status_code == 403
    # A signed request whose state is garbled: valid TwiML that takes the caller out.
    phone.wait_url = "http://localhost/voice/queue/wait?m=desk&n=..&l=en"
    phone.wait(position=1)
    assert phone.exchanges[-2].body.endswith("<Leave /></Response>")


def test_queue_node_errors_point_at_the_line() -> None:
    bad = QUEUE_MENU.replace('max_size: 3', 'max_size: 5000').replace(
        f'agents: ["{AGENTS[0]}", "{AGENTS[1]}"]', 'agents: ["5551234"]\n    strategy: random')
    with pytest.raises(MenuError) as caught:
        load_text(bad, "desk.yaml")
    shown = str(caught.value)
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if "agents:" in text)
    assert f"desk.yaml:{line}:14: error: '5551234' is not a number Twilio can dial" in shown
    assert "strategy is sequential or simultaneous" in shown
    assert "max_size (callers) must be between 1 and 1000" in shown
    long_name = QUEUE_MENU.replace("max_size: 3", "max_size: 3\n    queue: " + "q" * 65)
    with pytest.raises(MenuError, match="1 to 64"):
        load_text(long_name, "desk.yaml")


def _queue_rows(app: Any) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from ivr.queues.store import queue_calls

    with app.extensions["ivr"].store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(queue_calls))]


GERMAN = QUEUE_MENU.replace(
    "  ro: {locale: ro-RO, voice: Polly.Carmen}",
    "  ro: {locale: ro-RO, voice: Polly.Carmen}\n  de: {locale: de-DE, voice: Polly.Vicki}",
).replace('welcome:\n    type: language\n    say: {en: "English 1.", fr: "Français 2.", ro: "Română 3."}',
          'welcome:\n    type: language\n    say: {en: "English 1.", fr: "Français 2.", ro: "Română 3.",'
          ' de: "Deutsch 4."}').replace(
    '      - {key: "3", language: ro}', '      - {key: "3", language: ro}\n      - {key: "4", language: de}')


def german_menu() -> str:
    from ivr.engine.messages import BUILTIN, MESSAGE_NAMES

    # The phrases every language must have, given in German; the queue's left out.
    table = "\n".join(f'    {name}: "{BUILTIN["en"][name]} (de)"' for name in MESSAGE_NAMES)
    return GERMAN.replace("nodes:\n", f"messages:\n  de:\n{table}\nnodes:\n", 1)


def test_an_added_language_without_queue_phrases_hears_the_first_language_and_check_warns(
        db_url: str, tmp_path: Path, clock: Any) -> None:
    from ivr.menu.lint import lint

    menu = load_text(german_menu(), "desk.yaml")
    warnings = [p for p in lint(menu, None) if "queue phrases" in p.message]
    assert len(warnings) == 1 and warnings[0].severity == "warning"
    assert "'de'" in warnings[0].message and "hear them in 'en'" in warnings[0].message
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(german_menu(), encoding="utf-8")
    clock.now = OPEN
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    try:
        phone = queued(app, "4")
        heard = phone.wait(position=2)
        assert heard[0].text == "You are number 2 in the queue." and heard[0].locale == "en-US"
        assert phone.problems == []
    finally:
        shutdown(app)


RING_GROUP = """\
menu: group
numbers: ["+15005550051"]
languages:
  en: {locale: en-US, voice: Polly.Joanna}
start: desk
nodes:
  desk:
    type: transfer
    numbers: ["+15551230101", "+15551230102", "+15551230103"]
    strategy: STRATEGY
    ring: 15
    no_answer: bye
  bye:
    type: hangup
"""


@pytest.fixture
def group_app(db_url: str, tmp_path: Path, clock: Any) -> Iterator[Any]:
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "group.yaml").write_text(RING_GROUP.replace("STRATEGY", "sequential"), "utf-8")
    (menus / "together.yaml").write_text(RING_GROUP.replace("STRATEGY", "simultaneous").replace(
        "menu: group", "menu: together").replace("+15005550051", "+15005550052"), "utf-8")
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    yield app
    shutdown(app)


def test_a_transfer_rings_its_numbers_in_turn_until_one_answers(group_app: Any) -> None:
    phone = Phone(FlaskTransport(group_app), TOKEN, called="+15005550051")
    phone.dial()
    assert phone.dialing is not None and phone.dialing.text == "+15551230101"
    phone.dial_ends("no-answer")
    assert phone.dialing is not None and phone.dialing.text == "+15551230102"
    phone.dial_ends("busy")
    assert phone.dialing is not None and phone.dialing.text == "+15551230103"
    heard = phone.dial_ends("no-answer")  # the last one: no_answer
    assert "nobody is available" in text(heard) and phone.ended
    answered = Phone(FlaskTransport(group_app), TOKEN, called="+15005550051")
    answered.dial()
    answered.dial_ends("no-answer")
    answered.dial_ends("completed")
    assert answered.ended and answered.problems == []


def test_a_simultaneous_transfer_rings_every_number_at_once(group_app: Any) -> None:
    phone = Phone(FlaskTransport(group_app), TOKEN, called="+15005550052")
    phone.dial()
    dial = phone.dialing
    assert dial is not None and [n.text for n in dial.findall("Number")] == [
        "+15551230101", "+15551230102", "+15551230103"]
    assert dial.get("timeout") == "15"
    heard = phone.dial_ends("no-answer")
    assert "nobody is available" in text(heard) and phone.ended


def test_a_ring_group_needs_two_numbers_and_not_number_too() -> None:
    one = RING_GROUP.replace('numbers: ["+15551230101", "+15551230102", "+15551230103"]',
                             'numbers: ["+15551230101"]\n    number: "+15551230101"')
    with pytest.raises(MenuError) as caught:
        load_text(one.replace("STRATEGY", "sequential"), "group.yaml")
    assert "2 to 10 numbers" in str(caught.value) and "not both" in str(caught.value)
