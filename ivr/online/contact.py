"""Leave a message or ask to be called back from a help page: the agents' same inbox and queue.

A message lands in the voicemail inbox (``purpose`` "web", its words as the transcript),
a callback request in the callbacks queue (``number_source`` "web"), so agents see, take,
answer and purge them as they do the phone's, and the same notifications go out. A number
typed on a web form is anyone's: it never gets an automatic text (no receipt), only an
agent's own reply.

Bots: a honeypot field a person never fills, a signed form token (issued with the form,
valid two hours, so a bot must load the page first), and the `limits` library's counters
per client address and for the whole site (IVR_WEB_FORM_ADDRESS_LIMIT,
IVR_WEB_FORM_GLOBAL_LIMIT). No third-party captcha.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, abort, current_app, request
from limits import RateLimitItem
from limits.strategies import FixedWindowRateLimiter

from ivr import phones
from ivr.menu.model import Menu
from ivr.online.pages import bp, menu_or_404, page_language, render, services
from ivr.online.replies import parse_limits
from ivr.online.tokens import form_token, token_ok

log = logging.getLogger(__name__)
MAX_MESSAGE = 2000
MAX_NAME = 80
MAX_EMAIL = 254
HONEYPOT = "website"
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,188}\.[A-Za-z]{2,24}$")
KINDS = ("message", "callback")
WEB = "web"


@dataclass
class FormLimits:
    """The web forms' counters: per client address and for the whole site."""

    limiter: FixedWindowRateLimiter
    per_address: list[RateLimitItem]
    overall: list[RateLimitItem]

    def admit(self, address: str) -> bool:
        """Count one submission; False when a limit is reached (and logged)."""
        # The address first: one noisy address does not use up the whole site's allowance.
        for item in self.per_address:
            if not self.limiter.hit(item, "ivr-web-form", address[:64]):
                log.warning("web forms: the limit %s is reached for one address", item)
                return False
        for item in self.overall:
            if not self.limiter.hit(item, "ivr-web-form", "all"):
                log.warning("web forms: the site-wide limit %s is reached", item)
                return False
        return True


def form_limits(settings: Any, storage: Any) -> FormLimits:
    """The limits from IVR_WEB_FORM_ADDRESS_LIMIT and IVR_WEB_FORM_GLOBAL_LIMIT."""
    return FormLimits(FixedWindowRateLimiter(storage),
                      parse_limits(settings, "IVR_WEB_FORM_ADDRESS_LIMIT"),
                      parse_limits(settings, "IVR_WEB_FORM_GLOBAL_LIMIT"))


def _callback_node(menu: Menu) -> Any:
    """The menu's callback node (its schedule sets when a web request is due), if any: one
    that callers reach from the menu rather than only by leaving a queue, when there is one."""
    callbacks = [n for n in menu.nodes.values() if n.kind == "callback"]
    from_queues = {getattr(n, "leave", None) for n in menu.nodes.values() if n.kind == "queue"}
    return next((n for n in callbacks if n.id not in from_queues), next(iter(callbacks), None))


def _message_node(menu: Menu) -> str:
    return next((n.id for n in menu.nodes.values() if n.kind == "voicemail"), "")


@bp.get("/help/<menu_id>/contact")
def contact(menu_id: str) -> Response:
    """The forms: leave a message, ask to be called back."""
    menu = menu_or_404(menu_id)
    lang = page_language(menu)
    return render("contact.html", menu, lang, token=form_token(menu), errors={}, values={},
                  can_call_back=_callback_node(menu) is not None)


