"""The caller's path in words, from the codes the engine logs."""

from __future__ import annotations

from ivr.dashboard.journey import describe, node_name
from ivr.menu.loader import load_menu
from tests.conftest import ROOT

SHOP = load_menu(ROOT / "menus" / "shop.yaml")


def said(event: str, given: str, outcome: str, node: str = "main") -> str:
    step = describe({"node": node, "event": event, "input": given, "outcome": outcome,
                     "at": "2026-11-23T08:00:00+00:00"}, SHOP, "en")
    return f"{step.where}: {step.did}, {step.then}" if step.then else f"{step.where}: {step.did}"


def test_the_codes_of_the_issue_read_as_sentences() -> None:
    assert said("speech", "I'd like to speak to a human", "jump:person:0.65") == \
        "main menu: Said \u2018I'd like to speak to a human\u2019, understood as talk to a " \
        "person; sent to: talk to a person"
    assert said("hours", "", "closed:go:closed", node="person") == \
        "talk to a person: Checked the opening hours, closed, sent to: closed"
    assert said("language", "1", "lang:en", node="welcome") == "welcome: Pressed 1, chose English"
    assert said("silence", "", "lang:en:default", node="welcome") == \
        "welcome: Stayed silent, carried on in English"


def test_keys_tries_messages_and_the_stored_code() -> None:
    assert said("choice", "4", "go:shop_hours") == \
        "main menu: Pressed 4, sent to: when are you open"  # its own first phrase
    assert said("no_match", "7", "try 1/3") == "main menu: Pressed 7, asked again (try 1 of 3)"
    assert said("voicemail", "#", "recorded:RE123:14s", node="leave_message") == \
        "leave a message: Voicemail, left a 14-second message"
    step = describe({"node": "main", "event": "key", "input": "0", "outcome": "global:person"},
                    SHOP, "en")
    assert step.then == "a key that works everywhere; sent to: talk to a person"
    assert step.code == "key 0 global:person"


def test_node_names_use_the_callers_language_and_fall_back_to_the_id() -> None:
    assert node_name(SHOP, "person", "fr") == "parler à un conseiller"
    assert node_name(SHOP, "orders", "en") == "orders"  # the main menu option's first phrase
    assert node_name(SHOP, "gone_node", "en") == "gone node"
    assert node_name(None, "main", "en") == "main menu"
