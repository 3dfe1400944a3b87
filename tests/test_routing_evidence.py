"""Routing weighs what a menu says about a destination, and says so when nothing answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ivr.engine import core
from ivr.engine.types import Enter, Input
from ivr.menu.loader import load_text
from ivr.menu.model import Menu
from ivr.nodes.directory import announced, evidence_entries, evidence_index, sentences, warm
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

# A menu whose phrases are sparse: what each destination does is in its answer, its
# description, the options beneath it and the prompt line announcing it.
SPARSE = """
menu: sparse
languages: {en: {}}
start: main
nodes:
  main:
    type: menu
    say: >-
      Main menu. For parcels that went astray or arrived broken, press 1.
      Press 2 for the shop. To end the call, press 3 or say goodbye.
    options:
      - {key: "1", phrases: {en: [deliveries]}, go: deliveries}
      - {key: "2", phrases: {en: [shop]}, go: shop}
      - {key: "3", phrases: {en: [goodbye]}, go: bye}
  deliveries:
    type: message
    label: {en: deliveries}
    description: Complaints about couriers and damaged goods.
    say: {en: "Tell the courier within two days and keep the packaging for inspection."}
    next: main
  shop:
    type: menu
    say: {en: "For opening hours, press 1. For gift vouchers, press 2."}
    options:
      - {key: "1", phrases: {en: [hours]}, go: hours}
      - {key: "2", phrases: {en: [vouchers]}, go: vouchers}
  hours:
    type: message
    label: {en: opening hours}
    say: {en: "We are open from nine to five. The shop is at 4 Mill Lane."}
    next: main
  vouchers:
    type: message
    label: {en: gift vouchers}
    say: {en: "Gift vouchers are sold at the till, from ten to two hundred pounds."}
    next: main
  bye: {type: hangup, say: "Goodbye."}
"""


@pytest.fixture
def sparse() -> Menu:
    menu = load_text(SPARSE, "sparse.yaml")
    warm(menu)
    return menu


def say_at(menu: Menu, node: str, text: str, lang: str = "en") -> core.Turn:
    begun = core.start(menu, NOW)
    assert begun.state is not None
    state = replace(begun.state, node=node, lang=lang, path=(menu.main, node))
    entered = core.step(menu, state, Enter(), NOW)
    assert entered.state is not None
    return core.step(menu, entered.state, Input(speech=text, confidence=0.9), NOW)


def test_a_prompt_line_names_the_key_it_announces() -> None:
    menu = load_text(SPARSE, "sparse.yaml")
    lines = dict(announced(menu, menu.nodes["main"], "en"))
    assert lines["1"] == "For parcels that went astray or arrived broken"
    assert lines["2"] == "for the shop"
    assert lines["3"] == "To end the call"  # "or say goodbye" is the phrase, not evidence
    shop = dict(announced(menu, menu.nodes["shop"], "en"))
    assert shop == {"1": "For opening hours", "2": "For gift vouchers"}


def test_evidence_is_the_answer_description_options_beneath_and_announcing_line(
        sparse: Menu) -> None:
    found = dict(evidence_entries(sparse, "en"))
    deliveries = found["deliveries"]
    assert "Tell the courier within two days and keep the packaging for inspection." in deliveries
    assert "Complaints about couriers and damaged goods." in deliveries
    assert "For parcels that went astray or arrived broken" in deliveries
    assert {"opening hours", "gift vouchers"} <= set(found["shop"])  # the options beneath
    assert "bye" not in found  # a hang-up is never a destination
    assert evidence_index(sparse, "en") is not None


def test_each_sentence_of_an_answer_is_its_own_evidence(sparse: Menu) -> None:
    # "where is the shop" meets the sentence giving the address, not the whole answer
    # about opening hours; a fragment of one word is no evidence.
    hours = dict(evidence_entries(sparse, "en"))["hours"]
    assert "We are open from nine to five." in hours
    assert "The shop is at 4 Mill Lane." in hours
    assert not any("nine to five. The shop" in text for text in hours)
    assert sentences("Thanks. Returns are free for thirty days.") == [
        "Returns are free for thirty days."]
    assert sentences("Open daily") == ["Open daily"]


def test_a_request_told_by_what_the_answer_says_reaches_it(sparse: Menu) -> None:
    turn = say_at(sparse, "main", "the courier broke my packaging")
    assert turn.state is not None
    offered = turn.state.pending.partition(":")[2].split(",")
    assert turn.state.node == "deliveries" or offered[0] == "deliveries"


def test_the_prompt_line_announcing_a_destination_is_evidence(
        sparse: Menu, monkeypatch: pytest.MonkeyPatch) -> None:
    turn = say_at(sparse, "main", "my parcel went astray")
    assert turn.state is not None
    offered = turn.state.pending.partition(":")[2].split(",")
    assert turn.state.node == "deliveries" or offered[0] == "deliveries"
    # Only the prompt line says "astray": without evidence nothing leads there.
    from ivr.nodes import routing

    monkeypatch.setattr(routing, "EVIDENCE_WEIGHT", 0.0)
    turn = say_at(sparse, "main", "my parcel went astray")
    assert turn.state is not None
    offered = turn.state.pending.partition(":")[2].split(",")
    assert turn.state.node != "deliveries" and offered[0] != "deliveries"


def test_the_options_beneath_a_submenu_lead_to_it(sparse: Menu) -> None:
    # The shop menu has one phrase ("shop"); "gift vouchers" is the label of an option
    # beneath it: said at the main menu, it finds the vouchers or the shop.
    turn = say_at(sparse, "main", "vouchers please")
    assert turn.state is not None
    offered = turn.state.pending.partition(":")[2].split(",")
    assert turn.state.node in ("vouchers", "shop") or {"vouchers", "shop"} & set(offered)


def test_the_address_in_an_answer_finds_it_from_another_menu(sparse: Menu) -> None:
    turn = say_at(sparse, "main", "where is Mill Lane")
    assert turn.state is not None
    offered = turn.state.pending.partition(":")[2].split(",")
    assert turn.state.node == "hours" or offered[0] == "hours"


def test_an_explicit_phrase_still_wins_over_evidence(sparse: Menu) -> None:
    # "shop" is the shop menu's phrase; the hours answer says "The shop is at ..." too.
    turn = say_at(sparse, "main", "shop")
    assert turn.state is not None and turn.state.node == "shop"
    turn = say_at(sparse, "shop", "vouchers")
    assert turn.state is not None and turn.state.node == "vouchers"


def test_a_menu_with_little_to_say_loads_and_routes_on_phrases() -> None:
    text = """
