"""The pure call engine: events in, Turns out, with an explicit clock.

Every engine call in this file goes through ``begin``/``send``, which also check
that each Gather is followed by a Redirect (so a silent caller never hangs up).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ivr.engine.core import EngineError, start, step
from ivr.engine.messages import BUILTIN
from ivr.engine.types import (
    CallState,
    Dial,
    DialEnded,
    Done,
    Enter,
    Event,
    Gather,
    Hangup,
    Input,
    Play,
    Redirect,
    Silence,
    Speak,
    Step,
    Turn,
)
from ivr.menu.lint import lint
from ivr.menu.loader import load_menu, load_text
from ivr.menu.model import Menu
from tests.conftest import ROOT

# Monday 23 November 2026, 10:00 in Bucharest: the mini menu's office is open.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
# Sunday 22 November 2026, 10:00 in Bucharest: closed.
SUNDAY = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
EN, FR, RO = BUILTIN["en"], BUILTIN["fr"], BUILTIN["ro"]


@pytest.fixture(scope="module")
def mini() -> Menu:
    return load_menu(ROOT / "tests" / "menus" / "mini.yaml")


# ---- helpers ------------------------------------------------------------------------


def check_turn(turn: Turn) -> Turn:
    """Every Gather must be followed by a Redirect; a Turn always carries a state."""
    for i, action in enumerate(turn.actions):
        if isinstance(action, Gather):
            assert i + 1 < len(turn.actions), f"Gather is the last action: {turn.actions}"
            assert isinstance(turn.actions[i + 1], Redirect), turn.actions
            # A silent caller comes back to the node that asked, not elsewhere.
            assert turn.actions[i + 1].then.state.node == action.then.state.node  # type: ignore[union-attr]
    assert turn.state is not None
    return turn


def begin(menu: Menu, now: datetime = NOW) -> Turn:
    return check_turn(start(menu, now))


def send(menu: Menu, state: CallState | None, event: Event, now: datetime = NOW) -> Turn:
    assert state is not None
    return check_turn(step(menu, state, event, now))


def at(menu: Menu, node: str, lang: str = "en", *, tries: int = 0,
       path: tuple[str, ...] | None = None, now: datetime = NOW) -> CallState:
    """A call in progress at ``node``, started a minute before ``now``."""
    if path is None:
        path = ("main",) if node == "main" else ("main", node)
    return CallState(menu.id, node, lang, tries, path, int(now.timestamp()) - 60, menu.version)


def press(menu: Menu, state: CallState | None, *keys: str, now: datetime = NOW) -> Turn:
    turn = None
    for key in keys:
        turn = send(menu, state, Input(digits=key), now)
        state = turn.state
    assert turn is not None
    return turn


def gather_of(turn: Turn) -> Gather:
    gathers = [a for a in turn.actions if isinstance(a, Gather)]
    assert len(gathers) == 1, turn.actions
    return gathers[0]


def heard(turn: Turn) -> list[str]:
    """Every text the caller hears, in order (inside Gathers too)."""
    out: list[str] = []
    for action in turn.actions:
        items = action.prompts if isinstance(action, Gather) else (action,)
        for item in items:
            if isinstance(item, Speak | Play):
                out.append(item.text)
    return out


def speaks(turn: Turn) -> list[Speak]:
    out: list[Speak] = []
    for action in turn.actions:
        items = action.prompts if isinstance(action, Gather) else (action,)
        out.extend(i for i in items if isinstance(i, Speak))
    return out


MAIN_EN = "For opening hours, press 1. For returns, press 2. To talk to us, press 0."
MAIN_FR = "Pour les horaires, tapez 1. Pour les retours, tapez 2. Pour nous parler, tapez 0."
RETURNS_EN = "To start a return, press 1. For refunds, press 2."


# ---- language node ------------------------------------------------------------------


def test_start_offers_each_language_in_its_own_voice(mini: Menu) -> None:
    turn = begin(mini)
    gather = gather_of(turn)
    assert [(s.locale, s.voice) for s in gather.prompts] == [  # type: ignore[union-attr]
        ("en-US", "Polly.Joanna"), ("fr-FR", "Polly.Lea"), ("ro-RO", "Polly.Carmen")]
    assert heard(turn)[1] == "Pour le français, appuyez sur 2."
    assert gather.then.event == "in"
    assert turn.actions[-1] == Redirect(replace(gather.then, event="silence"))
    assert turn.state == CallState("mini", "welcome", "en", 0, (), int(NOW.timestamp()),
                                   mini.version)
    assert turn.steps == (Step("welcome", "call", "", "menu:mini", "en"),)
    # The language node listens for every language's words.
    assert set(gather.hints) == {"English", "français", "francais", "română", "romana"}
    assert not turn.ends_call


@pytest.mark.parametrize(
    ("event", "lang", "locale", "voice", "model", "text"),
    [
        (Input(digits="1"), "en", "en-US", "Polly.Joanna", "phone_call", MAIN_EN),
        (Input(digits="2"), "fr", "fr-FR", "Polly.Lea", "phone_call", MAIN_FR),
        (Input(digits="3"), "ro", "ro-RO", "Polly.Carmen", "default",
         "Pentru program, apăsați 1. Pentru retururi, apăsați 2. Pentru a vorbi cu noi, apăsați 0."),
        (Input(speech="français", confidence=0.9), "fr", "fr-FR", "Polly.Lea", "phone_call", MAIN_FR),
        (Input(speech="Francais.", confidence=0.9), "fr", "fr-FR", "Polly.Lea", "phone_call", MAIN_FR),
        (Input(speech="two", confidence=0.9), "fr", "fr-FR", "Polly.Lea", "phone_call", MAIN_FR),
        (Input(speech="romana", confidence=0.9), "ro", "ro-RO", "Polly.Carmen", "default", None),
        # "trei" is Romanian for three: at the language choice a key may be named in any
        # of the offered languages.
        (Input(speech="trei"), "ro", "ro-RO", "Polly.Carmen", "default", None),
        (Input(speech="deux"), "fr", "fr-FR", "Polly.Lea", "phone_call", MAIN_FR),
    ],
)
def test_language_choice_switches_voice_and_recognition(
    mini: Menu, event: Input, lang: str, locale: str, voice: str, model: str, text: str | None
) -> None:
    first = begin(mini)
    turn = send(mini, first.state, event)
    assert turn.state is not None
    assert (turn.state.node, turn.state.lang, turn.state.path) == ("main", lang, ("main",))
    gather = gather_of(turn)
    assert (gather.locale, gather.speech_model) == (locale, model)
    assert [(s.locale, s.voice) for s in speaks(turn)] == [(locale, voice)]
    if text:
        assert heard(turn) == [text]
    assert turn.steps[0] == Step("welcome", "language", event.digits or event.speech,
                                 f"lang:{lang}", lang)


def test_romanian_never_uses_the_phone_call_model(mini: Menu) -> None:
    for node in ("main", "returns"):
        turn = send(mini, at(mini, node, "ro"), Enter())
        assert gather_of(turn).locale == "ro-RO"
        assert gather_of(turn).speech_model != "phone_call"


def test_language_choice_silence_retries_then_continues_in_default_language(mini: Menu) -> None:
    turn = begin(mini)
    turn = send(mini, turn.state, Silence())
    assert heard(turn)[0] == EN["no_input"]
    assert turn.state.node == "welcome" and turn.state.tries == 1  # type: ignore[union-attr]
    turn = send(mini, turn.state, Silence())
    assert turn.state.tries == 2  # type: ignore[union-attr]
    turn = send(mini, turn.state, Silence())
    # No fallback on the node: after 3 tries the call goes on, in English.
    assert turn.state is not None
    assert (turn.state.node, turn.state.lang, turn.state.tries) == ("main", "en", 0)
    assert heard(turn) == [MAIN_EN]


def test_language_switch_changes_later_system_phrases(mini: Menu) -> None:
    turn = press(mini, begin(mini).state, "2", "7")  # French, then a key that means nothing
    assert heard(turn) == [FR["no_match"], MAIN_FR]
    assert all(s.locale == "fr-FR" and s.voice == "Polly.Lea" for s in speaks(turn))
    assert gather_of(turn).locale == "fr-FR"


# ---- menu node: retries, silence and fallback ---------------------------------------


def test_wrong_key_says_sorry_then_asks_again(mini: Menu) -> None:
    turn = send(mini, at(mini, "main"), Input(digits="5"))
    assert heard(turn) == [EN["no_match"], MAIN_EN]
    assert isinstance(turn.actions[0], Speak)
    assert isinstance(turn.actions[1], Gather)  # the sorry is outside the Gather
    assert turn.state.node == "main" and turn.state.tries == 1  # type: ignore[union-attr]
    assert turn.steps == (Step("main", "no_match", "5", "try 1/3", "en"),)


def test_silence_counts_as_a_try(mini: Menu) -> None:
    turn = send(mini, at(mini, "main"), Silence())
    assert heard(turn) == [EN["no_input"], MAIN_EN]
    assert turn.state.tries == 1  # type: ignore[union-attr]
    assert turn.steps == (Step("main", "silence", "", "try 1/3", "en"),)
    turn = send(mini, turn.state, Input(digits="8"))
    assert turn.state.tries == 2  # type: ignore[union-attr]
    turn = send(mini, turn.state, Silence())
    # The third miss (defaults.tries = 3) goes to the fallback: goodbye (a hangup).
    assert heard(turn) == [EN["no_input"], EN["fallback"], EN["goodbye"]]
    assert isinstance(turn.actions[-1], Hangup)
    assert turn.ends_call
    assert turn.state.node == "goodbye"  # type: ignore[union-attr]
    assert Step("main", "fallback", "", "go:goodbye", "en") in turn.steps


NODE_TRIES = """
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: main
defaults: {tries: 3, fallback: bye}
nodes:
  main:
    type: menu
    say: "Press 1."
    tries: 1
    fallback: human
    options: [{key: "1", go: bye}]
  other:
    type: menu
    say: "Press 1 again."
    options: [{key: "1", go: bye}]
  human:
    type: transfer
    number: "+15005550006"
  bye:
    type: hangup
    say: "See you."
