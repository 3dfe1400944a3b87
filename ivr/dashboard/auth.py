"""Who is using the dashboard: login (throttled, optional authenticator codes), server-side
sessions, roles and CSRF tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response as BaseResponse

from ivr.dashboard import totp
from ivr.dashboard.desk import desk, now
from ivr.dashboard.throttle import MAX_NAME

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])
# Reachable without logging in: the login form itself and the stylesheet it uses.
PUBLIC_ENDPOINTS = {"dashboard.auth.login", "dashboard.auth.code", "dashboard.static"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_PASSWORD = 1024  # longer is no password anyone types; refused before hashing
NO_MATCH = "That name and password do not match an active account."
CODE_SECONDS = 300  # how long the authenticator-code step waits after the password
DEVICE_COOKIE = "ivr_device"
DEVICE_DAYS = 180


def _session_user() -> dict[str, Any] | None:
    """The active user whose open session this request's cookie names, else None."""
    session_id = session.get("sid")
    if not session_id:
        return None
    found = desk()
    user_id = found.logins.user_id(str(session_id), now())
    user = found.users.user(user_id) if user_id is not None else None
    return user if user is not None and user["active"] else None


def load_user() -> None:
    """Put the signed-in, still active user (or None) on ``g.user``."""
    g.user = _session_user()
    if g.user is None and session.get("sid"):
        session.clear()  # logged out, timed out, disabled or deleted since: out at once


def signed_in_admin() -> bool:
    """Whether this request (on any page) carries an open session of an active admin."""
    user = _session_user()
    return bool(user and user["role"] == "admin")


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


def client_address() -> str:
    """The client's address: werkzeug's ProxyFix has applied IVR_TRUSTED_PROXIES already."""
    return (request.remote_addr or "unknown")[:64]


def _login_page(status: int, error: str, username: str = "", next_url: str = "",
                wait: int = 0) -> Response:
    """The login form again, with why; a 429 says when to try again."""
    body = render_template("dashboard/login.html", error=error, username=username[:MAX_NAME],
                           next_url=next_url)
    headers = {"Retry-After": str(wait)} if wait else {}
    return Response(body, status, headers=headers)


def _too_soon(wait: int) -> str:
    """The message for a throttled attempt."""
    return f"Too many attempts. Try again in {wait} second{'s' if wait != 1 else ''}."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the login form; check a name and password, each name slowed down after a few misses."""
    next_url = request.values.get("next", "")[:2000]
    if request.method == "GET":
        if g.user is not None:
            return redirect(_safe_next(next_url))
        return render_template("dashboard/login.html", next_url=next_url)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or len(username) > MAX_NAME or len(password) > MAX_PASSWORD:
        # No such account can exist: refused before any database work.
        return _login_page(401, NO_MATCH, username, next_url)
    device = known_device(username)
    wait = desk().throttle.admit(username, client_address(), device)
    if wait:
        return _login_page(429, _too_soon(wait), username, next_url, wait)
    user = desk().users.authenticate(username, password)
    if user is None:
        return _login_page(401, NO_MATCH, username, next_url)
    if user["totp"]:
        session.clear()
        session["pending"] = {"user_id": user["id"], "device": device, "next": next_url,
                              "at": now().timestamp()}
        return redirect(url_for("dashboard.auth.code"))
    return _signed_in(user, device, next_url)


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> Any:
    """The second step for a user with an authenticator: the 6-digit code it shows."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or now().timestamp() - float(pending.get("at", 0)) > CODE_SECONDS:
        session.pop("pending", None)
        return redirect(url_for("dashboard.auth.login"))
    if request.method == "GET":
        return render_template("dashboard/login_code.html")
    found = desk()
    user = found.users.user(int(pending["user_id"]))
    if user is None or not user["active"]:
        session.clear()
        return redirect(url_for("dashboard.auth.login"))
    device = str(pending.get("device") or "")
    wait = found.throttle.admit(user["username"], client_address(), device)
    if wait:
        page = render_template("dashboard/login_code.html", error=_too_soon(wait))
        return Response(page, 429, headers={"Retry-After": str(wait)})
    secret = found.users.totp_secret(user["id"])
    step = totp.matching_step(secret, request.form.get("code", "")[:16], now()) if secret else None
    if step is None or not found.users.use_totp_step(user["id"], step):
        error = "That code is not right (or was used already). Enter the code your app shows now."
        return render_template("dashboard/login_code.html", error=error), 401
    return _signed_in(user, device, str(pending.get("next") or ""))


def _signed_in(user: dict[str, Any], device: str, next_url: str) -> BaseResponse:
    """Open a server-side session for the user and remember this browser as theirs."""
    found = desk()
    found.throttle.succeeded(user["username"], device)
    found.users.record_login(user["id"], now())
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session.permanent = True  # the cookie lasts IVR_SESSION_MAX_HOURS, as the server-side row
    session["sid"] = found.logins.start(user["id"], now())
    response = redirect(_safe_next(next_url))
    remember_device(response, user["username"])
    return response


@bp.post("/logout")
def logout() -> BaseResponse:
    """End this session on the server (a copied cookie dies with it) and forget the cookie."""
    session_id = session.get("sid")
    if session_id:
        desk().logins.end(str(session_id))
    session.clear()
    return redirect(url_for("dashboard.auth.login"))


# -- known devices: a browser that logged in to an account before has its own count -------

def _device_signer() -> URLSafeSerializer:
    """Signs the known-device cookie with the app's secret key."""
    return URLSafeSerializer(str(current_app.secret_key), salt="ivr-known-device")


def _device_cookie() -> dict[str, Any]:
    """This browser's device id and the accounts it logged in to (empty when none or forged)."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if not raw or len(raw) > 2000:
        return {}
    try:
        value = _device_signer().loads(raw)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def _account_tag(username: str) -> str:
    """A short keyed tag for an account name in the device cookie."""
    return hmac.new(str(current_app.secret_key).encode(), username.encode("utf-8", "replace"),
                    hashlib.sha256).hexdigest()[:16]


def known_device(username: str) -> str:
    """This browser's device id when it has logged in to ``username`` before, else ""."""
    cookie = _device_cookie()
    if _account_tag(username) in cookie.get("accounts", []):
        return str(cookie.get("id", ""))[:64]
    return ""


def remember_device(response: BaseResponse, username: str) -> None:
    """Add the account to this browser's known-device cookie (a few accounts at most)."""
    cookie = _device_cookie()
    tag = _account_tag(username)
    accounts = [a for a in cookie.get("accounts", []) if a != tag][-7:] + [tag]
    value = {"id": str(cookie.get("id") or secrets.token_urlsafe(16)), "accounts": accounts}
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(value), max_age=DEVICE_DAYS * 86400,
                        path="/dashboard", secure=current_app.session_interface.get_cookie_secure(
                            current_app), httponly=True, samesite="Lax")
