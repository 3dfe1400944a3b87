"""The dashboard blueprint at /dashboard: its parts, guards, error page and template filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, g, render_template, url_for
from flask.sansio.blueprints import BlueprintSetupState
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from ivr.dashboard import (
    account,
    admin,
    analytics,
    auth,
    callbacks,
    inbox,
    live,
    menus,
    privacy,
    prompts,
    simulate,
    texts,
)
from ivr.dashboard.desk import Desk, desk, now, setting
from ivr.dashboard.times import as_utc, local, viewer_zone, zone_of

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard",
               template_folder="templates", static_folder="static")
bp.register_blueprint(auth.bp)
bp.register_blueprint(account.bp)
bp.register_blueprint(inbox.bp)
bp.register_blueprint(callbacks.bp)  # the callbacks queue, calls back, callers' history
bp.register_blueprint(admin.bp)
bp.register_blueprint(privacy.bp)  # admins export or erase one caller's data
bp.register_blueprint(menus.bp)  # the admins' menu pages: /dashboard/admin/menus...
bp.register_blueprint(prompts.bp)
bp.register_blueprint(simulate.bp)
bp.register_blueprint(texts.bp)  # replies by SMS (/dashboard/reply/...) and their templates
bp.register_blueprint(analytics.bp)  # /dashboard/analytics: figures for everyone, the rest for admins
bp.register_blueprint(live.bp)  # /dashboard/live: calls in progress, queues, agents
# Order matters: who is asking, then whether they may, then whether the form is ours.
bp.before_request(auth.load_user)
bp.before_request(auth.require_login)
bp.before_request(auth.check_csrf)
bp.after_request(auth.secure_headers)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    """Build the dashboard's storage on the app's database engine (cookie flags: ivr.web.sessions)."""
    Desk.install(state.app)


@bp.context_processor
def _page_globals() -> dict[str, Any]:
    """The signed-in user, the unread count and the CSRF token for every dashboard page."""
    user = g.get("user")
    new_count = desk().voicemails.count_new() if user is not None else 0
    due_callbacks = (current_app.extensions["answer"].callbacks.counts(now())["now"]
                     if user is not None else 0)
    return {"current_user": user, "new_count": new_count, "due_callbacks": due_callbacks,
            "csrf_token": auth.csrf_token,
            "local_outbox": bool(getattr(getattr(current_app.extensions["ivr"], "text_settings",
                                                 None), "local", False)),
            "poll_seconds": float(setting("IVR_DASHBOARD_POLL_SECONDS")),
            "viewer_zone": viewer_zone().key}


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> tuple[str, int]:
    """Dashboard errors (400, 403, 404...) as a page in the dashboard's own look."""
    page = render_template("dashboard/error.html", code=exc.code, name=exc.name,
                           description=exc.description)
    return page, exc.code or 500


@bp.app_template_filter("when")
def when(value: datetime | str | None, menu: str | None = None) -> str | Markup:
    """A date and time in the viewer's one zone: 2026-11-24 12:32 EET; where the line of
    ``menu`` keeps another zone, its own time is in the tooltip."""
    zone = viewer_zone()
    shown = local(value, zone) or "—"
    line_zone = zone_of(menu) if menu else zone
    if value in (None, "") or line_zone == zone:
        return shown
    return Markup('<span title="%s" data-line-time>%s</span>') % (
        f"{local(value, line_zone)} on the line's clock", shown)


@bp.app_template_filter("clock")
def clock(value: datetime | str | None, menu: str | None = None) -> str:
    """A time of day with seconds, in the viewer's zone like ``when``: 12:32:05."""
    return local(value, viewer_zone(), "%H:%M:%S")


@bp.app_template_filter("line")
def line(menu_id: str | None) -> str:
    """A menu (phone line) by the name the inbox filter lists it under."""
    if not menu_id:
        return "—"
    menu = current_app.extensions["ivr"].catalog.menus.get(menu_id)
    return str(menu.name or menu.id) if menu is not None else menu_id


@bp.app_template_filter("account_link")
def account_link(text: str) -> Markup:
    """``text``, escaped, with "your account page" a link to it (where agents add their phone)."""
    link = Markup('<a href="%s">your account page</a>') % url_for("dashboard.account.index")
    return Markup(str(escape(text)).replace("your account page", str(link)))


@bp.app_template_filter("isotime")
def isotime(value: datetime | str | None) -> str:
    """A machine-readable time for <time datetime>."""
    moment = as_utc(value) if value else None
    return moment.isoformat() if moment else ""


@bp.app_template_filter("seconds")
def seconds(value: int | float | None) -> str:
    """A length as m:ss."""
    if value is None:
        return "—"
    total = int(value)
    return f"{total // 60}:{total % 60:02d}"
