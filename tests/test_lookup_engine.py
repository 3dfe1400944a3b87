"""The lookup node in the engine, on plain values with a fake data source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ivr.engine import core
from ivr.engine.lookups import LookupResult
from ivr.engine.types import CallState, Dial, Enter, Gather, Hangup, Input, Silence, Speak, Turn
from ivr.lookup.demo import pin_hash
from ivr.lookup.seal import Sealer
from ivr.menu.loader import MenuError, load_text
from ivr.menu.model import Menu

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday

MENU = """
menu: shop
languages:
  en: {locale: en-US, voice: Polly.Joanna}
  fr: {locale: fr-FR, voice: Polly.Lea}
  ro: {locale: ro-RO, voice: Polly.Carmen}
start: main
defaults: {tries: 2, fallback: bye}
global_keys: {"9": main, "0": agent}
sources:
  orders: {type: csv, file: orders.csv, key: order_id}
nodes:
  main:
    type: menu
    say: "For your order, press 1."
    options: [{key: "1", go: status}]
  status:
    type: lookup
    source: orders
    digits: 6
    say: {en: "Enter your order number.", fr: "Tapez votre numéro.", ro: "Introduceți numărul."}
    answer:
      en: "Order {order_id:digits} is {status}, delivery expected {delivery_date:date}."
      fr: "La commande {order_id:digits} est {status}, livraison prévue {delivery_date:date}."
      ro: "Comanda {order_id:digits} este {status}, livrare estimată {delivery_date:date}."
    answer_when:
      field: status
      cancelled: {en: "Order {order_id:digits} was cancelled.", fr: "Annulée.", ro: "Anulată."}
    values:
      status:
        shipped: {en: on its way, fr: en route, ro: pe drum}
    route: {field: status, delayed: agent}
    next: main
  pin_status:
    type: lookup
    source: orders
    min_digits: 3
    max_digits: 8
    confirm: false
    say: "Enter your card number, then the hash key."
    verify: {by: pin, field: pin, say: "Enter your PIN.", digits: 4}
    answer: "Card {order_id:digits}: {status}."
  mine:
    type: lookup
    source: orders
    identify: caller_id
    verify: {by: caller_id, field: phone}
    answer: "Your order is {status}."
  agent:
    type: transfer
    number: "+15005550006"
  bye:
    type: hangup
