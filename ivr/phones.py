"""Callers' phone numbers: parsing, what may be called or texted, and masking.

Built on `phonenumbers` (a port of Google's libphonenumber), which knows each country's
numbering plan: which numbers are valid, mobile, premium-rate or shared-cost. Pure: no
Flask, Twilio or SQL, so node kinds may use it.

A number the app calls back or texts must be valid, must not cost the business a premium
rate, and (for texts) must be a mobile. In countries where the plan cannot tell mobile from
fixed lines (the US and Canada), a number is treated as possibly mobile; Twilio then reports
an undeliverable text through its status callback.

Never called or texted, whatever the settings (toll fraud: the business pays, someone else
earns): premium-rate, shared-cost, universal access (UAN), pager, VoIP and personal numbers,
and every number outside a country (satellite phones +870 and +881, international networks
+882 and +883, and the other "non-geographic" codes). On top of that, the operator allows
a list of countries (``countries``): callbacks and texts go only there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# Number types never called back or texted: the business would pay a premium or a share.
_REFUSED = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UAN: "a universal access number",
    PhoneNumberType.PAGER: "a pager",
    PhoneNumberType.VOIP: "an internet telephony number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal number",
}
# Country codes of no country (phonenumbers' region "001"), by what they cost to reach.
NON_GEOGRAPHIC = "001"
_NO_COUNTRY = {870: "a satellite number", 881: "a satellite number",
               882: "an international network number", 883: "an international network number"}
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
    if phonenumbers.region_code_for_number(number) == NON_GEOGRAPHIC:
        return Checked(e164=e164, refused=_NO_COUNTRY.get(number.country_code or 0,
                                                          "a number outside any country"))
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


def parse_countries(text: str) -> tuple[frozenset[str], list[str]]:
    """Two-letter country codes from "US, FR ro" (upper-cased), and the words that are none."""
    found: set[str] = set()
    wrong: list[str] = []
    for word in text.replace(",", " ").split():
        code = word.strip().upper()
        if code in phonenumbers.SUPPORTED_REGIONS:
            found.add(code)
        else:
            wrong.append(word)
    return frozenset(found), wrong


def countries_of(numbers: Iterable[str]) -> frozenset[str]:
    """The countries of these E.164 numbers (a business's own lines), the unknown left out."""
    found = {region_of(n) for n in numbers if n}
    return frozenset(r for r in found if r and r != NON_GEOGRAPHIC)


def in_countries(e164: str, countries: frozenset[str] | None) -> bool:
    """Whether ``e164`` is in one of ``countries`` (None: no list, every country)."""
    return countries is None or region_of(e164) in countries


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