"""


def test_per_node_tries_and_fallback_override_the_defaults() -> None:
    menu = load_text(NODE_TRIES, "tries.yaml")
    turn = send(menu, at(menu, "main"), Input(digits="9"))
    assert heard(turn) == [EN["no_match"], EN["fallback"]]
    assert isinstance(turn.actions[-1], Dial)
    assert turn.state.node == "human"  # type: ignore[union-attr]
    # A node without its own settings uses the defaults: two misses are not enough.
    state = at(menu, "other")
    for expected in (1, 2):
        turn = send(menu, state, Silence())
        state = turn.state
        assert state is not None and (state.node, state.tries) == ("other", expected)
    turn = send(menu, state, Silence())
    assert heard(turn) == [EN["no_input"], EN["fallback"], "See you."]
    assert isinstance(turn.actions[-1], Hangup)


def test_fallback_without_any_target_says_goodbye() -> None:
    menu = load_text(NODE_TRIES.replace("defaults: {tries: 3, fallback: bye}",
                                        "defaults: {tries: 1}"), "nofb.yaml")
    turn = send(menu, at(menu, "other"), Input(digits="3"))
    assert heard(turn) == [EN["no_match"], EN["goodbye"]]
    assert turn.actions[-1] == Hangup()
    assert Step("other", "fallback", "", "hangup", "en") in turn.steps


# ---- global keys ------------------------------------------------------------------


def test_star_repeats_and_keeps_the_tries_count(mini: Menu) -> None:
    turn = send(mini, at(mini, "main"), Input(digits="6"))
    assert turn.state.tries == 1  # type: ignore[union-attr]
    turn = send(mini, turn.state, Input(digits="*"))
    assert heard(turn) == [MAIN_EN]  # no "sorry" for a repeat
    assert turn.state.node == "main" and turn.state.tries == 1  # type: ignore[union-attr]
    assert turn.steps[0] == Step("main", "key", "*", "global:repeat", "en")
    # Repeating does not give the caller more tries: two more misses reach the fallback.
    turn = press(mini, turn.state, "6")
    assert turn.state.tries == 2  # type: ignore[union-attr]
    turn = press(mini, turn.state, "6")
    assert turn.state.node == "goodbye"  # type: ignore[union-attr]


def test_star_replays_a_message(mini: Menu) -> None:
    turn = press(mini, at(mini, "main"), "1")
    assert heard(turn) == ["We are open Monday to Friday, nine to five."]
    gather = gather_of(turn)
    assert gather.input == "dtmf"  # a message listens for keys only
    assert gather.timeout == 2
    assert turn.actions[-1].then.event == "done"  # type: ignore[union-attr]
    again = press(mini, turn.state, "*")
    assert heard(again) == heard(turn)
    assert again.state.node == "hours_info"  # type: ignore[union-attr]


def test_hash_goes_back_one_level(mini: Menu) -> None:
    turn = press(mini, at(mini, "main"), "2")
    assert turn.state.path == ("main", "returns")  # type: ignore[union-attr]
    turn = press(mini, turn.state, "2")  # refunds: a message, not a level of its own
    assert turn.state is not None
    assert (turn.state.node, turn.state.path) == ("refunds", ("main", "returns"))
    back = press(mini, turn.state, "#")
    assert back.state is not None
    assert (back.state.node, back.state.path) == ("returns", ("main", "returns"))
    assert heard(back) == [RETURNS_EN]
    back = press(mini, back.state, "#")
    assert back.state is not None
    assert (back.state.node, back.state.path) == ("main", ("main",))
    # At the top, back stays on the main menu.
    back = press(mini, back.state, "#")
    assert (back.state.node, back.state.path) == ("main", ("main",))  # type: ignore[union-attr]


def test_message_goes_back_where_it_was_chosen_when_done(mini: Menu) -> None:
    turn = press(mini, at(mini, "main"), "2", "2")
    done = send(mini, turn.state, Done())
    assert done.state.node == "returns"  # type: ignore[union-attr]
    assert done.steps[0] == Step("refunds", "done", "", "go:back", "en")
    # return_how says next: main
    turn = press(mini, at(mini, "returns"), "1")
    assert send(mini, turn.state, Done()).state.node == "main"  # type: ignore[union-attr]


def test_nine_goes_to_the_main_menu_and_clears_the_path(mini: Menu) -> None:
    state = at(mini, "returns", path=("main", "returns"))
    turn = press(mini, state, "9")
    assert turn.state is not None
    assert (turn.state.node, turn.state.path, turn.state.tries) == ("main", ("main",), 0)
    assert turn.steps[0] == Step("returns", "key", "9", "global:main", "en")


def test_zero_goes_to_a_node_hours_then_transfer(mini: Menu) -> None:
    turn = press(mini, at(mini, "returns"), "0")
    assert heard(turn) == ["Connecting you."]
    dial = turn.actions[-1]
    assert isinstance(dial, Dial)
    assert (dial.number, dial.timeout, dial.then.event) == ("+15005550006", 20, "dial")
    assert dial.then.state.node == "agent"
    events = [(s.node, s.event, s.outcome) for s in turn.steps]
    assert events == [("returns", "key", "global:desk"), ("desk", "hours", "open:go:agent"),
                      ("agent", "transfer", "dial:+1" + "*" * 8 + "06")]  # masked


def test_hours_node_when_closed(mini: Menu) -> None:
    turn = press(mini, at(mini, "main", now=SUNDAY), "0", now=SUNDAY)
    assert heard(turn) == ["We are closed."]
    assert turn.state.node == "closed"  # type: ignore[union-attr]
    assert ("desk", "hours", "closed:go:closed") in [(s.node, s.event, s.outcome)
                                                     for s in turn.steps]
    end = send(mini, turn.state, Done(), now=SUNDAY)
    assert heard(end) == [EN["goodbye"]]
    assert end.actions[-1] == Hangup()


def test_hours_follow_the_schedule_holidays(mini: Menu) -> None:
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # a Friday, closed
    eve_afternoon = datetime(2026, 12, 24, 11, 0, tzinfo=UTC)  # 13:00 local, special 09-12
    eve_morning = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    for now, node in ((christmas, "closed"), (eve_afternoon, "closed"), (eve_morning, "agent")):
        turn = press(mini, at(mini, "main", now=now), "0", now=now)
        assert turn.state.node == node, now  # type: ignore[union-attr]


GLOBAL_CLASH = """
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: main
global_keys: {"0": operator, "*": repeat}
nodes:
  main:
    type: menu
    say: "Press 0 for billing."
    options:
      - {key: "0", go: billing}
  billing:
    type: hangup
    say: "Billing."
  operator:
    type: hangup
    say: "Operator."
