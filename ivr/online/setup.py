"""Wiring of the help desk online into the app: the help pages, the texts webhook, their state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from ivr.online.contact import FormLimits, form_limits
from ivr.online.conversations import Conversations
from ivr.online.orders import LookupLimits, lookup_limits
from ivr.online.replies import ReplyRules, rules_for
from ivr.online.writer import OnlineWriter


@dataclass
class Online:
    """What the online pages and the texts webhook share."""

    conversations: Conversations
    rules: ReplyRules
    forms: FormLimits
    lookups: LookupLimits
    writer: OnlineWriter  # questions' journey lines, written off the request


def install(app: Flask, settings: dict[str, Any], services: Any) -> Online:
    """Register the help pages and ``POST /sms`` and build their state on the app's database."""
    from ivr.online import pages, sms  # pages.bp carries contact's routes too and orders' (imported above)

    def seconds() -> float:
        """The app's clock as seconds since the epoch, for the counters."""
        return float(services.clock().timestamp())

    rules = rules_for(settings, services.store.engine, seconds)
    writer = OnlineWriter(services.store.engine, int(settings["IVR_JOURNEY_FLUSH_MS"]))
    online = Online(Conversations(services.store.engine, writer), rules,
                    form_limits(settings, rules.storage), lookup_limits(settings, rules.storage),
                    writer)
    app.extensions["online"] = online
    app.register_blueprint(pages.bp)
    app.register_blueprint(sms.bp)
    return online
