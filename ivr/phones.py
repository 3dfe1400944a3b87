"""Callers' phone numbers: parsing, what may be called or texted, and masking.

Built on `phonenumbers` (a port of Google's libphonenumber), which knows each country's
numbering plan: which numbers are valid, mobile, premium-rate or shared-cost. Pure: no
Flask, Twilio or SQL, so node kinds may use it.

A number the app calls back or texts must be valid, must not cost the business a premium
rate, and (for texts) must be a mobile. In countries where the plan cannot tell mobile from
fixed lines (the US and Canada), a number is treated as possibly mobile; Twilio then reports
an undeliverable text through its status callback.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# Number types never called back or texted: the business would pay a premium or a share.
_REFUSED = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UAN: "a universal access number",
    PhoneNumberType.PAGER: "a pager",
}
_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
MAX_INPUT = 40  # characters: longer text is not a phone number and is not parsed


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a number: the E.164 form, or why it was refused."""

    e164: str = ""
    refused: str = ""  # empty when the number may be called
    mobile: bool = False  # may receive texts (possibly: see the module's note)

    @property
    def ok(self) -> bool:
        """True when the number may be called back."""
        return bool(self.e164) and not self.refused


def check(text: str, region: str | None = None) -> Checked:
    """Parse TEXT (E.164, or national digits in REGION such as "FR") and say if it may be called."""
    text = (text or "").strip()
    if not text:
        return Checked(refused="no number")
    if len(text) > MAX_INPUT:
        return Checked(refused="too long to be a phone number")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else (region or None))
    except NumberParseException:
        return Checked(refused="not a phone number")
    if not phonenumbers.is_valid_number(number):
        return Checked(refused="not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = phonenumbers.number_type(number)
    if kind in _REFUSED:
        return Checked(e164=e164, refused=_REFUSED[kind])
    return Checked(e164=e164, mobile=kind in _MOBILE)


def region_of(e164: str) -> str | None:
    """The two-letter region of an E.164 number ("FR"), or None when it cannot be told."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or None
    except NumberParseException:
        return None


def mask(number: str) -> str:
    """All but the country code and the last two digits hidden: "+33*******78"."""
    if not number.startswith("+") or len(number) < 6:
        return "*" * len(number) if number else ""
    try:
        code = str(phonenumbers.parse(number, None).country_code)
    except NumberParseException:
        code = number[1:2]
    head = "+" + code
    return head + "*" * max(0, len(number) - len(head) - 2) + number[-2:]


def digits_to_read(e164: str) -> list[str]:
    """The number's digits as a caller would read them back, in groups (national form)."""
    try:
        national = phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    except NumberParseException:
        national = e164
    groups = [g for g in "".join(c if c.isdigit() else " " for c in national).split() if g]
    return groups