"""


def test_an_option_key_wins_over_a_global_key() -> None:
    menu = load_text(GLOBAL_CLASH, "clash.yaml")
    turn = press(menu, at(menu, "main"), "0")
    assert heard(turn) == ["Billing."]
    assert turn.steps[0] == Step("main", "choice", "0", "go:billing", "en")
    # A spoken "zero" is the same key: the option wins too.
    turn = send(menu, at(menu, "main"), Input(speech="zero"))
    assert heard(turn) == ["Billing."]
    # The node's other keys still reach the global keys.
    assert press(menu, at(menu, "main"), "*").steps[0].outcome == "global:repeat"


# ---- speech -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "speech"),
    [("en", "two"), ("en", "Two."), ("en", "2."), ("en", "2"), ("fr", "deux"), ("fr", "Deux !"),
     ("ro", "doi"), ("ro", "două")],
)
def test_a_spoken_digit_chooses_the_key(mini: Menu, lang: str, speech: str) -> None:
    turn = send(mini, at(mini, "main", lang), Input(speech=speech, confidence=0.9))
    assert turn.state.node == "returns"  # type: ignore[union-attr]
    assert turn.steps[0].event == "choice"
    assert turn.steps[0].outcome == "go:returns"


def test_a_spoken_digit_in_another_language_is_not_a_key(mini: Menu) -> None:
    # "deux" in an English call is not "2" (and matches no phrase).
    turn = send(mini, at(mini, "main", "en"), Input(speech="deux", confidence=0.9))
    assert turn.state.node == "main" and turn.state.tries == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("node", "lang", "speech", "target"),
    [
        ("main", "en", "returns", "returns"),
        ("main", "en", "I'd like to return an item", "returns"),
        ("main", "fr", "horaires", "hours_info"),
        ("main", "ro", "retururi", "returns"),
        ("main", "ro", "programul", "hours_info"),
        ("returns", "en", "refunds", "refunds"),
        ("returns", "en", "refnds", "refunds"),  # a small misspelling
        ("returns", "fr", "remboursement", "refunds"),
    ],
)
def test_speech_matches_an_option(mini: Menu, node: str, lang: str, speech: str,
                                  target: str) -> None:
    turn = send(mini, at(mini, node, lang), Input(speech=speech, confidence=0.9))
    assert turn.state.node == target  # type: ignore[union-attr]
    assert turn.steps[0].event == "speech"
    assert turn.steps[0].outcome.startswith(f"match:{target}:")


DIACRITICS = """
languages:
  en: {locale: en-US, voice: Polly.Joanna}
  ro: {locale: ro-RO, voice: Polly.Carmen}
