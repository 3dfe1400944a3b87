"""What a caller gave compared with what a record holds: spoken digits, phones, PINs."""

from __future__ import annotations

import hashlib
import hmac

from ivr.speech.spoken import SPOKEN_DIGITS, fold

_DIGIT_WORDS = {"o": "0", "oh": "0", "une": "1", "una": "1", "doua": "2", "zero": "0"}


def spoken_digits(speech: str, lang: str) -> str:
    """The digits in "one two three", "1 2 3", "123", "un deux", "unu doi" (other words ignored)."""
    table = SPOKEN_DIGITS.get(lang.split("-")[0], SPOKEN_DIGITS["en"]).split()
    out = []
    for word in fold(speech).replace("*", " ").replace("#", " ").split():
        if word.isdigit():
            out.append(word)
        elif word in table:
            out.append(str(table.index(word)))
        elif word in _DIGIT_WORDS:
            out.append(_DIGIT_WORDS[word])
    return "".join(out)


def phone_digits(number: str) -> str:
    """A phone number's digits, for comparing caller IDs written differently."""
    return "".join(c for c in number if c.isdigit())


def same_phone(a: str, b: str) -> bool:
    """Two numbers match on their last nine digits (or entirely, when shorter)."""
    a, b = phone_digits(a), phone_digits(b)
    if len(a) >= 9 and len(b) >= 9:
        return a[-9:] == b[-9:]
    return bool(a) and a == b


def same_secret(entered: str, expected: str) -> bool:
    """A postcode or PIN compared without spaces or case, in constant time.

    A record may keep only a hash of a PIN: ``sha256:<hex>`` is compared with the
    hash of what the caller keyed.
    """
    if expected.startswith("sha256:"):
        digest = hashlib.sha256(entered.strip().encode()).hexdigest()
        return hmac.compare_digest(digest, expected[7:].strip().lower())

    def norm(text: str) -> bytes:
        return "".join(text.split()).upper().encode()

    return hmac.compare_digest(norm(entered), norm(expected))
