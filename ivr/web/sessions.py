"""Browser-facing transport security: the session cookie's flags and lifetime, and HSTS.

Flask's signed-cookie sessions are kept, without their set-up cost on requests that
carry none: Flask builds the cookie signer (itsdangerous serializer, key derivation)
at the start of every request, even one without a session cookie, like every Twilio
webhook. Only the dashboard uses sessions; this interface hands a cookie-less request
a fresh empty session directly, which is what Flask's would return after building
the signer. Requests with a session cookie are handled by Flask's code.

Whether a session is still open is decided server side (ivr.dashboard.logins); the
cookie only carries its id.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, Response, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

HSTS = "max-age=31536000"  # a year; subdomains are the operator's to decide, not ours


class SignedCookieSessions(SecureCookieSessionInterface):
    """SecureCookieSessionInterface, skipping the signer when there is no cookie to verify."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session for a request without our cookie; else Flask's own answer."""
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to do for a request that never touched its (empty) session and sent no
        cookie, like every Twilio webhook; else Flask's own handling."""
        if not session and not session.modified and not session.accessed \
                and "HTTP_COOKIE" not in request.environ:
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the public URL is https, or this request came over https."""
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or (has_request_context() and request.is_secure)


def public_https(app: Flask) -> bool:
    """Whether the configured public URL is https."""
    return str(app.config.get("IVR_PUBLIC_URL") or "").lower().startswith("https://")


def install(app: Flask) -> None:
    """Cookie flags (HttpOnly, SameSite=Lax, Secure over https), lifetime, and HSTS in production."""
    app.session_interface = SignedCookieSessions()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = public_https(app)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=float(app.config.get("IVR_SESSION_MAX_HOURS") or 12))
    if app.config.get("IVR_ENV") != "production":
        return

    @app.after_request
    def _strict_transport(response: Response) -> Response:
        """Browsers that reached us over https keep to https (RFC 6797)."""
        if public_https(app) or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
