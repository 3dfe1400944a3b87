"""Flask's signed-cookie sessions, without their set-up cost on requests that carry none.

Flask builds the cookie signer (itsdangerous serializer, key derivation) at the
start of every request, even one without a session cookie, like every Twilio
webhook. Only the dashboard uses sessions; this interface hands a cookie-less
request a fresh empty session directly, which is what Flask's would return after
building the signer. Requests with a session cookie are handled by Flask's code.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class SignedCookieSessions(SecureCookieSessionInterface):
    """SecureCookieSessionInterface, skipping the signer when there is no cookie to verify."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session for a request without our cookie; else Flask's own answer."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
