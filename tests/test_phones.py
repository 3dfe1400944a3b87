"""Callers' numbers: what may be called back or texted, and how numbers are masked."""

from __future__ import annotations

import pytest

from ivr.phones import check, digits_to_read, mask, region_of


@pytest.mark.parametrize(
    ("text", "region", "e164", "mobile"),
    [
        ("+33612345678", None, "+33612345678", True),  # French mobile
        ("06 12 34 56 78", "FR", "+33612345678", True),  # national form, keyed by a French caller
        ("+33145678912", None, "+33145678912", False),  # Paris landline: callable, not textable
        ("+40721234567", None, "+40721234567", True),  # Romanian mobile
        ("0721 234 567", "RO", "+40721234567", True),
        ("+12025550123", None, "+12025550123", True),  # US: fixed line or mobile, cannot tell
    ],
)
def test_valid_numbers_are_normalised_and_typed(text: str, region: str | None, e164: str,
                                                mobile: bool) -> None:
    checked = check(text, region)
    assert checked.ok, checked.refused
    assert checked.e164 == e164
    assert checked.mobile is mobile


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("+33899123456", "a premium-rate number"),  # French 089x
        ("+900", "not a phone number"),  # too short to parse
        ("+19005550123", "a premium-rate number"),  # US 900
        ("hello", "not a phone number"),
        ("", "no number"),
        ("1" * 41, "too long to be a phone number"),
        ("+331234", "not a valid phone number"),
    ],
)
def test_refused_numbers_say_why(text: str, reason: str) -> None:
    checked = check(text, "FR")
    assert not checked.ok
    assert checked.refused == reason


def test_mask_keeps_country_code_and_last_two_digits() -> None:
    assert mask("+33612345678") == "+33*******78"
    assert mask("+12025550123") == "+1********23"
    assert mask("") == ""
    assert "1234" not in mask("+40721234567")


def test_region_and_readback() -> None:
    assert region_of("+40721234567") == "RO"
    assert region_of("+999") is None
    assert digits_to_read("+33612345678") == ["06", "12", "34", "56", "78"]

