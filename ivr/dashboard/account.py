"""Each user's own account: password, phone, time zone, log out everywhere, authenticator codes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ivr import phones
from ivr.dashboard import totp
from ivr.dashboard.auth import MAX_PASSWORD, client_address
from ivr.dashboard.desk import desk, now
from ivr.dashboard.times import COMMON_ZONES, MAX_ZONE, checked_zone, default_zone

bp = Blueprint("account", __name__, url_prefix="/account")
MIN_PASSWORD = 8
PENDING = "totp_pending"  # the secret being set up, until a code from it is entered


def _page(status: int = 200, **values: Any) -> tuple[str, int]:
    """The account page with its forms, and a message where there is one."""
    mine = desk().users.user(g.user["id"]) or {}
    page = render_template("dashboard/account.html", min_password=MIN_PASSWORD,
                           sessions=desk().logins.open_for(g.user["id"]),
                           phone=mine.get("phone") or "", time_zone=mine.get("time_zone") or "",
                           common_zones=COMMON_ZONES, default_zone=default_zone().key,
                           pin_state=_pin_state(), **values)
    return page, status


def _pin_state() -> str:
    """What the account page says of the admin's announcement PIN."""
    if g.user.get("role") != "admin":
        return ""
    from ivr.recorded_announcements import Pins

    found = Pins(current_app.extensions["ivr"].store.engine).get(g.user["id"])
    if found is None:
        return "No PIN is set."
    if found["locked_at"] is not None:
        return "Your PIN is locked after failed calls: a new PIN unlocks it."
    return "A PIN is set."


def password_problem(password: str, again: str) -> str | None:
    """Why a new password cannot be used, or None."""
    if len(password) < MIN_PASSWORD:
        return f"A password needs at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"A password has at most {MAX_PASSWORD} characters."
    if password != again:
        return "The two new passwords are not the same."
    return None


def reauthentication_problem(action: str) -> str | None:
    """Why this request may not change how the account is reached, or None.

    Replacing the authenticator or the phone that calls back ring needs the current
    password, and the current authenticator code when one is set up: a stolen session
    cookie alone must not lock the owner out or have callers bridged to another phone.
    Guesses are throttled like password changes.
    """
    found, user = desk(), g.user
    wait = found.throttle.admit(user["username"], client_address(), action)
    if wait:
        return f"Too many attempts. Try again in {wait} seconds."
    if not found.users.check_password(user["id"], request.form.get("current", "")[:MAX_PASSWORD]):
        return "The current password is not right."
    secret = found.users.totp_secret(user["id"])
    if secret:
        step = totp.matching_step(secret, request.form.get("current_code", "")[:16], now())
        if step is None or not found.users.use_totp_step(user["id"], step):
            return "The code of your current authenticator app is not right."
    found.throttle.succeeded(user["username"], action)
    return None


@bp.get("/")
def index() -> tuple[str, int]:
    """The signed-in user's account."""
    return _page()


@bp.post("/password")
def change_password() -> Any:
    """Change one's own password (the current one first); every other session ends."""
    found, user = desk(), g.user
    wait = found.throttle.admit(user["username"], client_address(), "password-change")
    if wait:
        return _page(429, error=f"Too many attempts. Try again in {wait} seconds.")
    current = request.form.get("current", "")[:MAX_PASSWORD]
    if not found.users.check_password(user["id"], current):
        return _page(400, error="The current password is not right.")
    new = request.form.get("password", "")
    problem = password_problem(new, request.form.get("again", ""))
    if problem:
        return _page(400, error=problem)
    found.throttle.succeeded(user["username"], "password-change")
    found.users.set_password(user["username"], new)
    ended = found.logins.end_all(user["id"], keep=str(session.get("sid") or ""))
    others = f" Your {ended} other session{'s' if ended != 1 else ''} ended." if ended else ""
    return _page(message="Your password is changed." + others)


