"""Catalogue search (a search node) on the help pages: the phone's ranking, read as a list.

The words typed go to the same catalogue search a caller's words go to
(``Catalogues.search``, the same limit), and each item is shown with the node's own
``details`` template (else its ``result`` one), as the phone reads a chosen item.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ivr.engine.core import Call
from ivr.engine.types import CallState
from ivr.lookup import FAILED
from ivr.menu.model import Menu
from ivr.nodes.search import ITEM_KEY, SearchNode
from ivr.search import Catalogues
from ivr.search.answer import MISSING, NOT_FOUND, OUT_OF_STOCK

log = logging.getLogger(__name__)
MAX_QUERY = 200


def find(menu: Menu, node: SearchNode, query: str, lang: str, now: datetime,
         catalogues: Any) -> tuple[str, list[str]]:
    """("found", texts), ("out_of_stock", texts: none of them is left), ("none", []) or
    ("failed", []) for ``query`` in ``node``'s catalogue."""
    if not isinstance(catalogues, Catalogues) or node.catalogue is None:
        return "failed", []
    result = catalogues.search(menu, node.catalogue, query[:MAX_QUERY], lang, node.max_results)
    if result.status == FAILED:
        log.warning("web search %s/%s failed: %s", menu.id, node.id, result.reason)
        return "failed", []
    if result.verdict in (NOT_FOUND, MISSING):  # nothing holds what was typed: no stand-in
        return "none", []
    # The node renders with a call's language and date: a call that never speaks.
    call = Call(menu, CallState(menu.id, node.id, lang, 0, (), int(now.timestamp()),
                                menu.version), now)
    texts: list[str] = []
    for item in result.items:
        if not ITEM_KEY.match(str(item.get(node.catalogue.key, ""))):
            continue
        text = _text(call, node, item)
        if text:
            texts.append(text)
        if len(texts) >= node.max_results:
            break
    if not texts:
        return "none", texts
    return ("out_of_stock" if result.verdict == OUT_OF_STOCK else "found"), texts


def _text(call: Call, node: SearchNode, item: Mapping[str, Any]) -> str | None:
    return node._render(call, node.details, item) or node._render(call, node.result, item)
