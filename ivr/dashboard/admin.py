"""The administrators' area: who can use the dashboard, and notifications that failed."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ivr.dashboard.account import MIN_PASSWORD, password_problem
from ivr.dashboard.auth import admin_required
from ivr.dashboard.desk import desk, now
from ivr.dashboard.store import ROLES, UserExists
from ivr.dashboard.throttle import MAX_NAME

bp = Blueprint("admin", __name__, url_prefix="/admin")


def failed_deliveries_source() -> Callable[..., Any] | None:
    """ivr.notify's list_failed_deliveries, when the notifications module provides one."""
    try:
        module = importlib.import_module("ivr.notify")
    except ImportError:
        return None
    found = getattr(module, "list_failed_deliveries", None)
    return found if callable(found) else None


@bp.get("/")
@admin_required
def index() -> BaseResponse:
    """The admin area opens on its users."""
    return redirect(url_for("dashboard.admin.users"))


@bp.get("/users")
@admin_required
def users() -> str:
    """Everyone who can log in, with a form to add another."""
    return _users_page()[0]


def _users_page(status: int = 200, **values: Any) -> tuple[str, int]:
    """The users page, with a message or an error where there is one."""
    page = render_template("dashboard/admin_users.html", users=desk().users.users(), roles=ROLES,
                           min_password=MIN_PASSWORD,
                           has_deliveries=failed_deliveries_source() is not None, **values)
    return page, status


@bp.post("/users")
@admin_required
def add_user() -> Any:
    """Create a user from the form; a taken name or short password re-shows it with a 400."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    role = request.form.get("role", "agent")
    error = None
    if not username or len(username) > MAX_NAME or any(c.isspace() for c in username):
        error = "A user name needs 1 to 64 characters and no spaces."
    elif len(password) < MIN_PASSWORD:
        error = f"A password needs at least {MIN_PASSWORD} characters."
    elif role not in ROLES:
        error = f"Role must be one of {', '.join(ROLES)}."
    else:
        try:
            desk().users.add_user(username, password, role, now())
        except UserExists:
            error = f"There is already a user called {username}."
    if error:
        return _users_page(400, error=error, form={"username": username, "role": role})
    return redirect(url_for("dashboard.admin.users"))


@bp.post("/users/<username>/active")
@admin_required
def set_active(username: str) -> BaseResponse:
    """Disable or re-enable a user (never yourself: someone must stay able to log in)."""
    active = request.form.get("active") == "1"
    if username == g.user["username"] and not active:
        abort(400, "You cannot disable your own account.")
    found = desk()
    user = found.users.user_by_name(username)
    if user is None or not found.users.set_active(username, active):
        abort(404, f"There is no user {username}.")
    if not active:
        found.logins.end_all(user["id"])
    return redirect(url_for("dashboard.admin.users"))


@bp.post("/users/<username>/password")
@admin_required
def reset_password(username: str) -> Any:
    """Give another user a new password; every session of theirs ends."""
    found = desk()
    user = found.users.user_by_name(username)
    if user is None:
        abort(404, f"There is no user {username}.")
    password = request.form.get("password", "")
    problem = password_problem(password, request.form.get("again", password))
    if problem:
        return _users_page(400, error=f"{username}: {problem}")
    found.users.set_password(username, password)
    ended = found.logins.end_all(user["id"], keep=None if user["id"] != g.user["id"]
                                 else str(session.get("sid") or ""))
    return _users_page(message=f"{username} has a new password; {ended} of their sessions ended.")


@bp.get("/deliveries")
@admin_required
def deliveries() -> str:
    """Notifications about voicemails that could not be delivered."""
    source = failed_deliveries_source()
    if source is None:
        abort(404, "This installation has no notifications module.")
    rows = list(source(desk().calls.engine))
    intake = current_app.extensions["ivr"].intake
    set_aside = intake.quarantined() if intake else []
    count = intake.quarantine_count() if intake else 0
    return render_template("dashboard/admin_deliveries.html", rows=rows, set_aside=set_aside,
                           set_aside_count=count)
