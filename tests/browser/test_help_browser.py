"""The help pages in a real browser, in en/fr/ro: browse, search, order status, leave a message.

Every page visited is checked with axe-core (vendored in tests/browser/vendor: WCAG 2.1
A and AA rules and best practices): labels, headings, contrast, landmarks, keyboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.lookup.demo import seed
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SKIP_WHY, Server, serve_dashboard
from tests.conftest import OPEN_TIME, ROOT, Clock

pytestmark = pytest.mark.skipif(SKIP_WHY is not None, reason=SKIP_WHY or "")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const found = await axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
  return found.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""
WORDS = {
    "en": {"ask": "Ask a question", "search": "Search", "parcel": "where is my parcel",
           "tracking": "Your tracking link is in the e-mail", "hours": "We are open Monday",
           "order": "The status of an order", "id": "Order number",
           "factor": "The postcode or e-mail address of the order", "check": "Check",
           "status": "is on its way", "write": "Leave a message or ask to be called back",
           "message": "Your message", "email": "Your e-mail address",
           "send": "Send the message", "thanks": "Thank you. Your message is with our team"},
    "fr": {"ask": "Posez votre question", "search": "Rechercher", "parcel": "où est mon colis",
           "tracking": "Votre lien de suivi se trouve", "hours": "Nous sommes ouverts du lundi",
           "order": "L'état d'une commande", "id": "Numéro de commande",
           "factor": "Le code postal ou l'adresse e-mail de la commande", "check": "Vérifier",
           "status": "est en route", "write": "Laisser un message ou être rappelé",
           "message": "Votre message", "email": "Votre adresse e-mail",
           "send": "Envoyer le message", "thanks": "Merci. Votre message est transmis"},
    "ro": {"ask": "Puneți o întrebare", "search": "Caută", "parcel": "unde este coletul",
           "tracking": "Linkul de urmărire se află", "hours": "Suntem deschiși de luni",
           "order": "Starea unei comenzi", "id": "Numărul comenzii",
           "factor": "Codul poștal sau adresa de e-mail a comenzii", "check": "Verifică",
           "status": "este pe drum", "write": "Lăsați un mesaj sau cereți să fiți sunat",
           "message": "Mesajul dumneavoastră", "email": "Adresa de e-mail",
           "send": "Trimiteți mesajul", "thanks": "Vă mulțumim. Mesajul a ajuns"},
}


@pytest.fixture
def shop(tmp_path: Path, clock: Clock) -> Iterator[Server]:
    """The demo menus on a real server, with the demo orders seeded."""
    for running in serve_dashboard(tmp_path, clock, IVR_MENUS_DIR=str(ROOT / "menus")):
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'browser.sqlite3'}")
        seed(engine, OPEN_TIME.date())
        engine.dispose()
        yield running
        running.app.extensions["ivr"].lookups.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium that may inject axe-core into pages whose policy allows no script."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A phone-sized tab (the help pages' first readers) that bypasses the pages' CSP for axe."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def accessible(page: Any) -> None:
    """axe-core finds nothing on the page, and the page weighs under 50 KB (no images)."""
    size = page.evaluate("""() => new TextEncoder().encode(document.documentElement.outerHTML)
        .length + [...document.styleSheets].reduce((n, s) => n + [...s.cssRules]
        .reduce((m, r) => m + r.cssText.length, 0), 0)""")
    assert size < 50_000
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_RUN) == []


@pytest.mark.parametrize("lang", ["en", "fr", "ro"])
def test_browse_search_check_an_order_and_leave_a_message(shop: Server, page: Any,
                                                           lang: str) -> None:
    words = WORDS[lang]
    page.goto(f"{shop.url}/help/shop?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert "Northwind Shop customer service" in page.locator("h1").inner_text()
    assert words["hours"] in page.locator("main").inner_text()
    accessible(page)

    # Search from the keyboard: the box by its label, Enter to send.
    page.get_by_label(words["ask"]).fill(words["parcel"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/help/shop/search**")
    assert words["tracking"] in page.locator("main").inner_text()
    accessible(page)

    page.goto(f"{shop.url}/help/shop/topic/order_status?lang={lang}")
    assert page.locator("h1").inner_text() == words["order"]
    page.get_by_label(words["id"]).fill("100001")
    page.get_by_label(words["factor"]).fill("75001")
    page.get_by_role("button", name=words["check"]).click()
    assert words["status"] in page.get_by_role("status").inner_text()
    accessible(page)

    page.get_by_role("link", name=words["write"]).click()
    accessible(page)
    page.get_by_label(words["email"]).fill("ana@example.org")
    page.get_by_label(words["message"]).fill("Le colis / the parcel / coletul")
    page.get_by_role("button", name=words["send"]).click()
    assert words["thanks"] in page.get_by_role("status").inner_text()
    accessible(page)
    engine = shop.app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT purpose, lang FROM voicemails")).all()
    assert [tuple(row) for row in kept] == [("web", lang)]


def test_every_link_and_field_is_reached_by_the_keyboard(shop: Server, page: Any) -> None:
    page.goto(f"{shop.url}/help/shop?lang=en")
    focusable = page.evaluate(
        "() => [...document.querySelectorAll('a[href], input:not([type=hidden]), button, "
        "textarea')].filter(e => e.tabIndex >= 0 && !e.closest('[aria-hidden=true]')).length")
    assert focusable >= 10
    reached = set()
    for _ in range(focusable + 2):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)"))
    assert len(reached) >= focusable
