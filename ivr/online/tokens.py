"""The signed token a help page's forms carry: a form shown for one line, recently."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ivr.menu.model import Menu

TOKEN_AGE = 2 * 3600  # seconds a form stays valid once shown


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt="ivr-help-form")


def form_token(menu: Menu) -> str:
    """A token for a form of ``menu``'s help pages."""
    return _signer().dumps(menu.id)


def token_ok(menu: Menu, token: str) -> bool:
    """Whether ``token`` was given by a form of ``menu`` within TOKEN_AGE."""
    try:
        return bool(_signer().loads(token[:200], max_age=TOKEN_AGE) == menu.id)
    except BadSignature:
        return False
