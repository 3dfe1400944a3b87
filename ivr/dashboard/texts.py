"""Texts in the dashboard: agents reply by SMS to an item, admins keep the reply templates.

The reply is generic over what it answers: ``/dashboard/reply/<kind>/<id>`` with a kind
registered in ``TARGETS`` (``voicemail`` here; the callbacks queue registers ``callback``
with a function that loads its item). A reply that is queued answers the item: it is
closed with who and when (``ANSWERED``). The page of the item includes
``dashboard/_texts.html`` with ``texts_panel(kind, id)``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ivr.answer.templates import TemplateError, Templates
from ivr.answer.texts import Target, TextSettings, local_outbox, reply, texts_about
from ivr.dashboard.auth import admin_required
from ivr.dashboard.desk import desk, now
from ivr.engine import texts as verdicts
from ivr.engine.texts import MAX_BODY, segments

bp = Blueprint("texts", __name__)

VERDICT_WORDS = {
    verdicts.QUEUED: "Text queued: it goes out within seconds; its delivery shows below.",
    verdicts.ALREADY: "This reply was already sent.",
    verdicts.WITHHELD: "Not sent: the caller's number is withheld.",
    verdicts.NOT_MOBILE: "Not sent: the caller's number is not a mobile.",
    verdicts.REFUSED: "Not sent: texts may not go to this number (invalid, premium-rate or "
                      "shared-cost).",
    verdicts.CAPPED: "Not sent: this number has had its texts for the day (IVR_SMS_DAILY_CAP).",
    verdicts.UNAVAILABLE: "Not sent: texts are not configured (IVR_SMS_FROM).",
    verdicts.OPTED_OUT: "Not sent: this number asked for no more texts (STOP).",
    verdicts.ABROAD: "Not sent: texts may not go to this number's country (IVR_SMS_COUNTRIES, "
                     "or the menu's countries).",
    verdicts.BUSY: "Not sent: this line has sent all its texts for the hour.",
}


def _voicemail_target(item_id: int) -> Target | None:
    """A voicemail as the target of a reply."""
    found = desk().voicemails.get(item_id)
    if found is None:
        return None
    return Target("voicemail", item_id, str(found.get("from_number") or ""),
                  str(found.get("lang") or ""), str(found.get("menu") or ""))


def _voicemail_page(item_id: int) -> str:
    return url_for("dashboard.inbox.voicemail", voicemail_id=item_id, _anchor="texts")


def _voicemail_answered(item_id: int, user_id: int) -> None:
    """A reply by text answers the voicemail: done, with who and when (the first answer counts)."""
    from ivr.voicemail.store import VoicemailStore

    with desk().calls.engine.begin() as conn:
        VoicemailStore.close(conn, item_id, user_id, now())


# kind -> (load the item as a Target, the URL of its page)
TARGETS: dict[str, tuple[Callable[[int], Target | None], Callable[[int], str]]] = {
    "voicemail": (_voicemail_target, _voicemail_page),
}
# kind -> what a queued reply does to the item: a text to the caller answers it
ANSWERED: dict[str, Callable[[int, int], None]] = {"voicemail": _voicemail_answered}


def templates() -> Templates:
    """The reply templates, on the app's database."""
    return Templates(desk().calls.engine)


def text_settings() -> TextSettings:
    """How texts are sent (from the app's services; off when not configured)."""
    found: TextSettings | None = getattr(current_app.extensions["ivr"], "text_settings", None)
    return found or TextSettings()


def _countries(menu_id: str) -> frozenset[str] | None:
    """Where texts about an item of this menu may go (the operator's, narrowed by the menu)."""
    svc = current_app.extensions["ivr"]
    reach = getattr(svc, "reach", None)
    return reach.for_menu(svc.catalog.get(menu_id)) if reach is not None else None