start: main
nodes:
  main:
    type: menu
    say: {en: "Choose.", ro: "Alegeți."}
    options:
      - {key: "1", phrases: {en: [refunds], ro: [rambursări]}, go: refunds}
      - {key: "2", phrases: {en: [deliveries], ro: [livrări și curieri]}, go: deliveries}
  refunds: {type: hangup, say: "Refunds."}
  deliveries: {type: hangup, say: "Deliveries."}
"""


@pytest.mark.parametrize(("speech", "target"), [
    ("rambursari", "refunds"), ("Rambursări.", "refunds"), ("livrari si curieri", "deliveries"),
])
def test_romanian_speech_without_diacritics(speech: str, target: str) -> None:
    menu = load_text(DIACRITICS, "ro.yaml")
    turn = send(menu, at(menu, "main", "ro"), Input(speech=speech, confidence=0.9))
    assert turn.state.node == target  # type: ignore[union-attr]


def test_nonsense_speech_is_a_miss(mini: Menu) -> None:
    turn = send(mini, at(mini, "main"), Input(speech="purple elephant", confidence=0.9))
    assert turn.state.node == "main" and turn.state.tries == 1  # type: ignore[union-attr]
    assert heard(turn) == [EN["nothing_found"], MAIN_EN]  # a spoken request that fits nothing


def test_low_recognition_confidence_asks_to_confirm(mini: Menu) -> None:
    turn = send(mini, at(mini, "main"), Input(speech="returns", confidence=0.1))
    assert turn.state is not None
    assert (turn.state.node, turn.state.pending) == ("main", "confirm:returns")
    assert "Did you mean returns?" in heard(turn)[0]
    assert gather_of(turn).then.state.pending == "confirm:returns"
    yes = send(mini, turn.state, Input(speech="yes"))
    assert yes.state.node == "returns" and yes.state.pending == ""  # type: ignore[union-attr]


# ---- hints ----------------------------------------------------------------------------


def test_hints_are_the_phrases_of_the_callers_language(mini: Menu) -> None:
    fr = gather_of(send(mini, at(mini, "main", "fr"), Enter()))
    assert fr.hints == ("horaires", "heures d'ouverture", "retours", "retourner un article")
    ro = gather_of(send(mini, at(mini, "returns", "ro"), Enter()))
    assert ro.hints == ("un retur", "rambursare")


def test_hints_are_capped_at_500() -> None:
    phrases = ", ".join(f"phrase number {i}" for i in range(600))
    text = f"""
