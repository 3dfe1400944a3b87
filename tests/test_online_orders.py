"""Order status on the help pages: the phone's answer, only with the order's second factor."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from ivr.lookup.demo import seed
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import OPEN_TIME, ROOT, TOKEN, Clock, make_app, shutdown

STATUS = {"en": "is on its way", "fr": "est en route", "ro": "este pe drum"}


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock, demo_connection: dict[str, str]) -> Iterator[Any]:
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                           **demo_connection)
    seed(application.extensions["ivr"].store.engine, OPEN_TIME.date())
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def check(client: Any, lang: str, order: str, factor: str, **environ: Any) -> Any:
    html = client.get(f"/help/shop/topic/order_status?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html)
    assert token is not None
    return client.post(f"/help/shop/topic/order_status?lang={lang}",
                       data={"token": token.group(1), "id": order, "factor": factor},
                       environ_base=environ)


def phone_answer(app: Any, lang_key: str) -> str:
    """What a caller hears for order 100001 (orders, then order status, then its number)."""
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550006")
    phone.dial()
    phone.press(lang_key)
    phone.press("1")
    phone.press("4")
    heard = " ".join(h.text for h in phone.press("100001"))
    if phone.node == "order_status" and "1" in heard:  # "press 1 if that is right"
        heard = " ".join(h.text for h in phone.press("1"))
    return heard


@pytest.mark.parametrize(("lang", "key"), [("en", "1"), ("fr", "2"), ("ro", "3")])
def test_the_right_postcode_shows_the_phones_answer(app: Any, lang: str, key: str) -> None:
    response = check(app.test_client(), lang, "100001", "75001")
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    found = re.search(r"(\S+ 1 0 0 0 0 1 [^.]+\.[^.]+\.[^.]+\.)", page)
    assert found is not None, page
    assert STATUS[lang] in found.group(1)
    assert found.group(1) in phone_answer(app, key)


def test_a_wrong_factor_reads_as_no_such_order(app: Any) -> None:
    client = app.test_client()
    wrong = text_of(check(client, "en", "100001", "75002").get_data(as_text=True))
    missing = text_of(check(client, "en", "999999", "75001").get_data(as_text=True))
    sorry = "We found no order with this number and this postcode or e-mail address."
    assert sorry in wrong and sorry in missing
    assert "on its way" not in wrong
    assert check(client, "en", "100001", " 75 001 ").status_code == 200  # spaces do not count


def test_checks_are_limited_and_alerted(db_url: str, tmp_path: Path, clock: Clock,
                                        demo_connection: dict[str, str],
                                        caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus"),
                   IVR_WEB_LOOKUP_ADDRESS_LIMIT="2/hour", IVR_WEB_LOOKUP_GLOBAL_LIMIT="3/hour",
                   **demo_connection)
    seed(app.extensions["ivr"].store.engine, OPEN_TIME.date())
    try:
        client = app.test_client()
        assert check(client, "en", "100002", "1").status_code == 200
        assert check(client, "en", "100003", "1").status_code == 200
        with caplog.at_level(logging.ERROR, logger="ivr.online.orders"):
            assert check(client, "en", "100004", "1").status_code == 429
            assert check(client, "en", "100001", "75001").status_code == 429
        alerts = [r for r in caplog.records if r.getMessage().startswith("ALERT")]
        assert len(alerts) == 1 and "per_address" in alerts[0].getMessage()
        other = check(client, "en", "100001", "75001", REMOTE_ADDR="192.0.2.9")
        assert other.status_code == 200
        assert check(client, "en", "100001", "75001", REMOTE_ADDR="192.0.2.10").status_code == 429
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)


def test_a_forged_form_and_a_non_lookup_are_refused(app: Any) -> None:
    client = app.test_client()
    response = client.post("/help/shop/topic/order_status",
                           data={"token": "x", "id": "100001", "factor": "75001"})
    assert response.status_code == 400
    assert "on its way" not in response.get_data(as_text=True)
    assert client.post("/help/shop/topic/tracking", data={}).status_code == 404


# Several items answer each (a kind in every colour): a colour said is a constraint now,
# and "blue rain jacket" reads its one jacket alone.
@pytest.mark.parametrize(("lang", "key", "words"), [("en", "1", "rain jacket"),
                                                    ("fr", "2", "veste de pluie"),
                                                    ("ro", "3", "jachetă de ploaie")])
def test_catalogue_search_ranks_and_reads_as_the_phone(app: Any, lang: str, key: str,
                                                       words: str) -> None:
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550006")
    phone.dial()
    phone.press(key)
    phone.press("7")
    spoken = " ".join(h.text for h in phone.say(words))
    html = app.test_client().get(f"/help/shop/topic/product_search?lang={lang}&q={words}") \
        .get_data(as_text=True)
    items = [unescape(i) for i in re.findall(r"<li>([^<]+)</li>", html)]
    assert len(items) >= 2
    heard = [re.split(r"\s*\d+\s?: ", spoken)[n] for n in range(1, len(items) + 1)]
    for item, said in zip(items, heard, strict=True):  # same items, in the same order
        assert item.startswith(said.rstrip(". ").split(". ")[0]), (item, said)
