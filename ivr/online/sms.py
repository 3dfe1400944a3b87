"""``POST /sms``: a text to one of our numbers, answered from the line's menu as a conversation.

Signed by Twilio like the voice webhooks (403 otherwise), limited in size like them. The
answer is TwiML: one ``<Message>`` or, when nothing may be sent, an empty ``<Response/>``
(an opted-out, refused or capped sender, a text no menu answers). STOP, START and HELP
stay Twilio's: they are only recorded (``ivr.answer.optouts``) and never answered here,
and a number that opted out is never texted.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from ivr.answer import optouts
from ivr.menu.model import Menu
from ivr.online.texting import converse
from ivr.ops import metrics
from ivr.web import twiml
from ivr.web.forms import clean
from ivr.web.security import base_url, loggable, twilio_only

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
F = TypeVar("F", bound=Callable[..., Any])
MAX_BODY = 1600  # Twilio's longest inbound Body
OPT_TYPES = {"STOP": optouts.STOP, "START": "start", "HELP": "help"}


def field(name: str, limit: int = 64) -> str:
    """A form field from Twilio, bounded and storable."""
    return clean(request.form.get(name) or "")[:limit]


def messages(*texts: str) -> Response:
    """TwiML with one <Message> per text (an empty <Response/> for none)."""
    body = twiml.document(twiml.element("Message", {}, text) for text in texts if text)
    return Response(body, 200, mimetype="text/xml")


def never_fail(view: F) -> F:
    """Any error of ours answers an empty <Response/> (logged): Twilio never sees a 500."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception:  # noqa: BLE001 - Twilio must get valid TwiML
            log.exception("text webhook failed for message %s", loggable(field("MessageSid")))
            metrics.webhook_error("error")
            return messages()

    return wrapper  # type: ignore[return-value]


def _opt_keyword() -> str:
    """STOP, START or HELP when the text is one (Advanced Opt-Out's OptOutType, or the word)."""
    declared = OPT_TYPES.get(field("OptOutType", 16).upper(), "")
    if declared:
        return declared
    found = optouts.keyword(field("Body", MAX_BODY))
    if found:
        return found
    return "help" if field("Body", 16).strip().strip(".!").upper() in ("HELP", "INFO") else ""


def _line(catalog: Any, to: str) -> Menu | None:
    """The menu listing the number texted; none for another number (no default menu here:
    every answer is a text we pay for, so only a line's own numbers answer)."""
    menu: Menu | None = catalog.for_number(to)
    return menu if menu is not None and to and to in menu.numbers else None


@bp.post("/sms")
@twilio_only
@never_fail
def incoming() -> Response:
    """A text came in: record an opt-out, or answer it from the menu of the number texted."""
    svc = current_app.extensions["ivr"]
    online = current_app.extensions["online"]
    now = svc.clock()
    sender = field("From", 40)
    keyword = _opt_keyword()
    if keyword == optouts.STOP:
        optouts.record_opt_out(svc.store.engine, sender, optouts.STOP, now)
        online.conversations.forget(optouts.normalise(sender))
        return messages()  # Twilio confirms the opt-out itself
    if keyword == "start":
        optouts.record_opt_in(svc.store.engine, sender)
        return messages()
    if keyword == "help":
        return messages()  # Twilio's (or the configured) help text answers
    svc.catalog.maybe_reload()
    menu = _line(svc.catalog, field("To", 40))
    if menu is None:
        log.warning("no menu answers texts to %s", loggable(field("To")))
        return messages()
    if optouts.opted_out(svc.store.engine, sender):
        return messages()
    refused = online.rules.verdict(menu, sender)
    if refused:
        log.warning("text from %s to %s not answered: %s", loggable(sender[:6] + "…"),
                    menu.id, refused)
        return messages()
    number = optouts.normalise(sender)
    conversation = online.conversations.current(menu.id, number, now)

    def page_url(node: str, lang: str) -> str:
        """The help page of a topic (a lookup or a search is done there, in words)."""
        return f"{base_url()}/help/{quote(menu.id)}/topic/{quote(node)}?lang={quote(lang)}"

    exchange = converse(menu, field("Body", MAX_BODY), conversation, now, page_url,
                        country=field("FromCountry", 4))
    online.conversations.keep(menu.id, number, exchange.conversation, now)
    from ivr.online.activity import record, session_of

    record(online.writer, "text", session_of("text", f"{number}:{now.date()}"), menu.id,
           exchange.steps, now)
    return messages(exchange.text)