languages:
  en: {{locale: en-US, voice: Polly.Joanna}}
  fr: {{locale: fr-FR, voice: Polly.Lea}}
start: main
nodes:
  main:
    type: menu
    say: "Say something."
    options:
      - {{key: "1", phrases: {{en: [{phrases}], fr: [bonjour]}}, go: bye}}
      - {{key: "2", phrases: {{en: [goodbye please]}}, go: bye}}
  bye: {{type: hangup}}
"""
    menu = load_text(text, "many.yaml")
    hints = gather_of(send(menu, at(menu, "main"), Enter())).hints
    assert len(hints) == 500
    assert hints[0] == "phrase number 0" and hints[-1] == "phrase number 499"
    assert len(set(hints)) == 500
    fr = gather_of(send(menu, at(menu, "main", "fr"), Enter())).hints
    assert fr == ("bonjour",)


# ---- message, transfer and hangup nodes ---------------------------------------------------


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_transfer_that_connected_ends_the_call(mini: Menu, status: str) -> None:
    turn = send(mini, at(mini, "agent"), DialEnded(status))
    assert turn.actions == (Hangup(),)
    assert turn.steps == (Step("agent", "dial", status, "hangup", "en"),)


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_transfer_nobody_answered_goes_to_no_answer(mini: Menu, status: str) -> None:
    turn = send(mini, at(mini, "agent", "fr"), DialEnded(status))
    assert heard(turn) == [FR["transfer_failed"], FR["goodbye"]]
    assert turn.actions[-1] == Hangup()
    assert turn.state.node == "goodbye"  # type: ignore[union-attr]
    assert turn.steps[0] == Step("agent", "dial", status, "go:goodbye", "fr")


def test_transfer_without_no_answer_uses_the_fallback() -> None:
    menu = load_text(NODE_TRIES, "tries.yaml")
    turn = send(menu, at(menu, "human"), DialEnded("busy"))
    assert heard(turn) == [EN["transfer_failed"], EN["fallback"], "See you."]
    assert turn.state.node == "bye"  # type: ignore[union-attr]


def test_transfer_ignores_other_events_and_dials_again(mini: Menu) -> None:
    turn = send(mini, at(mini, "agent"), Input(digits="1"))
    assert isinstance(turn.actions[-1], Dial)
    assert turn.steps[0] == Step("agent", "input", "", "ignored", "en")


def test_hangup_node_says_its_words_or_the_goodbye() -> None:
    menu = load_text(NODE_TRIES, "tries.yaml")
    turn = send(menu, at(menu, "bye"), Enter())
    assert turn.actions == (Speak("See you.", "en-US", "Polly.Joanna"), Hangup())
    assert turn.ends_call


def test_hangup_node_without_say_uses_the_callers_language(mini: Menu) -> None:
    turn = send(mini, at(mini, "goodbye", "ro"), Enter())
    assert turn.actions == (Speak(RO["goodbye"], "ro-RO", "Polly.Carmen"), Hangup())


# ---- call limits and reloads -----------------------------------------------------------


def test_maximum_call_length_hangs_up(mini: Menu) -> None:
    began = int(NOW.timestamp())
    state = CallState("mini", "main", "fr", 0, ("main",), began, mini.version)
    ok = send(mini, state, Input(digits="2"), now=NOW + timedelta(seconds=600))
    assert ok.state.node == "returns"  # type: ignore[union-attr]
    late = send(mini, state, Input(digits="2"), now=NOW + timedelta(seconds=601))
    assert late.actions == (Speak(FR["too_long"], "fr-FR", "Polly.Lea"), Hangup())
    assert late.ends_call
    assert late.steps == (Step("main", "too_long", "", "hangup", "fr"),)


def test_a_vanished_node_restarts_at_the_main_menu(mini: Menu) -> None:
    state = CallState("mini", "old_node", "fr", 2, ("main", "old_node"), int(NOW.timestamp()),
                      "oldversion")
    turn = send(mini, state, Input(digits="1"))
    assert heard(turn) == [FR["menu_changed"], MAIN_FR]
    assert isinstance(turn.actions[0], Speak)
    assert turn.state is not None
    assert (turn.state.node, turn.state.path, turn.state.tries) == ("main", ("main",), 0)
    assert turn.steps[0] == Step("old_node", "menu_changed", "", "missing:old_node", "fr")


@pytest.mark.parametrize("event", [Input(digits="#"), Done()])
def test_back_to_a_vanished_node_restarts_at_the_main_menu(mini: Menu, event: Event) -> None:
    node = "returns" if isinstance(event, Input) else "refunds"
    path = ("main", "billing", "returns") if node == "returns" else ("main", "billing")
    state = CallState("mini", node, "en", 0, path, int(NOW.timestamp()), "oldversion")
    turn = send(mini, state, event)
    assert turn.state.node == "main"  # type: ignore[union-attr]
    assert heard(turn)[0] == EN["menu_changed"]


@pytest.mark.parametrize(("pending", "event"), [
    ("confirm:billing", Input(speech="yes")), ("refine:billing,returns", Input(digits="1"))])
def test_pending_question_about_a_vanished_node(mini: Menu, pending: str, event: Input) -> None:
    state = replace(at(mini, "main"), pending=pending, version="oldversion")
    turn = send(mini, state, event)
    assert turn.state.node == "main"  # type: ignore[union-attr]
    assert EN["menu_changed"] in heard(turn)


def test_a_vanished_language_falls_back_to_the_default(mini: Menu) -> None:
    state = CallState("mini", "main", "de", 0, ("main",), int(NOW.timestamp()), mini.version)
    turn = send(mini, state, Enter())
    assert turn.state.lang == "en"  # type: ignore[union-attr]
    assert heard(turn) == [MAIN_EN]


HOURS_LOOP = """
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: a
hours:
  office:
    timezone: Europe/Bucharest
    weekly: {daily: "09:00-17:00"}