@bp.post("/phone")
def set_phone() -> Any:
    """Keep the agent's own phone: "Call back" rings it, then bridges the caller (password first)."""
    given = request.form.get("phone", "").strip()
    problem = reauthentication_problem("phone-change")
    if problem:
        return _page(400, phone_error=problem, phone_given=given[:40])
    if not given:
        desk().users.set_phone(g.user["id"], None)
        return _page(message="Your phone number is removed: calls back need one.")
    checked = phones.check(given)
    if not checked.ok:
        return _page(400, phone_error=f"That number cannot be used: {checked.refused}. Write it with its "
                     "country code, like +33 6 12 34 56 78.", phone_given=given[:40])
    desk().users.set_phone(g.user["id"], checked.e164)
    return _page(message=f"Calls back will ring {checked.e164}.")


@bp.post("/announce-pin")
def set_pin() -> Any:
    """Set the admin's announcement-line PIN (hashed; the password first); unlocks it."""
    from ivr.recorded_announcements import Pins, pin_problem

    if g.user.get("role") != "admin":
        return _page(403, pin_error="Only admins record announcements.")
    problem = reauthentication_problem("pin-change")
    if problem:
        return _page(400, pin_error=problem)
    pin = request.form.get("pin", "")[:32]
    problem = pin_problem(pin)
    if problem:
        return _page(400, pin_error=problem)
    Pins(current_app.extensions["ivr"].store.engine).set(g.user["id"], pin, now())
    return _page(message="Your announcement PIN is set.")


@bp.post("/time-zone")
def set_time_zone() -> Any:
    """Choose the zone every time in the dashboard is shown in (empty: the first menu's)."""
    given = (request.form.get("other", "").strip() or request.form.get("time_zone", "").strip())
    if not given:
        desk().users.set_time_zone(g.user["id"], None)
        g.user["time_zone"] = None
        return _page(message=f"Times are shown in the lines' default zone, {default_zone().key}.")
    zone = checked_zone(given)
    if zone is None:
        return _page(400, zone_error=f"“{given[:MAX_ZONE]}” is not a time zone. Choose one from the "
                     "list or write its IANA name, like Europe/Paris or America/New_York.",
                     zone_given=given[:MAX_ZONE])
    desk().users.set_time_zone(g.user["id"], zone)
    g.user["time_zone"] = zone
    return _page(message=f"Times are shown in {zone}.")


@bp.post("/logout-everywhere")
def logout_everywhere() -> BaseResponse:
    """End every session of this user, on every browser, this one too."""
    desk().logins.end_all(g.user["id"])
    session.clear()
    return redirect(url_for("dashboard.auth.login"))


@bp.route("/totp", methods=["GET", "POST"])
def set_up_totp() -> Any:
    """Set up an authenticator app: show a new secret, keep it once a code from it matches."""
    found, user = desk(), g.user
    secret = str(session.get(PENDING) or "")
    if request.method == "GET" or not secret:
        secret = session[PENDING] = totp.new_secret()
        return render_template("dashboard/account_totp.html", secret=secret,
                               uri=totp.provisioning_uri(secret, user["username"]))
    step = totp.matching_step(secret, request.form.get("code", "")[:16], now())
    problem = ("That code does not match. Check the app's clock and retry." if step is None
               else reauthentication_problem("totp-change"))
    if step is None or problem:
        page = render_template("dashboard/account_totp.html", secret=secret,
                               uri=totp.provisioning_uri(secret, user["username"]), error=problem)
        return page, 400
    found.users.set_totp(user["username"], secret)
    found.users.use_totp_step(user["id"], step)
    session.pop(PENDING, None)
    return _page(message="Your authenticator is set up: logging in now asks for its code.")


@bp.post("/totp/off")
def turn_off_totp() -> Any:
    """Stop asking for authenticator codes (the password and the current code first)."""
    found, user = desk(), g.user
    problem = reauthentication_problem("totp-change")
    if problem:
        return _page(400, error=problem)
    found.users.set_totp(user["username"], None)
    return redirect(url_for("dashboard.account.index"))
