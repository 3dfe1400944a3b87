"""Optional authenticator codes: set up in the account page, then asked at every login."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp

from tests.conftest import ADMIN_PASSWORD, Clock, csrf_token_of, log_in


def _code(secret: str, clock: Clock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock() + timedelta(seconds=30 * steps))


def _set_up(client: Any, clock: Clock, password: str = ADMIN_PASSWORD) -> str:
    """Set up an authenticator for the signed-in user (their password given); returns its secret."""
    page = client.get("/dashboard/account/totp")
    assert page.status_code == 200
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text).group(1)
    uri = f"otpauth://totp/IVR%20help%20desk:root?secret={secret}&amp;issuer=IVR%20help%20desk"
    assert uri in page.text
    wrong = client.post("/dashboard/account/totp", data={"code": "000000",
                                                         "csrf_token": csrf_token_of(client)})
    assert wrong.status_code == 400 and "does not match" in wrong.text
    done = client.post("/dashboard/account/totp", data={"code": _code(secret, clock),
                                                        "current": password,
                                                        "csrf_token": csrf_token_of(client)})
    assert done.status_code == 200 and "Your authenticator is set up" in done.text
    return secret


def test_an_admin_with_an_authenticator_needs_its_code_to_log_in(dashboard_app: Any,
                                                                  clock: Clock) -> None:
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    secret = _set_up(admin, clock)
    assert dashboard_app.extensions["dashboard"].users.user_by_name("root")["totp"] is True

    clock.now += timedelta(minutes=1)
    client = dashboard_app.test_client()
    response = log_in(client, "root", ADMIN_PASSWORD)
    assert response.headers["Location"] == "/dashboard/login/code"
    assert client.get("/dashboard/inbox").status_code == 302  # the password alone opens nothing
    wrong = client.post("/dashboard/login/code", data={"code": _code(secret, clock, steps=-5),
                                                       "csrf_token": csrf_token_of(client)})
    assert wrong.status_code == 401 and "That code is not right" in wrong.text
    code = _code(secret, clock)
    right = client.post("/dashboard/login/code", data={"code": code,
                                                       "csrf_token": csrf_token_of(client)})
    assert right.headers["Location"] == "/dashboard/inbox"
    assert client.get("/dashboard/inbox").status_code == 200

    # The same code, seen over a shoulder, does not open a second session.
    other = dashboard_app.test_client()
    log_in(other, "root", ADMIN_PASSWORD)
    replay = other.post("/dashboard/login/code", data={"code": code,
                                                       "csrf_token": csrf_token_of(other)})
    assert replay.status_code == 401
    # The code step expires five minutes after the password.
    clock.now += timedelta(minutes=6)
    assert other.get("/dashboard/login/code").headers["Location"] == "/dashboard/login"


def test_turning_the_authenticator_off_needs_the_password(dashboard_app: Any, clock: Clock) -> None:
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    secret = _set_up(admin, clock)
    clock.now += timedelta(minutes=1)
    token = csrf_token_of(admin)
    refused = admin.post("/dashboard/account/totp/off", data={
        "current": "nope", "current_code": _code(secret, clock), "csrf_token": token})
    assert refused.status_code == 400
    refused = admin.post("/dashboard/account/totp/off", data={"current": ADMIN_PASSWORD,
                                                              "csrf_token": token})
    assert refused.status_code == 400 and "authenticator app is not right" in refused.text
    assert dashboard_app.extensions["dashboard"].users.user_by_name("root")["totp"] is True
    done = admin.post("/dashboard/account/totp/off", data={
        "current": ADMIN_PASSWORD, "current_code": _code(secret, clock), "csrf_token": token})
    assert done.headers["Location"] == "/dashboard/account/"
    assert log_in(dashboard_app.test_client(), "root", ADMIN_PASSWORD).headers["Location"] == \
        "/dashboard/inbox"


def test_wrong_codes_are_throttled_like_passwords(dashboard_app: Any, clock: Clock) -> None:
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    secret = _set_up(admin, clock)
    client = dashboard_app.test_client()
    log_in(client, "root", ADMIN_PASSWORD)
    answers = [client.post("/dashboard/login/code", data={
        "code": _code(secret, clock, steps=-9), "csrf_token": csrf_token_of(client)}).status_code
        for _ in range(8)]
    assert answers[:4] == [401] * 4 and 429 in answers[4:]


def test_replacing_the_authenticator_needs_the_password_and_the_current_code(
        dashboard_app: Any, clock: Clock) -> None:
    owner = dashboard_app.test_client()
    log_in(owner, "root", ADMIN_PASSWORD)
    first = _set_up(owner, clock, password=ADMIN_PASSWORD)
    users = dashboard_app.extensions["dashboard"].users
    root_id = users.user_by_name("root")["id"]
    clock.now += timedelta(minutes=2)
    # A stolen cookie: the session is signed in, the thief knows neither password nor code.
    page = owner.get("/dashboard/account/totp")
    theirs = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text).group(1)
    for form in ({"code": _code(theirs, clock)},
                 {"code": _code(theirs, clock), "current": "a-guess"},
                 {"code": _code(theirs, clock), "current": ADMIN_PASSWORD},  # no current code
                 {"code": _code(theirs, clock), "current": ADMIN_PASSWORD, "current_code": "123456"}):
        refused = owner.post("/dashboard/account/totp", data={**form,
                                                               "csrf_token": csrf_token_of(owner)})
        assert refused.status_code == 400, form
        assert users.totp_secret(root_id) == first
    # The owner, with both: the new authenticator replaces the old one.
    done = owner.post("/dashboard/account/totp", data={
        "code": _code(theirs, clock), "current": ADMIN_PASSWORD,
        "current_code": _code(first, clock), "csrf_token": csrf_token_of(owner)})
    assert done.status_code == 200 and "Your authenticator is set up" in done.text
    assert users.totp_secret(root_id) == theirs


def test_changing_the_callback_phone_needs_the_password_and_code(dashboard_app: Any,
                                                                 clock: Clock) -> None:
    owner = dashboard_app.test_client()
    log_in(owner, "root", ADMIN_PASSWORD)
    users = dashboard_app.extensions["dashboard"].users
    token = csrf_token_of(owner)
    for form in ({"phone": "+40 721 234 567"}, {"phone": "+40 721 234 567", "current": "guess"},
                 {"phone": "", "current": "guess"}):
        refused = owner.post("/dashboard/account/phone", data={**form, "csrf_token": token})
        assert refused.status_code == 400 and "The current password is not right" in refused.text
        assert users.user_by_name("root")["phone"] is None
    saved = owner.post("/dashboard/account/phone", data={"phone": "+40 721 234 567",
                                                         "current": ADMIN_PASSWORD, "csrf_token": token})
    assert saved.status_code == 200 and users.user_by_name("root")["phone"] == "+40721234567"
    # With an authenticator on, its current code as well.
    secret = _set_up(owner, clock, password=ADMIN_PASSWORD)
    clock.now += timedelta(minutes=2)
    token = csrf_token_of(owner)
    refused = owner.post("/dashboard/account/phone", data={"phone": "+33 6 12 34 56 78",
                                                           "current": ADMIN_PASSWORD, "csrf_token": token})
    assert refused.status_code == 400 and "code" in refused.text
    assert users.user_by_name("root")["phone"] == "+40721234567"
    saved = owner.post("/dashboard/account/phone", data={
        "phone": "+33 6 12 34 56 78", "current": ADMIN_PASSWORD, "current_code": _code(secret, clock),
        "csrf_token": token})
    assert saved.status_code == 200 and users.user_by_name("root")["phone"] == "+33612345678"