nodes:
  a: {type: hours, schedule: office, open: b, closed: bye}
  b: {type: hours, schedule: office, open: a, closed: bye}
  bye: {type: hangup}
"""


def test_a_loop_of_hours_nodes_is_linted_and_raises_in_the_engine() -> None:
    menu = load_text(HOURS_LOOP, "loop.yaml")  # the loader does not see loops ...
    problems = [p for p in lint(menu, None) if p.severity == "error"]
    assert any("loops back to itself" in p.message for p in problems)  # ... lint does
    with pytest.raises(EngineError, match="without caller input"):
        start(menu, NOW)
    # Closed: the loop is never entered, the call just ends.
    closed = start(menu, datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    assert closed.actions[-1] == Hangup()


# ---- a walk: no silence ever hangs up ------------------------------------------------------


def test_walk_every_gather_is_followed_by_a_redirect(mini: Menu) -> None:
    """Breadth-first over keys, speech, silence, done and dial outcomes (check_turn asserts)."""
    events: list[Event] = [Input(digits=k) for k in "0123456789*#"]
    events += [Input(speech="returns", confidence=0.9), Input(speech="refunds", confidence=0.2),
               Input(speech="nonsense words"), Silence(), Done(), DialEnded("no-answer"),
               DialEnded("completed"), Enter()]
    first = begin(mini)
    seen: set[CallState] = set()
    queue: deque[CallState] = deque([first.state])  # type: ignore[list-item]
    turns = 0
    while queue and turns < 3000:
        state = queue.popleft()
        key = replace(state, started=0)
        if key in seen:
            continue
        seen.add(key)
        for event in events:
            turn = send(mini, state, event)
            turns += 1
            if not turn.ends_call:
                queue.append(turn.state)  # type: ignore[arg-type]
            else:
                assert any(isinstance(a, Hangup) for a in turn.actions) or isinstance(
                    turn.actions[-1], Dial), turn.actions
    assert {s.node for s in seen} >= {"welcome", "main", "returns", "hours_info", "refunds",
                                      "return_how", "agent"}
