"""Texts (SMS) to callers, as the engine sees them: a request in, a verdict out.

The engine stays pure: a message node that offers "text me this" asks an injected
``Texts`` object to queue a text to the caller and hears back whether it was queued or
why not. The webhooks inject the database-backed implementation (``ivr.answer.texts``),
which checks the number, counts the number's texts of the day and adds the text to the
outbox; nothing is sent during the call. Engine tests inject a fake.

Also here, because the menu checker needs it without any I/O: how many SMS segments a
body takes (GSM-7: 160 characters in one segment, 153 per segment when split; any
character outside GSM-7, such as Romanian ș or ț, makes the whole body UCS-2: 70, then
67 per segment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# Verdicts a Texts object gives; the node says each to the caller in their language.
QUEUED = "queued"  # in the outbox: the worker sends it in a few seconds
ALREADY = "already"  # this call already asked for this text: not sent twice
WITHHELD = "withheld"  # no caller ID to text back
NOT_MOBILE = "not_mobile"  # a landline (texts would not arrive)
REFUSED = "refused"  # not a valid number, or premium-rate, shared-cost...
CAPPED = "capped"  # the number has had its texts for the day
UNAVAILABLE = "unavailable"  # texts are not configured, or the database is down
OPTED_OUT = "opted_out"  # the number texted STOP (or Twilio said 21610): never texted again
ABROAD = "abroad"  # the number is in a country texts may not go to (IVR_SMS_COUNTRIES)
BUSY = "busy"  # the line has sent its automatic texts for the hour (IVR_SMS_LINE_HOURLY_CAP)
VERDICTS = (QUEUED, ALREADY, WITHHELD, NOT_MOBILE, REFUSED, CAPPED, UNAVAILABLE, OPTED_OUT,
            ABROAD, BUSY)
# The phrase the caller hears for a verdict, where it is not ``text_<verdict>``.
SPOKEN = {OPTED_OUT: "text_refused", ABROAD: "text_refused"}


@dataclass(frozen=True)
class TextRequest:
    """A caller asked for a node's answer by text, during the call."""

    menu: str
    node: str
    lang: str
    body: str  # the final text, link included


class Texts(Protocol):
    """What the engine needs from the outside world to text the caller."""

    def request(self, text: TextRequest) -> str:
        """Queue ``text`` to the caller's number; one of the VERDICTS."""
        ...


# ---- segments -------------------------------------------------------------------------

# GSM 03.38: the basic character set (one septet each) and the extension table (two:
# an escape and the character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_BODY = 1600  # Twilio refuses longer bodies


@dataclass(frozen=True)
class Segments:
    """How a body travels: its encoding, its length in that encoding, and the segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int
    first_ucs2: str = ""  # the first character that forced UCS-2, if any

    @property
    def per_segment(self) -> int:
        """How many units one segment holds for this body."""
        if self.encoding == "GSM-7":
            return GSM7_SINGLE if self.count <= 1 else GSM7_PART
        return UCS2_SINGLE if self.count <= 1 else UCS2_PART


def segments(body: str) -> Segments:
    """Measure ``body`` as an SMS: GSM-7 when every character fits, else UCS-2."""
    septets = 0
    for char in body:
        if char in GSM7_BASIC:
            septets += 1
        elif char in GSM7_EXTENDED:
            septets += 2
        else:
            units = len(body.encode("utf-16-le")) // 2
            count = 1 if units <= UCS2_SINGLE else -(-units // UCS2_PART)
            return Segments("UCS-2", units, count, char)
    count = 1 if septets <= GSM7_SINGLE else -(-septets // GSM7_PART)
    return Segments("GSM-7", septets, count)


def with_link(body: str, link: str) -> str:
    """The body with its link: at ``{link}`` when the body says where, else at the end."""
    if not link:
        return body.replace("{link}", "").strip()
    if "{link}" in body:
        return body.replace("{link}", link)
    return f"{body.rstrip()} {link}"
