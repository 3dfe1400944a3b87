"""Searching a catalogue by voice through signed webhooks: found, pick, details, again, failures."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.lookup.sources import SourceError
from ivr.search.sources import CsvCatalogue
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown, upgraded

NUMBER = "+15005550140"


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    application = make_app(url, tmp_path, clock)
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def call(app: Any, lang_key: str = "1") -> Phone:
    phone = Phone(FlaskTransport(app), TOKEN, called=NUMBER)
    phone.dial()
    phone.press(lang_key)
    phone.press("1")
    return phone


def text(heard: list[Any]) -> str:
    return " ".join(h.text for h in heard)


def journey(app: Any, phone: Phone) -> list[tuple[str, str, str, str]]:
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    return [(s["node"], s["event"], s["input"], s["outcome"])
            for s in svc.store.journey(phone.call_sid)]


def test_found_pick_by_key_details_then_done(app: Any) -> None:
    phone = call(app)
    assert phone.node == "books"
    assert phone.listening is not None and phone.listening.get("hints") == "Victor Hugo, Sherlock Holmes"
    heard = text(phone.say("do you have something by victor hugo"))
    assert heard.startswith("I found 2 results. 1: Les Misérables, by Victor Hugo, 3 copies "
                            "available. 2: Notre-Dame de Paris, by Victor Hugo, 1 copies available.")
    assert "press its number or say it" in heard
    heard = text(phone.press("2"))
    assert heard.startswith("Notre-Dame de Paris, by Victor Hugo: a novel, as book, audiobook. "
                            "Shelf mark 843 HUG.")
    assert phone.node == "books"
    heard = text(phone.press("1"))  # another of the results, without searching again
    assert heard.startswith("Les Misérables, by Victor Hugo: a novel, as book. Shelf mark 843 HUG.")
    phone.silence()  # nothing more: on to `next`
    assert phone.node == "main"
    steps = journey(app, phone)
    assert ("books", "search", "do you have something by victor hugo", "found:2") in steps
    assert ("books", "details", "B02", "heard") in steps


def test_pick_by_voice_and_ordinal(app: Any) -> None:
    phone = call(app)
    heard = text(phone.say("sherlock holmes"))
    assert heard.startswith("I found 3 results. 1: The Return of Sherlock Holmes")
    assert text(phone.say("the second one")).startswith("The Memoirs of Sherlock Holmes, by "
                                                        "Arthur Conan Doyle")
    assert text(phone.say("three")).startswith("The Adventures of Sherlock Holmes")
    assert text(phone.say("number one")).startswith("The Return of Sherlock Holmes")
    phone = call(app, lang_key="2")
    phone.say("jules verne")
    assert text(phone.say("le deuxième")).startswith("Le Tour du monde en quatre-vingts jours, "
                                                     "de Jules Verne")
    # "un" is also a number, but this is a title: a new search, not a pick
    assert text(phone.say("un cœur simple")).startswith("Désolé, je n'ai rien trouvé pour un "
                                                        "coeur simple.")


def test_romanian_without_diacritics_and_french_misheard_name(app: Any) -> None:
    phone = call(app, lang_key="3")
    heard = text(phone.say("ăă amintiri din copilarie"))
    assert heard.startswith("Am găsit un rezultat. 1: Amintiri din copilărie, de Ion Creangă, "
                            "2 exemplare disponibile.")
    assert text(phone.say("da")).startswith("Amintiri din copilărie, de Ion Creangă: memorii, ca "
                                            "book. Cota 859.8 CRE.")
    phone = call(app, lang_key="2")
    heard = text(phone.say("euh je voudrais madam bovary de flober"))
    assert heard.startswith("J'ai trouvé un résultat. 1 : Madame Bovary, de Gustave Flaubert")
    assert phone.listening is not None and phone.listening.get("language") == "fr-FR"


def test_another_query_from_the_results(app: Any) -> None:
    phone = call(app)
    assert "Pride and Prejudice" in text(phone.say("prejudice and pride"))
    heard = text(phone.say("luceafarul eminescu"))  # not a pick: a new search
    assert heard.startswith("I found one result. 1: Luceafărul, by Mihai Eminescu")
    assert text(phone.say("no")) == ("Say a title, an author or a subject. Or, to spell it on "
                                     "the keypad, press 1.")


def test_nothing_found_then_found(app: Any) -> None:
    phone = call(app)
    heard = text(phone.say("blorg fizzle wibble"))
    assert heard == ("Sorry, I found nothing for blorg fizzle wibble. Say a title, an author or a "
                     "subject. Or, to spell it on the keypad, press 1.")
    assert phone.node == "books"
    assert text(phone.say("oliver twist")).startswith("I found one result. 1: Oliver Twist")
    assert ("books", "nothing_found", "", "try 1/2") in journey(app, phone)


def test_bounded_tries_end_in_the_fallback(app: Any) -> None:
    phone = call(app)
    phone.say("blorg")
    heard = text(phone.silence())
    assert heard.startswith("Sorry, I didn't hear anything. Let me find another way to help you. "
                            "A librarian will help you.")
    # after the results, silence and nonsense keys also count
    phone = call(app)
    phone.say("victor hugo")
    assert text(phone.press("6")).startswith("Sorry, I didn't understand that. For more about one")
    assert "A librarian will help you." in text(phone.silence())


@pytest.mark.parametrize("speech", ["", "   ", "'; DROP TABLE catalogue; --", "x" * 500,
                                    "the " * 120, "%s {id} :id \\x00"])
def test_bad_input_gets_a_spoken_answer(app: Any, speech: str) -> None:
    phone = call(app)
    heard = text(phone.say(speech))
    assert heard.startswith(("Sorry, I found nothing for", "Sorry, I didn't understand that."))
    assert heard.endswith("Say a title, an author or a subject. Or, to spell it on the keypad, "
                          "press 1.")
    assert phone.node == "books"
    assert all(x.status == 200 for x in phone.exchanges)


def test_a_long_utterance_is_cut_before_searching(app: Any) -> None:
    phone = call(app)
    heard = text(phone.say("victor hugo " + "les miserables " * 40))
    # Les Misérables is all that was named: Notre-Dame de Paris (by Hugo too) does not pad it
    assert heard.startswith("I found one result. 1: Les Misérables")


def test_a_source_that_is_down_apologises_and_falls_back(app: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def down(self: CsvCatalogue, words: list[str], limit: int) -> list[dict[str, Any]]:
        raise SourceError("unreachable")

    monkeypatch.setattr(CsvCatalogue, "search", down)
    phone = call(app)
    heard = text(phone.say("victor hugo"))
    assert heard.startswith("Sorry, we can't check that right now. Let me find another way to "
                            "help you. A librarian will help you.")
    assert ("books", "search", "", "failed:unreachable") in journey(app, phone)


def test_a_slow_source_is_cut_at_its_budget_and_the_breaker_opens(
        tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    menus = tmp_path / "menus"
    shutil.copytree(ROOT / "tests" / "menus" / "data", menus / "data")
    menu = (ROOT / "tests" / "menus" / "search.yaml").read_text(encoding="utf-8")
    (menus / "search.yaml").write_text(menu.replace("timeout: 10 ", "timeout: 0.3 ", 1),
                                       encoding="utf-8")
    release, answered = threading.Event(), []

    def slow(self: CsvCatalogue, words: list[str], limit: int) -> list[dict[str, Any]]:
        release.wait(30)  # answers only when the test is done: past any budget
        answered.append(words)
        return []

    monkeypatch.setattr(CsvCatalogue, "search", slow)
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    try:
        for _ in range(3):  # the breaker opens after three failures
            phone = call(app)
            heard = text(phone.say("victor hugo"))
            assert heard.startswith("Sorry, we can't check that right now.")
            assert answered == []  # cut at the 0.3 s budget while the source still worked
        assert ("books", "search", "", "failed:timeout") in journey(app, phone)
        phone = call(app)  # skipped at once while the circuit is open
        assert text(phone.say("victor hugo")).startswith("Sorry, we can't check that right now.")
        assert ("books", "search", "", "failed:circuit_open") in journey(app, phone)
    finally:
        release.set()
        app.extensions["ivr"].lookups.close()
        shutdown(app)


def test_global_keys_still_work_while_searching(app: Any) -> None:
    phone = call(app)
    assert text(phone.press("0")).startswith("A librarian will help you.")
    phone = call(app)
    phone.say("victor hugo")
    phone.press("9")
    assert phone.node == "main"


def test_the_index_is_built_as_menus_load_and_rebuilt_when_the_file_changes(
        tmp_path: Path, clock: Clock) -> None:
    menus = tmp_path / "menus"
    shutil.copytree(ROOT / "tests" / "menus" / "data", menus / "data")
    shutil.copy(ROOT / "tests" / "menus" / "search.yaml", menus / "search.yaml")
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    try:
        live = app.extensions["ivr"].lookups.catalogues
        # The CSV catalogue's index (the SQL one is not imported here: nothing to read).
        (catalogue,) = [c for c in live._catalogues.values() if isinstance(c, CsvCatalogue)]
        assert catalogue._index is not None and len(catalogue._index.rows) == 15  # already built
        phone = call(app)
        assert text(phone.say("victor hugo")).startswith("I found 2 results.")
        with (menus / "data" / "books.csv").open("a", encoding="utf-8") as handle:
            handle.write("B16,Les Contemplations,Victor Hugo,poetry,book,1,841 HUG\n")
        assert live.warm(app.extensions["ivr"].catalog.menus) == 1
        assert len(catalogue._index.rows) == 16
        phone = call(app)
        assert text(phone.say("victor hugo")).startswith("I found 3 results.")
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)


def test_demo_menus_offer_search_in_three_languages(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"))
    try:
        phone = Phone(FlaskTransport(app), TOKEN, called="+15005550007")
        phone.dial()
        phone.press("3")
        heard = text(phone.press("7"))
        assert heard.startswith("Spuneți titlul, autorul sau subiectul cărții")
        heard = text(phone.say("o scrisoare pierduta de caragiale"))
        assert heard.startswith("Am găsit ")
        assert "1: O scrisoare pierdută, de Ion Luca Caragiale" in heard
        shop = Phone(FlaskTransport(app), TOKEN, called="+15005550006")
        shop.dial()
        shop.press("2")
        shop.press("7")
        heard = text(shop.say("veste de pluie"))
        assert heard.startswith("J'ai trouvé 3 résultats. 1 : veste de pluie, ")
        assert "Tailles en stock" in text(shop.press("1"))
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)


def test_results_are_narrowed_by_key_and_by_voice(app: Any) -> None:
    phone = call(app)
    heard = text(phone.say("victor hugo"))
    assert heard.startswith("I found 2 results. 1: Les Misérables")
    assert "For only audiobooks, press 7. For another author, press 8." in heard
    heard = text(phone.press("7"))
    assert heard.startswith("I found one result. 1: Notre-Dame de Paris, by Victor Hugo")
    heard = text(phone.press("8"))  # every result is Hugo's: nothing, and the list again
    assert heard.startswith("Sorry, I found nothing for victor hugo, another author. For more "
                            "about it, press 1 or say yes.")
    assert text(phone.press("1")).startswith("Notre-Dame de Paris, by Victor Hugo: a novel")
    steps = journey(app, phone)
    assert ("books", "refine", "audiobook", "found:1") in steps
    assert ("books", "refine", "other_author", "nothing") in steps
    phone = call(app)
    heard = text(phone.say("a novel"))
    assert heard.startswith("I found 3 results.") and "Oliver Twist" not in heard
    heard = text(phone.say("someone else please"))  # not Hugo's, nor Flaubert's
    assert heard.startswith("I found one result. 1: Oliver Twist, by Charles Dickens")
    phone = call(app, lang_key="2")
    phone.say("victor hugo")
    heard = text(phone.say("euh un autre auteur s'il vous plaît"))
    assert heard.startswith("Désolé, je n'ai rien trouvé pour victor hugo, un autre auteur.")


def test_a_refinement_word_inside_a_title_is_a_new_search(app: Any) -> None:
    phone = call(app)
    phone.say("victor hugo")
    heard = text(phone.say("the memoirs of sherlock holmes someone else"))
    assert heard.startswith("I found")
    assert "Sherlock Holmes" in heard and "Victor Hugo" not in heard
    phone = call(app)  # no results yet: 7 is not a refinement
    assert text(phone.press("7")) == ("Sorry, I didn't understand that. Say a title, an author "
                                      "or a subject. Or, to spell it on the keypad, press 1.")


def test_refinements_that_find_nothing_end_in_the_fallback(app: Any) -> None:
    phone = call(app)
    phone.say("victor hugo")
    phone.press("8")  # nothing: try 1 of 2
    heard = text(phone.press("8"))  # nothing again: the fallback
    assert "A librarian will help you." in heard


def test_the_search_context_travels_in_the_pending_question() -> None:
    from ivr.engine.types import CallState
    from ivr.nodes.search import DETAILS, RESULTS, Context

    context = Context(("B01", "B02"), ("victor", "hugo"), ("0", "1.B01.B02"))
    pending = context.encode(RESULTS)
    assert pending == "search:r:B01,B02~victor-hugo~0,1.B01.B02"
    state = CallState.from_params({"m": "search", "n": "books", "l": "en", "c": pending})
    assert state is not None and Context.decode(state.pending) == context
    for forged in ("search:r:B01~victor hugo~0", "search:r:B01~<x>~0", "search:r:" + "x" * 401):
        state = CallState.from_params({"m": "search", "n": "books", "l": "en", "c": forged})
        assert state is not None and state.pending == "", forged
    details = Context(("B01", "B02"), ("victor", "hugo"), (), "B02")  # the item heard last
    state = CallState.from_params({"m": "search", "n": "books", "l": "en",
                                   "c": details.encode(DETAILS)})
    assert state is not None and Context.decode(state.pending) == details
    assert Context.decode("search:d:B01~victor~~<B02>").item == ""  # not an item key: dropped
    # Words that are not plain folded words are dropped, not trusted.
    assert Context.decode("search:r:B01~victor-ÉMILE-x_y~").query == ("victor",)


def test_spelling_on_the_keypad_on_request(app: Any) -> None:
    phone = call(app)
    assert "Or, to spell it on the keypad, press 1." in text(phone.heard)
    heard = text(phone.press("1"))
    assert heard.startswith("Spell the first word on the keypad, one key per letter")
    assert phone.listening is not None and phone.listening.get("finishOnKey") == "#"
    heard = text(phone.press("4846"))  # H U G O, then # (Twilio leaves it out)
    assert heard.startswith("I found 2 results. 1: Les Misérables, by Victor Hugo")
    assert "audiobooks" not in heard  # no words to narrow: no refinements offered
    assert text(phone.press("2")).startswith("Notre-Dame de Paris, by Victor Hugo")
    phone = call(app, lang_key="3")
    phone.press("1")
    assert text(phone.press("58232")).startswith("Am găsit un rezultat. 1: Luceafărul")
    steps = journey(app, phone)
    assert ("books", "spell", "", "ask") in steps


def test_spelling_that_finds_nothing_asks_again(app: Any) -> None:
    phone = call(app)
    phone.press("1")
    heard = text(phone.press("99999"))
    assert heard.startswith("Sorry, I found nothing for the keys 9 9 9 9 9. Say a title")
    phone.press("1")
    heard = text(phone.press("7"))  # one key is not a word: the second miss, the fallback
    assert heard.startswith("Sorry, I didn't understand that.")
    assert "A librarian will help you." in heard
