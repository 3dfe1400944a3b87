"""A menu version's spoken-request indexes are built when it loads, never on a caller's step.

The menu catalog calls ``warm_menu`` for every menu it is about to serve (in its reload
thread in production). For each language of the menu it embeds every phrase and spoken
label the routing may compare a caller's words with (a no-op for the lexical matcher),
then builds the routing indexes the calls use (``ivr.nodes.directory.warm``). Any index
built later from those phrases (a refinement's candidates) finds their vectors ready: a
spoken step encodes at most the caller's own words.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ivr.nodes.directory import warm as build_routing_indexes
from ivr.nodes.routing import directory_entries, label
from ivr.speech import matcher_in_use, prepare

if TYPE_CHECKING:
    from ivr.menu.model import Menu

log = logging.getLogger(__name__)
WARM_KEY = "warmed-for"  # menu.cache: the matcher kind the menu was warmed for


def menu_phrases(menu: Menu, lang: str) -> list[str]:
    """Every phrase and spoken label of the menu in ``lang`` (each once, in menu order)."""
    texts: list[str] = []
    entries = directory_entries(menu, lang)
    for _, words in entries:
        texts.extend(words)
    for node in menu.nodes.values():
        texts.extend(node.own_phrases(lang))
        for _, words in node.option_phrases(lang):
            texts.extend(words)
        for _, per_lang in node.phrase_sets():
            texts.extend(per_lang.get(lang, ()) or per_lang.get("*", ()))
    texts.extend(label(menu, target, lang) for target, _ in entries)
    return list(dict.fromkeys(t for t in texts if t and t.strip()))


def warm_menu(menu: Menu) -> None:
    """Embed the menu's phrases and build its routing indexes, once per menu and matcher kind."""
    kind = matcher_in_use()
    warmed = menu.cache.get(WARM_KEY)
    if warmed == kind:
        return
    if warmed is not None:  # indexes of another matcher kind: build them anew
        menu.cache.clear()
    started = time.perf_counter()
    embedded = 0
    for lang in menu.languages:
        embedded += prepare(menu_phrases(menu, lang), lang)
    build_routing_indexes(menu)  # with the vectors above already made
    menu.cache[WARM_KEY] = kind
    log.info("menu %s ready for spoken requests (%s matcher, %d phrases embedded, %.0f ms)",
             menu.id, kind, embedded, (time.perf_counter() - started) * 1000.0)
