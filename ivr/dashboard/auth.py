"""Who is using the dashboard: login with a rate limit, sessions, roles and CSRF tokens."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ivr.dashboard.desk import desk, now, setting

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])
# Reachable without logging in: the login form itself and the stylesheet it uses.
PUBLIC_ENDPOINTS = {"dashboard.auth.login", "dashboard.static"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def load_user() -> None:
    """Put the signed-in, still active user (or None) on ``g.user``."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = desk().users.user(int(user_id))
    if user is None or not user["active"]:
        session.clear()  # disabled or deleted since logging in: out at once
        return
    g.user = user


def require_login() -> BaseResponse | None:
    """Send an anonymous visitor to the login form (and back here afterwards)."""
    if request.endpoint in PUBLIC_ENDPOINTS or g.user is not None:
        return None
    target = request.full_path.rstrip("?") if request.method in SAFE_METHODS else None
    return redirect(url_for("dashboard.auth.login", next=target))


def csrf_token() -> str:
    """This session's CSRF token, made on first use; every dashboard form carries it."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """Refuse (400) a state-changing request without this session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        abort(400, "The form was missing its security token or it expired. Reload and retry.")


def secure_headers(response: Response) -> Response:
    """No framing, no inline script, no caching of pages with callers' details."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype in ("text/html", "application/json"):
        response.headers["Cache-Control"] = "no-store"
    return response


def admin_required(view: F) -> F:
    """Refuse (403) anyone but an admin."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.user is None or g.user["role"] != "admin":
            abort(403, "This page is for administrators.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: only a dashboard path, never another site."""
    if target and target.startswith("/dashboard") and not target.startswith("//"):
        return target
    return url_for("dashboard.inbox.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the login form; check a name and password, at most a few wrong ones at a time."""
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if g.user is not None:
            return redirect(_safe_next(next_url))
        return render_template("dashboard/login.html", next_url=next_url)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    ip = request.remote_addr or "unknown"
    users = desk().users
    moment = now()
    window = timedelta(seconds=int(setting("IVR_LOGIN_WINDOW_SECONDS")))
    if users.count_failures(username, ip, moment - window) >= int(setting("IVR_LOGIN_MAX_FAILURES")):
        minutes = max(1, round(window.total_seconds() / 60))
        error = f"Too many failed attempts. Try again in {minutes} minutes."
        body = render_template("dashboard/login.html", error=error, username=username,
                               next_url=next_url)
        return Response(body, 429, headers={"Retry-After": str(int(window.total_seconds()))})
    user = users.authenticate(username, password) if username else None
    if user is None:
        users.add_failure(username, ip, moment)
        error = "That name and password do not match an active account."
        return render_template("dashboard/login.html", error=error, username=username,
                               next_url=next_url), 401
    users.clear_failures(username, ip)
    users.record_login(user["id"], moment)
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session["user_id"] = user["id"]
    return redirect(_safe_next(next_url))


@bp.post("/logout")
def logout() -> BaseResponse:
    """Forget the session."""
    session.clear()
    return redirect(url_for("dashboard.auth.login"))
