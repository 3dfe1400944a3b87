"""When a text to one of our numbers may be answered: allowed countries, caps per sender and line.

An answer to an inbound text is a text we pay for, sent to whoever texted: a bot that
texts from many numbers, or from premium-rate ones, would make the service spend. So a
reply goes only to a valid, not premium-rate number (``ivr.phones``), in a country the
operator allows (IVR_SMS_REPLY_COUNTRIES; by default the countries of the line's own
numbers), within IVR_SMS_REPLY_SENDER_LIMIT texts per sender and IVR_SMS_REPLY_LINE_LIMIT
per line (a menu, whichever of its numbers was texted). The counters are the `limits`
library's, in the storage the dashboard's login limits use (IVR_RATE_LIMIT_STORAGE).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from ivr import phones
from ivr.dashboard.ratelimit import DatabaseStorage
from ivr.menu.model import Menu

log = logging.getLogger(__name__)
ANY = "*"

# Verdicts: why a text got no answer ("" = it may be answered).
NOT_A_NUMBER = "not_a_number"
COUNTRY = "country"
SENDER_CAP = "sender_cap"
LINE_CAP = "line_cap"


def parse_limits(settings: Mapping[str, Any], name: str) -> list[RateLimitItem]:
    """A setting in `limits` notation ("10/hour"), or a ValueError that names it."""
    try:
        return parse_many(str(settings[name]))
    except ValueError as exc:
        raise ValueError(f"{name}={settings[name]!r} is not a limit such as '10/hour': "
                         f"{exc}") from None


def _countries(raw: str) -> frozenset[str]:
    return frozenset(c.strip().upper() for c in raw.split(",") if c.strip())


@dataclass
class ReplyRules:
    """The operator's rules for answering inbound texts, on one `limits` storage."""

    storage: Storage
    per_sender: list[RateLimitItem]
    per_line: list[RateLimitItem]
    countries: frozenset[str]  # empty: the line's own countries; {"*"}: any

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], storage: Storage) -> ReplyRules:
        """Read IVR_SMS_REPLY_SENDER_LIMIT, IVR_SMS_REPLY_LINE_LIMIT, IVR_SMS_REPLY_COUNTRIES."""
        return cls(storage, parse_limits(settings, "IVR_SMS_REPLY_SENDER_LIMIT"),
                   parse_limits(settings, "IVR_SMS_REPLY_LINE_LIMIT"),
                   _countries(str(settings.get("IVR_SMS_REPLY_COUNTRIES") or "")))

    def allowed_countries(self, menu: Menu) -> frozenset[str]:
        """The countries a line answers texts from."""
        if self.countries:
            return self.countries
        return frozenset(r for r in (phones.region_of(n) for n in menu.numbers) if r)

    def verdict(self, menu: Menu, sender: str) -> str:
        """"" when ``sender`` (E.164) may get an answer from ``menu``'s line; else why not.

        The country is checked before any counter moves; the sender's counter before the
        line's, so one noisy sender does not use up the line's answers.
        """
        checked = phones.check(sender)
        if not checked.ok:
            return NOT_A_NUMBER
        countries = self.allowed_countries(menu)
        if ANY not in countries and (phones.region_of(checked.e164) or "") not in countries:
            return COUNTRY
        who = hashlib.sha256(checked.e164.encode()).hexdigest()[:32]
        counters: list[tuple[RateLimitItem, tuple[str, ...]]] = [
            (item, ("ivr-sms-sender", menu.id, who)) for item in self.per_sender]
        counters += [(item, ("ivr-sms-line", menu.id)) for item in self.per_line]
        if isinstance(self.storage, DatabaseStorage):
            over = self.storage.hit_in_order(counters)  # one transaction, not one a counter
        else:
            limiter = FixedWindowRateLimiter(self.storage)
            over = next((i for i, (item, ids) in enumerate(counters)
                         if not limiter.hit(item, *ids)), -1)
        if over < 0:
            return ""
        return SENDER_CAP if over < len(self.per_sender) else LINE_CAP


def rules_for(settings: Mapping[str, Any], engine: Any, clock: Callable[[], float]) -> ReplyRules:
    """The rules on the configured counter storage."""
    from ivr.dashboard.ratelimit import make_storage

    storage = make_storage(str(settings.get("IVR_RATE_LIMIT_STORAGE") or "database"), engine, clock)
    return ReplyRules.from_settings(settings, storage)
