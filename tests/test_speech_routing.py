"""Spoken requests in the engine: question node, confirmation, refinement, jumps — plain values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivr.engine import core
from ivr.engine.types import Enter, Gather, Hangup, Input, Silence, Speak, Turn
from ivr.menu.loader import load_text
from ivr.menu.model import Menu
from ivr.nodes.routing import directory, yes_or_no

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

MENU = """
menu: desk
languages:
  en: {locale: en-US, voice: Polly.Joanna}
  fr: {locale: fr-FR, voice: Polly.Lea}
  ro: {locale: ro-RO, voice: Polly.Carmen}
start: ask
main: ask
speech: {jump: JUMP, confirm_below: 0.5}
defaults: {tries: 2, fallback: bye}
global_keys: {"9": main}
nodes:
  ask:
    type: question
    say: {en: "Tell me what you need.", fr: "Dites-moi ce dont vous avez besoin.",
          ro: "Spuneți-mi de ce aveți nevoie."}
  card_delivery:
    type: message
    phrases: {en: [card delivery, new card arrival, when will my card arrive],
              fr: [livraison de carte, quand arrive ma carte],
              ro: [livrarea cardului, când vine cardul]}
    say: {en: "Cards arrive within a week.", fr: "Les cartes arrivent en une semaine.",
          ro: "Cardurile sosesc într-o săptămână."}
    next: bye
  card_payment:
    type: message
    phrases: {en: [card payment, card payment declined, pay with my card],
              fr: [paiement par carte, carte refusée],
              ro: [plata cu cardul, card refuzat]}
    say: {en: "Check your card limit.", fr: "Vérifiez votre plafond.", ro: "Verificați limita."}
    next: bye
  refunds:
    type: message
    phrases: {en: [refund, money back, return my money], fr: [remboursement, être remboursé],
              ro: [rambursare, banii înapoi]}
    say: {en: "Refunds take five days.", fr: "Cinq jours.", ro: "Cinci zile."}
    next: bye
  account:
    type: menu
    say: {en: "For your password press 1.", fr: "Mot de passe, tapez 1.", ro: "Parola, apăsați 1."}
    options:
      - key: "1"
        phrases: {en: [password, reset my password], fr: [mot de passe], ro: [parola]}
        go: password
  password:
    type: message
    say: {en: "Use the reset link.", fr: "Utilisez le lien.", ro: "Folosiți linkul."}
    next: bye
  bye:
    type: hangup