def _checked(menu: Menu, kind: str) -> tuple[dict[str, str], dict[str, str]]:
    """The form's values, cut to size, and what is wrong with them (by field)."""
    form = request.form
    values = {"name": " ".join(form.get("name", "").split())[:MAX_NAME],
              "phone": form.get("phone", "").strip()[:phones.MAX_INPUT],
              "email": form.get("email", "").strip()[:MAX_EMAIL],
              "message": form.get("message", "").strip()[:MAX_MESSAGE], "kind": kind}
    errors: dict[str, str] = {}
    # National numbers are read as the callback node reads keyed ones (its ``region``).
    region = getattr(_callback_node(menu), "region", None) or next(
        (r for r in (phones.region_of(n) for n in menu.numbers) if r), None)
    if values["phone"]:
        checked = phones.check(values["phone"], region)
        if not checked.ok:
            errors["phone"] = "phone_invalid"
        else:
            values["phone"] = checked.e164
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = "email_invalid"
    if kind == "callback" and not values["phone"]:
        errors["phone"] = "phone_needed"
    if kind == "callback" and not values["name"]:
        errors["c-name"] = "name_needed"  # whom the agent asks for when calling back
    if kind == "message":
        if not values["message"]:
            errors["message"] = "message_needed"
        if not values["phone"] and not values["email"] and "phone" not in errors:
            errors["email"] = "reach_needed"
    return values, errors


@bp.post("/help/<menu_id>/contact")
def send(menu_id: str) -> Response:
    """Keep a message or a callback request from the page (or quietly drop a bot's)."""
    menu = menu_or_404(menu_id)
    lang = page_language(menu)
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        abort(400)
    online = current_app.extensions["online"]
    if not token_ok(menu, request.form.get("token", "")):
        return render("contact.html", menu, lang, token=form_token(menu), values={},
                      errors={"form": "expired"}, can_call_back=_callback_node(menu) is not None,
                      status=400)
    if request.form.get(HONEYPOT):
        log.info("web form: honeypot filled, nothing kept")
        return render("thanks.html", menu, lang, kind=kind)  # a bot learns nothing
    if not online.forms.admit(request.remote_addr or "unknown"):
        return render("contact.html", menu, lang, token=form_token(menu), values={},
                      errors={"form": "busy"}, can_call_back=_callback_node(menu) is not None,
                      status=429)
    values, errors = _checked(menu, kind)
    if errors:
        return render("contact.html", menu, lang, token=form_token(menu), values=values,
                      errors=errors, can_call_back=_callback_node(menu) is not None, status=400)
    now = services().clock()
    if kind == "message":
        keep_message(menu, lang, values, now)
    else:
        keep_callback(menu, lang, values, now)
    return render("thanks.html", menu, lang, kind=kind)


def _words(values: dict[str, str]) -> str:
    lines = [f"Name: {values['name']}"] if values["name"] else []
    if values["email"]:
        lines.append(f"E-mail: {values['email']}")
    if values["message"]:
        lines.append(values["message"])
    return "\n".join(lines)


def keep_message(menu: Menu, lang: str, values: dict[str, str], now: datetime) -> int:
    """A web message into the voicemail inbox (notified like a voicemail); its id."""
    svc = services()
    sid = "WB" + secrets.token_hex(16)  # no recording: a key of its own kind
    voicemail_id: int = svc.voicemails.report(
        sid, now, from_number=values["phone"] or None, to_number=None, menu=menu.id,
        node=_message_node(menu) or None, lang=lang, purpose=WEB, recording_status="absent",
        transcript=_words(values), transcript_status="completed")
    if svc.intake.on_new is not None:
        svc.intake.on_new(voicemail_id, sid)
    return voicemail_id


def keep_callback(menu: Menu, lang: str, values: dict[str, str], now: datetime) -> int | None:
    """A web callback request into the queue, due in the callback node's opening hours."""
    node = _callback_node(menu)
    schedule_name = getattr(node, "schedule", "") or ""
    schedule = menu.schedules.get(schedule_name)
    window = schedule.window(now) if schedule is not None else None
    answering = current_app.extensions["answer"]
    found: int | None = answering.intake.keep(
        "WB" + secrets.token_hex(16), now, from_number=None, to_number=None,
        number=values["phone"], number_source=WEB, caller_name=values["name"] or None,
        menu=menu.id, node=node.id if node else None,
        lang=lang, schedule=schedule_name or None, due_from=window[0] if window else now,
        due_until=window[1] if window else None)
    return found