menu: bare
languages: {en: {}}
start: main
nodes:
  main:
    type: menu
    say: {en: "Welcome."}
    options:
      - {key: "1", phrases: {en: [billing]}, go: billing}
  billing: {type: message, say: {en: "Billing."}, next: main}
"""
    menu = load_text(text, "bare.yaml")
    warm(menu)
    assert evidence_entries(menu, "en") == [("billing", ["Billing."])]
    turn = say_at(menu, "main", "billing")
    assert turn.state is not None and turn.state.node == "billing"


# -- nothing in the menu answers it: say so, with the main topics -----------------------------
@pytest.fixture
def shop_auto() -> Any:
    from ivr.nodes.warmup import warm_menu
    from ivr.speech import use_matcher

    if use_matcher("auto") != "auto":
        pytest.skip("the embeddings extra is not installed")
    menu = load_text((ROOT / "menus" / "shop.yaml").read_text(encoding="utf-8"), "shop.yaml")
    warm_menu(menu)
    return menu


@pytest.mark.parametrize("lang,said", [
    ("en", "do you sell lottery tickets"),
    ("fr", "vous vendez des billets de loterie"),
    ("ro", "vindeți bilete de loterie"),
])
def test_a_request_nothing_answers_hears_so_and_the_main_topics(
        shop_auto: Menu, lang: str, said: str) -> None:
    turn = say_at(shop_auto, "main", said, lang)
    assert turn.state is not None
    kind, _, rest = turn.state.pending.partition(":")
    outcomes = [s.outcome for s in turn.steps]
    assert kind == "topics" or any(o.startswith("nothing") for o in outcomes), outcomes
    if kind == "topics":
        assert set(rest.split(",")) <= {"orders", "returns", "account", "shop_hours",
                                         "product_search", "person", "ask"}


def test_a_request_nothing_answers_still_counts_as_not_understood(shop_auto: Menu) -> None:
    from ivr.analytics.wording import missed

    turn = say_at(shop_auto, "main", "do you sell lottery tickets")
    assert turn.state is not None and turn.state.pending.startswith("topics:")
    lines = [{"call_sid": "CA1", "event": s.event, "input": s.input, "outcome": s.outcome,
              "lang": s.lang, "node": s.node} for s in turn.steps]
    speech = [line["outcome"] for line in lines if line["event"] == "speech"]
    assert len(speech) == 1 and speech[0].startswith("nothing:topics:") and " | " in speech[0]
    found = missed(lines)
    assert [m.text for m in found] == ["do you sell lottery tickets"]
    assert found[0].candidates  # the ranking travels to the "Not understood" page


def test_a_request_the_menu_answers_is_still_routed_or_refined(shop_auto: Menu) -> None:
    turn = say_at(shop_auto, "main", "i want to send back a jacket")
    assert turn.state is not None
    kind, _, rest = turn.state.pending.partition(":")
    offered = set(rest.split(","))
    assert turn.state.node in ("returns", "how_to_return") or (
        kind == "refine" and offered & {"returns", "how_to_return"}), (turn.state.node, kind, rest)


def test_every_main_topic_of_the_demo_menus_has_evidence_in_every_language() -> None:
    from ivr.nodes.directory import topics

    for path in sorted(Path(ROOT / "menus").glob("*.yaml")):
        menu = load_text(path.read_text(encoding="utf-8"), path.name)
        for lang in menu.languages:
            found = dict(evidence_entries(menu, lang))
            missing = [t for t in topics(menu) if not found.get(t)]
            assert not missing, (path.name, lang, missing)


DESKS = """
menu: desks
languages: {en: {}}
start: main
global_keys: {"0": office}
nodes:
  main:
    type: menu
    say: "For admissions, press 1. For fees, press 2. For the office, press 0."
    options:
      - {key: "1", phrases: {en: [admissions, apply]}, go: admissions}
      - {key: "2", phrases: {en: [fees]}, go: fees}
  admissions:
    type: menu
    say: "For how to apply, press 1. To talk to the admissions office, press 2."
    options:
      - {key: "1", phrases: {en: [how to apply]}, go: apply}
      - {key: "2", phrases: {en: [admissions office]}, go: admissions_desk}
  apply:
    type: message
    label: {en: how to apply}
    say: {en: "Apply online with the child's last two reports."}
    next: main
  admissions_desk:
    type: transfer
    label: {en: the admissions office}
    number: "+15005550100"
  fees:
    type: message
    label: {en: fees}
    say: {en: "Fees are paid each term."}
    next: main
  office:
    type: transfer
    label: {en: the front office}
    number: "+15005550101"
