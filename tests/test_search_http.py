"""HTTP catalogues: a JSON search endpoint through the HTTP lookups' rules and budget."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ivr.lookup import FAILED, FOUND, NOT_FOUND
from ivr.lookup.live import LiveLookups
from ivr.lookup.policy import HostRule, SourcePolicy
from ivr.menu.loader import load_text
from ivr.menu.model import Menu
from tests.conftest import ROOT
from tests.http_stub import Gate, JsonHandler, serving

with (ROOT / "tests" / "menus" / "data" / "books.csv").open(encoding="utf-8") as _handle:
    BOOKS = list(csv.DictReader(_handle))


class Shop(JsonHandler):
    """Search by any word of title or author; items by key; slow and broken paths."""

    queries: list[str] = []
    slow = Gate()  # the slow endpoint answers only when the test is done

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        if parts.path.startswith("/slow"):
            Shop.slow.hold()
        if parts.path.startswith("/down"):
            return self._send(500, b"oops")
        if parts.path in ("/search", "/slow/search"):
            query = parse_qs(parts.query).get("q", [""])[0]
            Shop.queries.append(query)
            words = set(query.split())
            found = [b for b in BOOKS
                     if words & set(f"{b['title']} {b['author']}".lower().split())]
            return self._send(200, json.dumps({"data": {"items": found}}).encode())
        if parts.path.startswith("/items/"):
            key = parts.path.rsplit("/", 1)[1]
            book = next((b for b in BOOKS if b["id"] == key), None)
            if book is None:
                return self._send(404, b"{}")
            return self._send(200, json.dumps(book).encode())
        return self._send(404, b"{}")


@pytest.fixture
def api() -> Iterator[str]:
    Shop.queries, Shop.slow = [], Gate()
    with serving(Shop) as base:
        yield base
        Shop.slow.open()


def menu(base: str, prefix: str = "") -> Menu:
    text = f"""
menu: desk
languages: {{en: {{locale: en-US, voice: Polly.Joanna}}}}
start: find
nodes:
  find:
    type: search
    say: Say a title.
    catalogue:
      type: http
      url: "{base}{prefix}/search?q={{query}}"
      item_url: "{base}{prefix}/items/{{key}}"
      items: data.items
      fields: {{title: 3, author: 2}}
      timeout: 0.3
    result: "{{title}}, by {{author}}"
    details: "{{title}}. Shelf mark {{shelf}}."
"""
    return load_text(text.encode(), "desk.yaml", default_id="desk")


def lookups(tmp_path: Path, api: str | None) -> LiveLookups:
    hosts = (HostRule.parse(api.split("//", 1)[1]),) if api else ()
    live = LiveLookups(menus_dir=tmp_path, policy=SourcePolicy(hosts=hosts), secret="s",
                       breaker_failures=2)
    # As the app does when menus load: the word-form tables are read then, never inside a
    # caller's search budget (0.3 s here).
    live.catalogues.warm({})
    return live


def config_of(desk: Menu) -> Any:
    return desk.nodes["find"].catalogue  # type: ignore[attr-defined]


def test_an_http_catalogue_is_searched_and_ranked(api: str, tmp_path: Path) -> None:
    live = lookups(tmp_path, api)
    desk = menu(api)
    try:
        result = live.search(desk, config_of(desk), "do you have something by victor hugo",
                             "en", 3)
        assert result.status == FOUND
        assert [i["title"] for i in result.items] == ["Les Misérables", "Notre-Dame de Paris"]
        assert Shop.queries == ["victor hugo"]  # folded words, not the whole sentence
        assert live.item(desk, config_of(desk), "B05").items[0]["title"] == "Luceafărul"
        assert live.item(desk, config_of(desk), "B99").status == NOT_FOUND
        assert live.search(desk, config_of(desk), "blorg", "en", 3).status == NOT_FOUND
        assert live.spell(desk, config_of(desk), "4846", 3).status == NOT_FOUND
    finally:
        live.close()


def test_an_http_catalogue_keeps_to_the_allowed_hosts(api: str, tmp_path: Path) -> None:
    live = lookups(tmp_path, None)  # the operator allowed no host
    desk = menu(api)
    try:
        result = live.search(desk, config_of(desk), "victor hugo", "en", 3)
        assert result.status == FAILED and result.reason == "not_allowed"
        assert Shop.queries == []
    finally:
        live.close()


def test_a_slow_or_broken_endpoint_fails_in_time_then_the_breaker_opens(
        api: str, tmp_path: Path) -> None:
    live = lookups(tmp_path, api)
    slow, down = menu(api, "/slow"), menu(api, "/down")
    try:
        result = live.search(slow, config_of(slow), "victor hugo", "en", 3)
        assert result.status == FAILED and result.reason == "timeout"
        assert Shop.slow.answered == 0  # it gave up while the answer was still held
        assert live.search(down, config_of(down), "victor hugo", "en", 3).reason == "http"
        assert live.search(down, config_of(down), "victor hugo", "en", 3).reason == "http"
        assert live.search(down, config_of(down), "victor hugo", "en", 3).reason == \
            "circuit_open"
    finally:
        live.close()


@pytest.mark.parametrize(("catalogue", "message"), [
    ("{type: http, fields: [title], item_url: 'https://x.example/i/{key}'}", "needs 'url'"),
    ("{type: http, fields: [title], url: 'https://x.example/s', item_url: "
     "'https://x.example/i/{key}'}", "url must be an http(s) URL with {query}"),
    ("{type: http, fields: [title], url: 'ftp://x.example/s?q={query}', item_url: "
     "'https://x.example/i/{key}'}", "url must be an http(s) URL with {query}"),
    ("{type: http, fields: [title], url: 'https://x.example/s?q={query}'}", "needs 'item_url'"),
])
def test_malformed_http_catalogues_are_refused(catalogue: str, message: str) -> None:
    from ivr.menu.loader import MenuError

    text = ("menu: desk\nlanguages: {en: {locale: en-US, voice: Polly.Joanna}}\nstart: find\n"
            f"nodes:\n  find: {{type: search, say: Hi, catalogue: {catalogue}, result: '{{title}}',"
            " details: '{title}'}\n")
    with pytest.raises(MenuError) as error:
        load_text(text.encode(), "desk.yaml", default_id="desk")
    assert any(message in str(p) for p in error.value.problems), error.value.problems