"""

RECORDS = {
    "100001": {"order_id": "100001", "status": "shipped", "delivery_date": "2026-11-25",
               "pin": pin_hash("4321"), "phone": "+15551230000"},
    "100002": {"order_id": "100002", "status": "delayed", "delivery_date": "2026-12-01"},
    "100005": {"order_id": "100005", "status": "cancelled", "delivery_date": None},
    "100009": {"order_id": "100009", "status": "shipped", "delivery_date": None},
}


class FakeLookups:
    """Records from a dict; or a failure; counts the lookups."""

    def __init__(self, fail: str = "") -> None:
        self.fail = fail
        self.calls: list[dict[str, str]] = []
        self.sealer = Sealer("test-secret")

    def find(self, menu: Menu, source: str, params: Mapping[str, str]) -> LookupResult:
        self.calls.append(dict(params))
        if self.fail:
            return LookupResult.failed(self.fail)
        key = params["id"] if params["id"] in RECORDS else None
        if key is None:  # caller ID lookups find the record by phone
            key = next((k for k, r in RECORDS.items() if r.get("phone") == params["id"]), None)
        return LookupResult.found(RECORDS[key]) if key else LookupResult.not_found()

    def seal(self, text: str, context: str) -> str:
        return self.sealer.seal(text, context)

    def unseal(self, token: str, context: str) -> str | None:
        return self.sealer.unseal(token, context)


@pytest.fixture(scope="module")
def menu() -> Menu:
    return load_text(MENU, "shop.yaml")


class Caller:
    """A call driven through core.step with plain events."""

    def __init__(self, menu: Menu, node: str, lang: str = "en", *, caller: str = "+15551230000",
                 lookups: Any = None) -> None:
        self.menu = menu
        self.caller = caller
        self.lookups = FakeLookups() if lookups is None else lookups
        self.state = CallState(menu.id, node, lang, 0, (), int(NOW.timestamp()), menu.version)
        self.steps: list[Any] = []
        self.turn = self.send(Enter())

    def send(self, event: Any) -> Turn:
        # Through the URL and back, as Twilio would carry it.
        state = CallState.from_params(self.state.to_params())
        assert state is not None
        turn = core.step(self.menu, state, event, NOW, caller=self.caller, lookups=self.lookups)
        assert turn.state is not None
        self.state, self.turn = turn.state, turn
        self.steps.extend(turn.steps)
        return turn

    def press(self, digits: str) -> Turn:
        return self.send(Input(digits=digits))

    def say(self, speech: str) -> Turn:
        return self.send(Input(speech=speech, confidence=0.9))

    @property
    def heard(self) -> str:
        spoken = [a for a in self.turn.actions if isinstance(a, Speak)]
        for gather in (a for a in self.turn.actions if isinstance(a, Gather)):
            spoken += [p for p in gather.prompts if isinstance(p, Speak)]
        return " ".join(s.text for s in spoken)

    @property
    def gather(self) -> Gather:
        return next(a for a in self.turn.actions if isinstance(a, Gather))


def test_asks_for_a_fixed_length_number_with_the_keypad_or_voice(menu: Menu) -> None:
    call = Caller(menu, "status")
    assert call.heard == "Enter your order number."
    assert call.gather.num_digits == 6 and call.gather.finish_on_key == ""  # "#" stays a key
    assert call.gather.input == "dtmf speech"
    variable = Caller(menu, "pin_status")
    assert variable.gather.num_digits is None and variable.gather.finish_on_key == "#"


def test_reads_the_number_back_then_answers_with_translated_values_and_dates(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("100001")
    assert call.heard.startswith("You entered 1 0 0 0 0 1. If that is right, press 1")
    assert call.state.pending.startswith("lookup:confirm:")
    assert "100001" not in str(call.state.to_params())  # sealed in the callback URL
    call.press("1")
    assert call.heard.startswith("Order 1 0 0 0 0 1 is on its way, delivery expected "
                                 "Wednesday, November 25. For your order, press 1.")
    assert call.state.node == "main"


@pytest.mark.parametrize("lang, said, expected", [
    ("en", "one zero zero zero zero one", "La commande"),
    ("fr", "un zéro zéro zéro zéro un", "La commande 1 0 0 0 0 1 est en route, livraison prévue "
                                        "mercredi 25 novembre."),
    ("ro", "unu zero zero zero zero unu", "Comanda 1 0 0 0 0 1 este pe drum, livrare estimată "
                                          "miercuri, 25 noiembrie."),
])
def test_digits_can_be_said_and_the_answer_is_in_the_callers_language(
        menu: Menu, lang: str, said: str, expected: str) -> None:
    call = Caller(menu, "status", "fr" if lang == "en" else lang)
    call.say(said if lang != "en" else "1 0 0 0 0 1")
    assert "1 0 0 0 0 1" in call.heard
    call.say({"en": "oui", "fr": "oui", "ro": "da"}[lang])
    assert call.heard.startswith(expected)


def test_the_read_back_takes_a_spoken_key_and_a_trailing_hash_is_ignored(menu: Menu) -> None:
    call = Caller(menu, "pin_status")
    call.press("1000#")
    assert call.heard == "Enter your PIN."
    confirm = Caller(menu, "status")
    confirm.press("100001")
    confirm.say("one")
    assert confirm.heard.startswith("Order 1 0 0 0 0 1 is on its way")


def test_two_at_the_read_back_asks_for_the_number_again(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("100001")
    call.press("2")
    assert call.heard == "Enter your order number."
    assert call.state.pending == "" and call.state.node == "status"
    call.press("100002")
    assert "1 0 0 0 0 2" in call.heard


def test_invalid_entries_get_a_retry_then_the_fallback(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("12345")  # one digit short
    assert call.heard.startswith("Sorry, that number doesn't look right. Enter your order")
    call.say("purple elephant")
    assert any(isinstance(a, Hangup) for a in call.turn.actions)  # tries: 2 -> fallback bye
    assert call.lookups.calls == []


def test_not_found_gets_a_retry_then_the_fallback(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("999999")
    call.press("1")
    assert call.heard.startswith("Sorry, I couldn't find anything for 9 9 9 9 9 9. Enter your")
    assert call.state.node == "status" and call.state.tries == 1
    call.press("999998")
    call.press("1")
    assert "couldn't find anything for 9 9 9 9 9 8" in call.heard
    assert any(isinstance(a, Hangup) for a in call.turn.actions)


@pytest.mark.parametrize("reason", ["timeout", "circuit_open", "http"])
def test_a_failing_source_apologises_and_falls_back_without_a_retry(menu: Menu,
                                                                    reason: str) -> None:
    call = Caller(menu, "status", lookups=FakeLookups(fail=reason))
    call.press("100001")
    call.press("1")
    assert call.heard.startswith("Sorry, we can't check that right now.")
    assert any(isinstance(a, Hangup) for a in call.turn.actions)
    assert ("status", "lookup", "****01", f"failed:{reason}") in [
        (s.node, s.event, s.input, s.outcome) for s in call.steps]


def test_a_record_routes_onward_by_a_field_value(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("100002")
    call.press("1")
    assert call.heard.startswith("Order 1 0 0 0 0 2 is delayed")  # untranslated: spoken as is
    assert [a.number for a in call.turn.actions if isinstance(a, Dial)] == ["+15005550006"]


def test_an_answer_can_depend_on_a_value_and_a_missing_field_is_a_failure(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("100005")
    call.press("1")
    assert call.heard.startswith("Order 1 0 0 0 0 5 was cancelled.")
    broken = Caller(menu, "status")
    broken.press("100009")  # shipped but no delivery date: the template cannot be filled
    broken.press("1")
    assert broken.heard.startswith("Sorry, we can't check that right now.")
    assert "failed:missing_field:delivery_date" in [s.outcome for s in broken.steps]


def test_a_pin_must_match_before_the_answer_and_is_never_kept(menu: Menu) -> None:
    call = Caller(menu, "pin_status")
    call.press("100001")  # no read-back: straight to the PIN
    assert call.heard == "Enter your PIN."
    assert call.gather.input == "dtmf" and call.gather.num_digits == 4
    assert call.lookups.calls == []
    call.press("0000")
    assert call.heard.startswith("Sorry, those details don't match our records. Enter your PIN.")
    call.press("4321")
    assert call.heard.startswith("Card 1 0 0 0 0 1: shipped.")
    journey = repr(call.steps) + repr(call.state)
    assert "4321" not in journey and "0000" not in journey and "100001" not in journey
    assert [(s.event, s.outcome) for s in call.steps if s.event == "verify"] == [
        ("verify", "pin:mismatch"), ("verify", "pin:match")]


def test_identify_by_caller_id_and_check_it_against_the_record(menu: Menu) -> None:
    call = Caller(menu, "mine", caller="+15551230000")
    assert call.heard.startswith("Your order is shipped.")
    assert call.lookups.calls == [{"id": "+15551230000", "caller": "+15551230000"}]
    withheld = Caller(menu, "mine", caller="anonymous")
    assert withheld.heard.startswith("Sorry, I can't see the number you are calling from.")
    assert withheld.lookups.calls == []


def test_caller_id_as_a_second_factor_refuses_another_phone(menu: Menu) -> None:
    lookups = FakeLookups()
    lookups.find = lambda menu, source, params: LookupResult.found(RECORDS["100001"])  # type: ignore[method-assign]
    call = Caller(menu, "mine", caller="+40720000000", lookups=lookups)
    assert call.heard.startswith("Sorry, those details don't match our records.")
    assert any(isinstance(a, Hangup) for a in call.turn.actions)


def test_a_tampered_sealed_number_is_not_trusted(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("100001")
    call.state = replace(call.state, pending=call.state.pending[:-3] + "AAA")
    call.press("1")
    assert call.heard == "Enter your order number."
    assert call.lookups.calls == []
    # Nor is a token from another call (another start time).
    call.press("100001")
    call.state = replace(call.state, started=call.state.started + 1)
    call.press("1")
    assert call.lookups.calls == []


def test_silence_and_global_keys_work_while_asking(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.send(Silence())
    assert call.heard.startswith("Sorry, I didn't hear anything. Enter your order number.")
    call.press("0")  # a lone global key: an agent
    assert any(isinstance(a, Dial) for a in call.turn.actions)


def test_journey_masks_identifiers(menu: Menu) -> None:
    call = Caller(menu, "status")
    call.press("100001")
    call.press("1")
    lines = [(s.event, s.input, s.outcome) for s in call.steps]
    assert ("lookup_entry", "****01", "readback") in lines
    assert ("lookup", "****01", "found:go:main") in lines
    assert "100001" not in repr(call.steps)


@pytest.mark.parametrize("snippet, message", [
    ("source: nowhere", "unknown source 'nowhere'"),
    ('answer: "Order {order_id:colour}"', "unknown format 'colour'"),
    ('answer: "Order {order_id"', "answer (*)"),
    ("identify: fingerprint", "identify is one of keypad, caller_id"),
    ("verify: {by: pin, field: pin}", "verify by pin needs 'say'"),
])
def test_node_mistakes_are_reported_with_their_line(snippet: str, message: str) -> None:
    key = snippet.split(":")[0]
    lines = [line for line in MENU.splitlines()]
    start = lines.index("  status:")
    for i in range(start + 1, len(lines)):
        if lines[i].startswith(f"    {key}:"):
            while i + 1 < len(lines) and lines[i + 1].startswith("      "):
                del lines[i + 1]
            lines[i] = f"    {snippet}"
            break
    else:
        lines.insert(start + 2, f"    {snippet}")
    with pytest.raises(MenuError) as exc:
        load_text("\n".join(lines), "shop.yaml")
    found = [p for p in exc.value.problems if message in p.message]
    assert found, exc.value.problems
    assert found[0].where.line > start


@pytest.mark.parametrize("source, message", [
    ("{type: sql, database: demo, query: \"DELETE FROM orders WHERE id = :id\"}", "must be a SELECT"),
    ("{type: sql, database: demo, query: \"SELECT * FROM orders WHERE id = :order\"}",
     "unknown parameter(s) :order"),
    ("{type: sql, database: demo, query: \"SELECT * FROM orders WHERE id = '{id}'\"}", "they are bound"),
    ("{type: sql, database: \"postgresql://u:p@h/db\", query: \"SELECT 1\"}", "not a URL"),
    ("{type: sql, database: demo, query: \"SELECT '${DATABASE_URL}' AS x\"}", "reads no ${NAME}"),
    ("{type: http, url: \"https://x.test/{id}\", headers: {Host: IVR_SOURCE_HOST}}",
     "set by the connection itself"),
    ("{type: http, url: \"https://x.test/{order}\"}", "unknown parameter {order}"),
    ("{type: http, url: \"https://x.test/{id}?api_key=abc123\"}", "contain a credential"),
    ("{type: http, url: \"https://x.test/{id}\", headers: {Authorization: \"Bearer abc\"}}",
     "credentials come from the environment"),
    ("{type: csv, file: ../secrets.csv, key: id}", "inside the menus folder"),
    ("{type: ftp}", "unknown source type 'ftp'"),
])
def test_source_mistakes_are_reported(source: str, message: str) -> None:
    text = MENU.replace("orders: {type: csv, file: orders.csv, key: order_id}", f"orders: {source}")
    with pytest.raises(MenuError) as exc:
        load_text(text, "shop.yaml")
    problems = [p for p in exc.value.problems if message in p.message]
    assert problems and problems[0].where.line == 11, exc.value.problems


@pytest.mark.parametrize("source, message", [
    ("{type: sql, query: \"SELECT 1\", url_env: SHOP_DATABASE_URL}", "url_env is replaced by"),
    ("{type: sql, query: \"SELECT 1 WHERE :id = :id\"}", "a sql source names its database"),
])
def test_sources_written_before_databases_were_named_load_with_a_warning(
        source: str, message: str) -> None:
    """Menus of earlier releases keep loading; their lookups apologise (no database to read)."""
    text = MENU.replace("orders: {type: csv, file: orders.csv, key: order_id}", f"orders: {source}")
    menu = load_text(text, "shop.yaml")
    notes = [p for p in menu.notes if message in p.message]
    assert notes and notes[0].severity == "warning" and notes[0].where.line == 11
    assert "apologise and fall back" in notes[0].message
    assert menu.sources["orders"].database == ""


def test_sources_are_parsed_into_the_menu(menu: Menu) -> None:
    source = menu.sources["orders"]
    assert (source.kind, source.file, source.key) == ("csv", "orders.csv", "order_id")
    http = load_text(MENU.replace(
        "orders: {type: csv, file: orders.csv, key: order_id}",
        'orders: {type: http, url: "${SHOP_API}/orders/{id}", timeout: 1.5, '
        'headers: {Authorization: "Bearer ${SHOP_TOKEN}", X-Key: SHOP_KEY}, '
        'record: data, fields: {status: state, delivery_date: eta.date}}'), "shop.yaml")
    config = http.sources["orders"]
    assert config.timeout == 1.5
    assert config.headers == {"Authorization": "Bearer ${SHOP_TOKEN}", "X-Key": "${SHOP_KEY}"}
    assert sorted(config.env_names()) == ["SHOP_API", "SHOP_KEY", "SHOP_TOKEN"]


def test_no_lookups_injected_is_a_spoken_failure_not_a_crash(menu: Menu) -> None:
    state = CallState(menu.id, "pin_status", "en", 0, (), int(NOW.timestamp()), menu.version)
    turn = core.step(menu, state, Input(digits="100001"), NOW)
    assert "can't check that right now" in " ".join(
        a.text for a in turn.actions if isinstance(a, Speak))
    assert date(2026, 11, 23) == NOW.date()


def test_sealing_hides_the_number_and_binds_it_to_its_call() -> None:
    sealer = Sealer("secret")
    token = sealer.seal("100001", "shop:status:1")
    assert "100001" not in token and token == sealer.seal("100001", "shop:status:1")
    assert sealer.unseal(token, "shop:status:1") == "100001"
    assert sealer.unseal(token, "shop:status:2") is None
    assert Sealer("other").unseal(token, "shop:status:1") is None
    assert sealer.unseal(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
                         "shop:status:1") is None
    assert sealer.unseal("!!", "shop:status:1") is None