def _with_agents(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The texts, each reply with the name of the agent who sent it (``sent_by_name``)."""
    names: dict[int, str] = {}
    for text in found:
        agent = text.get("sent_by")
        if agent and agent not in names:
            user = desk().users.user(int(agent)) or {}
            names[agent] = str(user.get("username") or f"user {agent}")
        text["sent_by_name"] = names.get(agent, "") if agent else ""
    return found


def text_cap_warnings() -> list[dict[str, Any]]:
    """Lines whose hourly cap of automatic texts refused texts in the last hour (a banner)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ivr.answer.linecaps import recent_trips

    try:
        return recent_trips(desk().calls.engine, now())
    except SQLAlchemyError:
        current_app.logger.exception("could not read the texts' line caps")
        return []


def texts_panel(kind: str, item_id: int, language: str, call_sid: str | None = None
                ) -> dict[str, Any]:
    """What ``_texts.html`` shows: the item's texts (and its call's), templates, a form token."""
    all_templates = templates().all()
    ordered = sorted(all_templates, key=lambda t: (t.lang != language, t.name, t.lang))
    return {"kind": kind, "id": item_id,
            "texts": _with_agents(texts_about(desk().calls.engine, kind, item_id, call_sid)),
            "templates": ordered, "token": secrets.token_urlsafe(12),
            "enabled": text_settings().enabled, "max_body": MAX_BODY}


@bp.post("/reply/<kind>/<int:item_id>")
def send_reply(kind: str, item_id: int) -> BaseResponse:
    """Queue an agent's text to the caller of a voicemail or callback."""
    if kind not in TARGETS:
        abort(404, f"Texts cannot answer a {kind!r}.")
    load, page = TARGETS[kind]
    target = load(item_id)
    if target is None:
        abort(404, f"There is no {kind} {item_id}.")
    body = request.form.get("body", "").strip()
    chosen = request.form.get("template", "")
    if not body and chosen.isdigit():
        template = templates().get(int(chosen))
        body = template.body if template is not None else ""
    token = request.form.get("token", "")
    if not body or len(body) > MAX_BODY:
        abort(400, f"A text needs between 1 and {MAX_BODY} characters.")
    if not token or len(token) > 64:
        abort(400, "The form has no token: reload the page.")
    verdict = reply(desk().calls.engine, text_settings(), target, body, int(g.user["id"]),
                    token, now(), countries=_countries(target.menu))
    words = VERDICT_WORDS.get(verdict, verdict)
    if verdict == verdicts.QUEUED and text_settings().local:
        words = "Text kept in the local outbox: in development without a Twilio account, texts are not sent."
    flash(words, "ok" if verdict == verdicts.QUEUED else "error")
    if verdict == verdicts.QUEUED and kind in ANSWERED:
        ANSWERED[kind](item_id, int(g.user["id"]))
    return redirect(page(item_id))


@bp.get("/admin/texts")
@admin_required
def admin_templates() -> str:
    """The reply templates, per name and language, with their length in SMS segments."""
    return _admin_page()[0]


def _admin_page(status: int = 200, **values: Any) -> tuple[str, int]:
    languages: set[str] = set()
    for menu in current_app.extensions["ivr"].catalog.menus.values():
        languages |= set(menu.languages)
    rows = [(t, segments(t.body)) for t in templates().all()]
    page = render_template("dashboard/admin_texts.html", rows=rows, text_caps=text_cap_warnings(),
                           languages=sorted(languages) or ["en"],
                           settings=text_settings(), max_body=MAX_BODY, **values)
    return page, status


@bp.post("/admin/texts")
@admin_required
def save_template() -> Any:
    """Add a template, or change one (``template_id``)."""
    raw_id = request.form.get("template_id", "")
    template_id = int(raw_id) if raw_id.isdigit() else None
    form = {k: request.form.get(k, "") for k in ("name", "lang", "body")}
    try:
        templates().save(form["name"], form["lang"], form["body"], int(g.user["id"]), now(),
                         template_id)
    except TemplateError as exc:
        return _admin_page(400, error=str(exc), form=form)
    flash(f"Template {form['name'].strip()} ({form['lang'].strip()}) saved.", "ok")
    return redirect(url_for("dashboard.texts.admin_templates"))


@bp.post("/admin/texts/<int:template_id>/delete")
@admin_required
def delete_template(template_id: int) -> BaseResponse:
    """Remove a template."""
    if not templates().delete(template_id):
        abort(404, "There is no such template.")
    flash("Template deleted.", "ok")
    return redirect(url_for("dashboard.texts.admin_templates"))


@bp.get("/outbox")
def outbox() -> str:
    """Development without a Twilio account: the texts the service would have sent."""
    if not text_settings().local:
        abort(404, "Texts are sent through Twilio here: there is no local outbox.")
    return render_template("dashboard/outbox.html", texts=local_outbox(desk().calls.engine))
