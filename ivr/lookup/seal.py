"""Sealing identifiers for the callback URL: the order number a caller typed must not
appear in plain text in Twilio's request logs or our access logs.

Deterministic authenticated encryption (SIV construction with HMAC-SHA256 as the
PRF, standard library only): the synthetic IV is a MAC of the context and the
text, and keys an HMAC-CTR keystream. Deterministic on purpose: the same entry in
the same call gives the same URL, so a retried webhook is the same request. The
context binds a token to one call and node; a token from another call does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

IV_BYTES = 16
MAX_TEXT = 128  # an identifier, or an identifier with the item an action is for


class Sealer:
    """Seal and open short texts with keys derived from the app's secret."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        self._mac_key = hmac.new(raw, b"ivr.lookup.seal.mac", hashlib.sha256).digest()
        self._enc_key = hmac.new(raw, b"ivr.lookup.seal.enc", hashlib.sha256).digest()

    def _iv(self, data: bytes, context: str) -> bytes:
        message = context.encode() + b"\0" + data
        return hmac.new(self._mac_key, message, hashlib.sha256).digest()[:IV_BYTES]

    def _stream(self, iv: bytes, length: int) -> bytes:
        blocks = []
        for counter in range((length + 31) // 32):
            blocks.append(hmac.new(self._enc_key, iv + counter.to_bytes(4, "big"),
                                   hashlib.sha256).digest())
        return b"".join(blocks)[:length]

    def seal(self, text: str, context: str) -> str:
        """A URL-safe token for ``text`` (at most 128 bytes)."""
        data = text.encode()[:MAX_TEXT]
        iv = self._iv(data, context)
        sealed = bytes(a ^ b for a, b in zip(data, self._stream(iv, len(data)), strict=True))
        return base64.urlsafe_b64encode(iv + sealed).decode().rstrip("=")

    def unseal(self, token: str, context: str) -> str | None:
        """The text, or None for a token that was altered or sealed for another context."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return None
        if len(raw) < IV_BYTES:
            return None
        iv, sealed = raw[:IV_BYTES], raw[IV_BYTES:]
        data = bytes(a ^ b for a, b in zip(sealed, self._stream(iv, len(sealed)), strict=True))
        if not hmac.compare_digest(iv, self._iv(data, context)):
            return None
        try:
            return data.decode()
        except UnicodeDecodeError:
            return None