"""


@pytest.fixture
def desks() -> Menu:
    menu = load_text(DESKS, "desks.yaml")
    warm(menu)
    return menu


def went(turn: core.Turn) -> str:
    return next(s.outcome for s in turn.steps if s.event == "speech")


@pytest.mark.parametrize("at,said,desk", [
    ("main", "can I speak to someone in the admissions office", "admissions_desk"),
    ("admissions", "I'd like to talk to someone", "admissions_desk"),  # this submenu's own people
    ("main", "I'd like to talk to someone", "office"),  # no department named: where 0 goes
    ("main", "can I talk to someone about the fees", "office"),  # fees has no people of its own
])
def test_a_request_for_the_people_of_a_department_goes_to_them(
        desks: Menu, at: str, said: str, desk: str) -> None:
    assert went(say_at(desks, at, said)) == f"person:{desk}:1.00"


def test_the_exact_phrase_of_a_destination_not_offered_is_a_new_request(desks: Menu) -> None:
    # Offered admissions or fees, the caller names an option beneath admissions by its
    # own phrase: that option, not the submenu it sits in.
    begun = core.start(desks, NOW)
    assert begun.state is not None
    entered = core.step(desks, replace(begun.state, node="main", path=("main",)), Enter(), NOW)
    assert entered.state is not None
    asked = replace(entered.state, pending="refine:admissions,fees")
    turn = core.step(desks, asked, Input(speech="how to apply", confidence=0.9), NOW)
    assert turn.state is not None and turn.state.node == "apply"
    # A word of an offered one still picks it.
    turn = core.step(desks, asked, Input(speech="the fees please", confidence=0.9), NOW)
    assert turn.state is not None and turn.state.node == "fees"
