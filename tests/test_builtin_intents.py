"""Built-in spoken intents (closing, repeat, back, main menu) and misses that count,
through signed webhooks on the demo menus."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ivr.menu.lint import lint
from ivr.menu.loader import load_menu
from ivr.speech.intents import builtin_intent
from tests.test_callers_understood import SHOP, call, demo, journey, pending, texts

__all__ = ["demo"]  # the fixture, shared


@pytest.mark.parametrize("lang,said", [
    ("en", "no thanks that's all"), ("en", "ok thanks bye bye"), ("en", "that's all thank you"),
    ("fr", "c'est tout, merci, bonne journée"), ("fr", "au revoir"), ("fr", "non merci"),
    ("ro", "gata, mulțumesc"), ("ro", "la revedere"), ("ro", "asta e tot mersi"),
    # Thanks alone, or "I got my answer", is how most callers take their leave.
    ("en", "great thanks a lot"), ("en", "got it, that answered my question, thanks"),
    ("fr", "super merci beaucoup"), ("fr", "j'ai eu ma réponse merci"),
    ("ro", "mersi mult"), ("ro", "am aflat ce voiam, mulțumesc"),
])
def test_a_closing_ends_the_call_politely_from_any_node(demo: Any, lang: str, said: str) -> None:
    phone = call(demo, SHOP, lang)
    phone.press("1")  # orders: a submenu, not the main menu
    assert phone.node == "orders"
    heard = phone.say(said)
    assert phone.ended
    steps = journey(demo, phone)
    assert ("orders", "speech", said, "closing:_goodbye") in [s[:4] for s in steps]
    assert texts(heard).strip()  # a goodbye was said before hanging up


@pytest.mark.parametrize("said", [
    "that's all I wanted to know about my card",  # a request, not a closing
    "goodbye to my old address, I moved",
    "no I want to return a jacket",
])
def test_a_request_that_mentions_a_closing_word_is_not_a_closing(said: str) -> None:
    assert builtin_intent(said, "en") is None


@pytest.mark.parametrize("lang,said", [
    ("en", "I need help thanks"), ("en", "can you call me back thanks"),
    ("en", "thanks, I want to return a jacket"),
    ("fr", "vous pouvez me rappeler merci"), ("fr", "merci je veux retourner un colis"),
    ("ro", "mă puteți suna înapoi vă rog mulțumesc"), ("ro", "la ce oră închideți"),
])
def test_thanks_beside_a_request_is_not_a_closing(lang: str, said: str) -> None:
    assert builtin_intent(said, lang) is None


def test_the_node_s_own_phrases_win_over_a_built_in_intent(demo: Any) -> None:
    # "retour" means "go back" anywhere, but the shop's French menu calls returns "retour".
    assert builtin_intent("retour", "fr") == "back"
    phone = call(demo, SHOP, "fr")
    phone.say("retour")
    assert phone.node != "main" and not phone.ended
    assert all("builtin" not in s[3] for s in journey(demo, phone))


def test_repeat_back_and_main_menu_by_voice(demo: Any) -> None:
    phone = call(demo, SHOP, "en")
    phone.press("1")
    assert phone.node == "orders"
    phone.say("sorry can you repeat that")
    assert phone.node == "orders"
    phone.say("go back")
    assert phone.node == "main"
    phone.press("1")
    phone.say("main menu please")
    assert phone.node == "main"
    outcomes = [s[3] for s in journey(demo, phone) if s[1] == "speech"]
    assert outcomes[:2] == ["builtin:repeat", "builtin:back"]


def test_nonsense_said_again_and_again_reaches_the_fallback(demo: Any) -> None:
    phone = call(demo, SHOP, "en")
    topics_offered = 0
    for _ in range(6):
        if phone.ended or phone.node != "main":
            break
        phone.say("purple elephant banana")
        topics_offered += pending(phone).startswith("topics:")
    assert phone.ended or phone.node != "main"  # the fallback (a person), never a loop
    assert topics_offered <= 1
    assert any(s[1] == "fallback" for s in journey(demo, phone))


def test_a_language_without_built_in_intents_loads_with_a_warning(tmp_path: Any) -> None:
    from ivr.engine.messages import BUILTIN, MESSAGE_NAMES

    hungarian = {name: BUILTIN["en"][name] for name in MESSAGE_NAMES}
    path = tmp_path / "desk.yaml"
    path.write_text(
        "menu: desk\nlanguages:\n  en: {locale: en-US}\n  hu: {locale: hu-HU}\n"
        "start: main\nmain: main\n"
        f"messages:\n  hu: {json.dumps(hungarian)}\n"
        "nodes:\n  main:\n    type: menu\n"
        "    say: {en: For hours press 1., hu: A nyitvatartásért nyomja meg az 1-et.}\n"
        "    options:\n      - {key: '1', go: hours, phrases: {en: [hours], hu: [nyitvatartás]}}\n"
        "  hours:\n    type: message\n    say: {en: We open at nine., hu: Kilenckor nyitunk.}\n"
        "    next: main\n", encoding="utf-8")
    menu = load_menu(path)  # a menu valid yesterday loads today
    assert builtin_intent("viszontlátásra", "hu") is None
    found = [p for p in lint(menu, None) if "built-in spoken intents" in p.message]
    assert len(found) == 1 and found[0].severity == "warning" and "'hu'" in found[0].message


DESK = """\
menu: desk
numbers: ["+15005550111"]
languages:
  en: {locale: en-US}
start: main
main: main
nodes:
  main:
    type: menu
    say: {en: "To be rung later, press 1. For our address, press 2. To end the call, press 9."}
    options:
      - {key: "1", go: call_back, phrases: {en: [ring me later]}}
      - {key: "2", go: address, phrases: {en: [address]}}
      - {key: "9", go: bye, phrases: {en: [end the call, goodbye]}}
  call_back:
    type: message
    say: {en: "We ring every customer within a day."}
    label: {en: our address}
    next: main
  address:
    type: message
    say: {en: "We are at 1 High Street."}
    label: {en: "Our address!"}
    next: main
  bye:
    type: hangup
"""


@pytest.fixture
def desk(tmp_path: Any, clock: Any) -> Any:
    from tests.conftest import make_app, shutdown, upgraded

    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(DESK, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    yield app
    shutdown(app)


def test_a_ranking_never_ends_the_call_on_words_that_only_look_like_a_closing(desk: Any) -> None:
    from ivr.simulator import FlaskTransport, Phone
    from tests.conftest import TOKEN

    phone = Phone(FlaskTransport(desk), TOKEN, called="+15005550111")
    phone.dial()
    phone.say("i want a call back")  # shares only "call" with "end the call"
    assert not phone.ended, [s[:4] for s in journey(desk, phone)]
    assert phone.node == "main"
    phone.say("end the call")  # the option's own words still end it
    assert phone.ended, [s[:4] for s in journey(desk, phone)]


def test_a_refinement_never_offers_two_destinations_whose_labels_read_the_same() -> None:
    from ivr.nodes.directory import distinct

    menu = load_menu_text(DESK)
    assert distinct(menu, "en", ["call_back", "address", "bye"]) == ["call_back", "bye"]


def load_menu_text(text: str) -> Any:
    from ivr.menu.loader import load_text

    return load_text(text, "desk.yaml", "desk")
