"""The public help pages: a line's topics and answers, its hours, and questions in words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator import FlaskTransport, Heard, Phone
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown, upgraded

SHOP = "+15005550006"
LANG_KEY = {"en": "1", "fr": "2", "ro": "3"}
PARCEL = {"en": "where is my parcel", "fr": "où est mon colis", "ro": "unde este coletul"}


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    application = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"))
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def text_of(html: str) -> str:
    """The page's visible words, one space apart."""
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def heard_after(app: Any, lang: str, *keys: str) -> list[Heard]:
    """What a caller to the shop hears after choosing ``lang`` and pressing ``keys``."""
    phone = Phone(FlaskTransport(app), TOKEN, called=SHOP)
    phone.dial()
    phone.press(LANG_KEY[lang])
    heard: list[Heard] = []
    for key in keys:
        heard = phone.press(key)
    return heard


def spoken(app: Any, lang: str, *keys: str) -> str:
    """The words a caller hears (spoken by text-to-speech) after ``keys``."""
    return " ".join(h.text for h in heard_after(app, lang, *keys) if h.text)


def recording_text(app: Any, played: str) -> str:
    """The text the menu gives the recorded prompt at URL ``played``."""
    menu = app.extensions["ivr"].catalog.get("shop")
    for node in menu.nodes.values():
        for version in (node.say.versions.values() if node.say else ()):
            if version.audio and played.endswith("/prompts/" + version.audio):
                return " ".join((version.text or "").split())
    raise AssertionError(f"no prompt records {played}")


def get(app: Any, url: str, **headers: str) -> Any:
    return app.test_client().get(url, headers=headers)


@pytest.mark.parametrize("lang", ["en", "fr", "ro"])
def test_help_page_shows_the_hours_answer_the_phone_speaks(app: Any, lang: str) -> None:
    played = [h.url for h in heard_after(app, lang, "4") if h.kind == "play"]
    assert played == [f"http://localhost/prompts/shop/{lang}/shop_hours.wav"]
    answer = recording_text(app, played[0])  # a recorded answer shows its text
    response = get(app, f"/help/shop?lang={lang}")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == lang
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    page = text_of(html)
    assert answer.startswith(("We are open", "Nous sommes ouverts", "Suntem deschiși"))
    assert answer in page
    assert "Northwind Shop customer service" in page
    assert len(response.get_data()) < 50_000


def test_help_page_lists_topics_in_menu_order_with_open_now(app: Any) -> None:
    html = get(app, "/help/shop?lang=en").get_data(as_text=True)
    page = text_of(html)
    order = [page.index(name) for name in ("Orders and delivery", "Returns and refunds",
                                          "Your account and payments", "Opening hours and address",
                                          "Searching our products")]
    assert order == sorted(order)
    assert "Ending the call" not in page  # a hang-up is no topic
    assert "Open now, until 18:00" in page  # a Monday at 10:00 in Bucharest
    headings = [int(h) for h in re.findall(r"<h([1-6])", html)]
    assert headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False))
    assert '<label for="q">' in html and 'id="q"' in html
    assert "<script" not in html


def test_closed_page_says_when_it_opens(app: Any, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # a Sunday
    page = text_of(get(app, "/help/shop?lang=fr").get_data(as_text=True))
    assert "Fermé pour le moment. Ouverture demain à 09:00" in page
    clock.now = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday 19:00 in Bucharest
    page = text_of(get(app, "/help/shop?lang=ro").get_data(as_text=True))
    assert "Închis acum. Se deschide mâine la 09:00" in page


@pytest.mark.parametrize("lang", ["en", "fr", "ro"])
def test_search_where_is_my_parcel_shows_the_tracking_answer(app: Any, lang: str) -> None:
    heard = spoken(app, lang, "1", "2")  # orders, then tracking
    response = get(app, f"/help/shop/search?lang={lang}&q={PARCEL[lang]}")
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert heard.split(". ")[0] in page
    assert {"en": "Tracking a parcel", "fr": "Le suivi de colis",
            "ro": "Urmărirea coletului"}[lang] in page


def test_an_unsure_question_offers_the_candidates_the_phone_offers(app: Any) -> None:
    words = "I want to talk about my order and return"
    phone = Phone(FlaskTransport(app), TOKEN, called=SHOP)
    phone.dial()
    phone.press("1")
    offer = " ".join(h.text for h in phone.say(words, confidence=None))
    html = get(app, f"/help/shop/search?lang=en&q={words}").get_data(as_text=True)
    assert "Did you mean one of these?" in text_of(html)
    links = re.findall(r'href="/help/shop/topic/[a-z_]+\?lang=en">([^<]+)</a>', html)
    assert 2 <= len(links) <= 3
    for name in links:
        assert unescape(name).lower() in offer.lower()


def test_nothing_found_lists_main_topics_and_contacts(app: Any) -> None:
    page = text_of(get(app, "/help/shop/search?lang=en&q=purple elephant dancing").get_data(as_text=True))
    assert "We found no answer to “purple elephant dancing”." in page
    assert "Our main topics" in page and "Orders and delivery" in page
    assert "Call us: +15005550006" in page


def test_accept_language_and_only_the_menus_languages(app: Any) -> None:
    response = get(app, "/help/shop", **{"Accept-Language": "de-DE,ro;q=0.8,en;q=0.5"})
    assert response.headers["Content-Language"] == "ro"
    response = get(app, "/help/shop?lang=de", **{"Accept-Language": "fr"})
    assert response.headers["Content-Language"] == "fr"
    response = get(app, "/help/shop?lang=de")
    assert response.headers["Content-Language"] == "en"
    html = get(app, "/help/shop?lang=en").get_data(as_text=True)
    assert 'href="/help/shop?lang=fr"' in html and 'href="/help/shop?lang=ro"' in html


def test_topic_page_and_unknown_names(app: Any) -> None:
    page = text_of(get(app, "/help/shop/topic/refund_time?lang=en").get_data(as_text=True))
    assert "We refund within five working days" in page
    assert get(app, "/help/nosuch").status_code == 404
    assert get(app, "/help/shop/topic/goodbye").status_code == 404  # a hang-up: no topic
    assert get(app, "/help/shop/topic/nosuch").status_code == 404
    assert get(app, "/help/draft~shop").status_code == 404


def test_a_long_question_is_cut_and_answered(app: Any) -> None:
    response = get(app, "/help/shop/search?lang=en&q=" + "opening hours " + "x" * 5000)
    assert response.status_code == 200
    assert len(response.get_data()) < 50_000


def test_words_that_lead_nowhere_on_a_page_list_the_topics(app: Any) -> None:
    # On the phone "goodbye" hangs up and "something else" asks again: on a page, neither
    # is an answer, so the main topics are shown (never a link to a topic that is none).
    client = app.test_client()
    for words in ("goodbye", "something else"):
        html = client.get(f"/help/shop/search?lang=en&q={words}").get_data(as_text=True)
        assert "Our main topics" in text_of(html)
        for link in re.findall(r'href="(/help/shop/topic/[^"]+)"', html):
            assert client.get(unescape(link)).status_code == 200
