"""The dashboard blueprint at /dashboard: its parts, guards, error page and template filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, g, render_template
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException

from ivr.dashboard import account, admin, auth, inbox, menus, prompts, simulate
from ivr.dashboard.desk import Desk, desk, setting

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard",
               template_folder="templates", static_folder="static")
bp.register_blueprint(auth.bp)
bp.register_blueprint(account.bp)
bp.register_blueprint(inbox.bp)
bp.register_blueprint(admin.bp)
bp.register_blueprint(menus.bp)  # the admins' menu pages: /dashboard/admin/menus...
bp.register_blueprint(prompts.bp)
bp.register_blueprint(simulate.bp)
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
    return {"current_user": user, "new_count": new_count, "csrf_token": auth.csrf_token,
            "poll_seconds": float(setting("IVR_DASHBOARD_POLL_SECONDS"))}


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> tuple[str, int]:
    """Dashboard errors (400, 403, 404...) as a page in the dashboard's own look."""
    page = render_template("dashboard/error.html", code=exc.code, name=exc.name,
                           description=exc.description)
    return page, exc.code or 500


def _utc(value: datetime | str) -> datetime | None:
    """An aware UTC time (SQLite hands back naive UTC; a saved journey holds ISO text)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _format(value: datetime | str | None, pattern: str) -> str:
    """A time in ``pattern``; text that is not a time is shown as it is."""
    if value is None or value == "":
        return ""
    moment = _utc(value)
    return moment.strftime(pattern) if moment else str(value)


@bp.app_template_filter("when")
def when(value: datetime | str | None) -> str:
    """A date and time for people: 24 Nov 2026, 10:32 UTC."""
    return _format(value, "%-d %b %Y, %H:%M UTC") or "—"


@bp.app_template_filter("clock")
def clock(value: datetime | str | None) -> str:
    """A time of day with seconds: 10:32:05."""
    return _format(value, "%H:%M:%S")


@bp.app_template_filter("isotime")
def isotime(value: datetime | str | None) -> str:
    """A machine-readable time for <time datetime>."""
    moment = _utc(value) if value else None
    return moment.isoformat() if moment else ""


@bp.app_template_filter("seconds")
def seconds(value: int | float | None) -> str:
    """A length as m:ss."""
    if value is None:
        return "—"
    total = int(value)
    return f"{total // 60}:{total % 60:02d}"
