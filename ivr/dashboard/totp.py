"""Authenticator-app codes (TOTP, RFC 6238) by pyotp: secrets, the otpauth URI, code checks."""

from __future__ import annotations

import re
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal

ISSUER = "IVR help desk"
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (typed in, or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, moment: datetime) -> int | None:
    """The 30-second time step ``code`` belongs to (now, or one step either side), else None."""
    code = code.replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(moment)
    for step in (current, current - 1, current + 1):
        if strings_equal(code, totp.generate_otp(step)):
            return step
    return None
