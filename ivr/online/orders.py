"""Order status (any lookup node) on the help pages: the phone's answer, behind a second factor.

A web visitor guesses far faster than a caller keys digits, so a lookup on the web
answers only when the visitor also gives a second factor the record holds: the field
the node's own ``verify`` names (a postcode, a PIN), else the record's ``postcode`` or
``email``. A record with none is checked by phone only. "No such order" and "wrong
postcode" read the same, so the page never tells which half was wrong. Every check is
counted before the source is asked, per client address and for the whole site
(IVR_WEB_LOOKUP_ADDRESS_LIMIT, IVR_WEB_LOOKUP_GLOBAL_LIMIT); a limit that trips is
counted in the metrics and alerted in the log (once an hour per limit).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, abort, current_app, request
from limits import RateLimitItem
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from ivr.lookup import FAILED, FOUND
from ivr.lookup.match import same_secret
from ivr.lookup.speak import MissingField, mask
from ivr.menu.model import Menu
from ivr.nodes.lookup import LookupNode
from ivr.online import answers
from ivr.online.pages import MENU_ID, bp, menu_or_404, page_language, render, services
from ivr.online.replies import parse_limits
from ivr.online.tokens import form_token, token_ok
from ivr.ops import metrics

log = logging.getLogger(__name__)
FACTOR_FIELDS = ("postcode", "email")
MAX_ID = 20
MAX_FACTOR = 254
ALERT_EVERY = 3600  # seconds between two alerts of the same limit


@dataclass
class LookupLimits:
    """Web lookups' counters: per client address and for the whole site."""

    storage: Storage
    per_address: list[RateLimitItem]
    overall: list[RateLimitItem]

    def admit(self, address: str) -> bool:
        """Count one check; False (counted, alerted) when a limit is reached."""
        limiter = FixedWindowRateLimiter(self.storage)
        for name, items, who in (("per_address", self.per_address, address[:64]),
                                 ("site", self.overall, "all")):
            for item in items:
                if not limiter.hit(item, "ivr-web-lookup", who):
                    self._tripped(name, item)
                    return False
        return True

    def _tripped(self, name: str, item: RateLimitItem) -> None:
        metrics.web_limit_tripped(name)
        if self.storage.incr(f"ivr-web-lookup-alert/{name}", ALERT_EVERY) == 1:
            log.error("ALERT: web order checks hit the %s limit (%s): someone may be "
                      "guessing order numbers", name, item)


def lookup_limits(settings: Mapping[str, Any], storage: Storage) -> LookupLimits:
    """The limits from IVR_WEB_LOOKUP_ADDRESS_LIMIT and IVR_WEB_LOOKUP_GLOBAL_LIMIT."""
    return LookupLimits(storage, parse_limits(settings, "IVR_WEB_LOOKUP_ADDRESS_LIMIT"),
                        parse_limits(settings, "IVR_WEB_LOOKUP_GLOBAL_LIMIT"))


def factor_fields(node: Any) -> tuple[str, ...]:
    """The record fields a web visitor's second factor is compared with."""
    verify = getattr(node, "verify", None)
    if verify is not None and verify.by in ("postcode", "pin"):
        return (verify.field,)
    return FACTOR_FIELDS


@dataclass(frozen=True)
class Checked:
    """A web lookup's outcome: "answer" (with its text), "none", "failed" or "phone_only"."""

    kind: str
    text: str = ""


def check(menu: Menu, node: LookupNode, identifier: str, factor: str, lang: str,
          now: datetime) -> Checked:
    """Look ``identifier`` up as the phone does, and answer only if ``factor`` matches."""
    lookups = services().lookups
    result = lookups.find(menu, node.source, {"id": identifier, "caller": ""})
    if result.status == FAILED:
        log.warning("web lookup %s/%s failed: %s", menu.id, node.id, result.reason)
        return Checked("failed")
    if result.status != FOUND:
        return Checked("none")
    record = result.record
    present = [str(record[f]) for f in factor_fields(node) if record.get(f)]
    if not present:
        return Checked("phone_only")
    if not any(same_secret(factor, expected) for expected in present):
        log.info("web lookup %s/%s: second factor mismatch for %s", menu.id, node.id,
                 mask(identifier))
        return Checked("none")
    try:
        return Checked("answer", node.answer_text(menu, lang, record, now.date()))
    except MissingField as missing:
        log.warning("web lookup %s/%s: missing field %s", menu.id, node.id, missing.args[0])
        return Checked("failed")


@bp.post("/help/<menu_id>/topic/<node_id>")
def lookup(menu_id: str, node_id: str) -> Response:
    """A web visitor's order check: the number and the second factor, within the limits."""
    menu = menu_or_404(menu_id)
    lang = page_language(menu)
    node = menu.nodes.get(node_id) if MENU_ID.match(node_id) else None
    if not isinstance(node, LookupNode) or node.action:  # a write (a hold) stays the phone's
        abort(404)
    found = answers.topic(menu, node_id, lang)
    identifier = re.sub(r"[\s-]", "", request.form.get("id", ""))[:MAX_ID]
    factor = request.form.get("factor", "").strip()[:MAX_FACTOR]

    def page(outcome: str, status: int, text: str = "") -> Response:
        return render("topic.html", menu, lang, status=status, found=found,
                      token=form_token(menu), outcome=outcome, answer_text=text, query="",
                      results=[])

    if not token_ok(menu, request.form.get("token", "")):
        return page("expired", 400)
    if not identifier.isalnum() or not factor:
        return page("lookup_none", 400)
    if not current_app.extensions["online"].lookups.admit(request.remote_addr or "unknown"):
        return page("lookup_busy", 429)
    checked = check(menu, node, identifier, factor, lang, services().clock())
    if checked.kind == "answer":
        return page("", 200, checked.text)
    return page(f"lookup_{checked.kind}", 503 if checked.kind == "failed" else 200)