"""


def load(jump: bool = True) -> Menu:
    return load_text(MENU.replace("JUMP", "true" if jump else "false"), "desk.yaml")


def at(menu: Menu, node: str, lang: str = "en") -> Turn:
    """A call standing at ``node`` in ``lang``."""
    turn = core.start(menu, NOW)
    assert turn.state is not None
    state = turn.state.at(node)
    from dataclasses import replace

    state = replace(state, lang=lang)
    return core.step(menu, state, Enter(), NOW)  # (re-)enter the node: it asks its question


def say(menu: Menu, turn: Turn, text: str, confidence: float | None = 0.9) -> Turn:
    assert turn.state is not None
    return core.step(menu, turn.state, Input(speech=text, confidence=confidence), NOW)


def press(menu: Menu, turn: Turn, digits: str) -> Turn:
    assert turn.state is not None
    return core.step(menu, turn.state, Input(digits=digits), NOW)


def spoken(turn: Turn) -> str:
    """Everything the caller hears in a turn, as one string."""
    out = []
    for action in turn.actions:
        if isinstance(action, Speak):
            out.append(action.text)
        if isinstance(action, Gather):
            out.extend(p.text for p in action.prompts if isinstance(p, Speak))
    return " ".join(out)


def test_a_confident_question_goes_straight_to_the_answer() -> None:
    menu = load()
    turn = say(menu, at(menu, "ask"), "I want my money back")
    assert turn.state is not None and turn.state.node == "refunds"
    assert "Refunds take five days." in spoken(turn)
    outcome = [s.outcome for s in turn.steps if s.event == "speech"][0]
    assert outcome.startswith("match:refunds:") or outcome.startswith("jump:refunds:")


def test_an_ambiguous_question_offers_a_mini_menu_and_a_key_picks() -> None:
    menu = load()
    assert directory(menu, "en").decide("my card").kind == "refine"
    turn = say(menu, at(menu, "ask"), "my card")
    assert turn.state is not None
    assert turn.state.node == "ask" and turn.state.pending.startswith("refine:")
    offered = turn.state.pending.split(":", 1)[1].split(",")
    assert set(offered[:2]) == {"card_delivery", "card_payment"}
    text = spoken(turn)
    assert "press 1" in text and "press 2" in text and "say something else" in text
    # The journey records the candidates with their scores.
    assert any(s.outcome.startswith("refine:card_") and "=0." in s.outcome for s in turn.steps)
    chosen = press(menu, turn, "2")
    assert chosen.state is not None and chosen.state.node == offered[1]
    assert chosen.state.pending == ""


def test_the_mini_menu_answers_by_voice_and_something_else_asks_again() -> None:
    menu = load()
    turn = say(menu, at(menu, "ask"), "my card")
    by_voice = say(menu, turn, "card payment")
    assert by_voice.state is not None and by_voice.state.node == "card_payment"
    again = say(menu, turn, "something else")
    assert again.state is not None
    assert again.state.node == "ask" and again.state.pending == "" and again.state.tries == 1


def test_nothing_plausible_says_so_then_falls_back() -> None:
    menu = load()
    first = say(menu, at(menu, "ask"), "purple elephants dancing")
    assert first.state is not None and first.state.node == "ask" and first.state.tries == 1
    assert "couldn't find anything" in spoken(first)
    assert [s.outcome for s in first.steps if s.event == "speech"] == ["nothing"]
    second = say(menu, first, "zebra saxophone")
    assert any(isinstance(a, Hangup) for a in second.actions)  # tries: 2 -> fallback: bye


def test_low_recognition_confidence_is_confirmed_first() -> None:
    menu = load()
    turn = say(menu, at(menu, "ask"), "I want my money back", confidence=0.3)
    assert turn.state is not None and turn.state.pending == "confirm:refunds"
    assert "Did you mean refund?" in spoken(turn)
    yes = say(menu, turn, "yes please")
    assert yes.state is not None and yes.state.node == "refunds"
    no = say(menu, turn, "no")
    assert no.state is not None and no.state.node == "ask" and no.state.pending == ""
    # "no" is an answer, not a mistake: no apology
    assert "didn't understand" not in spoken(no) and "couldn't find" not in spoken(no)
    by_key = press(menu, turn, "1")
    assert by_key.state is not None and by_key.state.node == "refunds"


def test_a_missing_confidence_is_not_a_low_one() -> None:
    menu = load()
    turn = say(menu, at(menu, "ask"), "I want my money back", confidence=None)
    assert turn.state is not None and turn.state.node == "refunds"


def test_a_request_that_fits_elsewhere_jumps_there_unless_switched_off() -> None:
    menu = load()
    turn = say(menu, at(menu, "account"), "I want my money back")
    assert turn.state is not None and turn.state.node == "refunds"
    assert any(s.outcome.startswith("jump:refunds:") for s in turn.steps)
    stay = load(jump=False)
    kept = say(stay, at(stay, "account"), "I want my money back")
    assert kept.state is not None and kept.state.node == "account" and kept.state.tries == 1


def test_the_own_options_win_over_the_directory() -> None:
    menu = load()
    turn = say(menu, at(menu, "account"), "reset my password")
    assert turn.state is not None and turn.state.node == "password"


@pytest.mark.parametrize("lang,utterance,expected", [
    ("fr", "je voudrais être remboursé", "refunds"),
    ("fr", "ma carte a été refusée", "card_payment"),
    ("ro", "vreau banii inapoi", "refunds"),
    ("ro", "cand vine cardul meu", "card_delivery"),
])
def test_questions_in_french_and_romanian(lang: str, utterance: str, expected: str) -> None:
    menu = load()
    start = at(menu, "ask", lang)
    turn = say(menu, start, utterance)
    assert turn.state is not None
    if turn.state.pending.startswith("refine:"):
        # Unsure: the right answer must be among those offered, in the caller's language.
        offered = turn.state.pending.split(":", 1)[1].split(",")
        assert expected in offered
        key = str(offered.index(expected) + 1)
        turn = press(menu, turn, key)
    assert turn.state is not None and turn.state.node == expected
    heard = [a for a in turn.actions if isinstance(a, Speak | Gather)]
    locales = {a.locale for a in heard}
    assert locales == {menu.languages[lang].locale}


def test_the_mini_menu_is_spoken_in_the_callers_language() -> None:
    menu = load()
    turn = say(menu, at(menu, "ask", "ro"), "cardul meu")
    assert turn.state is not None and turn.state.pending.startswith("refine:")
    text = spoken(turn)
    assert "apăsați 1" in text and "Sau spuneți altceva." in text
    gather = next(a for a in turn.actions if isinstance(a, Gather))
    assert gather.locale == "ro-RO" and gather.speech_model != "phone_call"


def test_silence_during_a_refinement_asks_the_question_again() -> None:
    menu = load()
    turn = say(menu, at(menu, "ask"), "my card")
    assert turn.state is not None
    quiet = core.step(menu, turn.state, Silence(), NOW)
    assert quiet.state is not None and quiet.state.pending == "" and quiet.state.tries == 1
    assert "didn't hear" in spoken(quiet)


@pytest.mark.parametrize("text,lang,expected", [
    ("Yes.", "en", True), ("yeah sure", "en", True), ("no thanks", "en", False),
    ("Oui", "fr", True), ("non merci", "fr", False), ("Da", "ro", True), ("nu", "ro", False),
    ("maybe", "en", None), ("peut-être", "fr", None),
])
def test_yes_or_no(text: str, lang: str, expected: bool | None) -> None:
    assert yes_or_no(text, lang) is expected


def test_question_hints_come_from_the_whole_menu() -> None:
    menu = load()
    turn = at(menu, "ask", "fr")
    gather = next(a for a in turn.actions if isinstance(a, Gather))
    assert "remboursement" in gather.hints and "livraison de carte" in gather.hints
    assert all(len(h) <= 100 for h in gather.hints) and len(gather.hints) <= 500
