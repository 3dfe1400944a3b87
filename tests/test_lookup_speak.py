"""Record values spoken naturally per language: dates, times, amounts, digit strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from ivr.lookup.match import spoken_digits
from ivr.lookup.speak import (
    MissingField,
    digits,
    mask,
    placeholders,
    render,
    say_amount,
    say_date,
    say_datetime,
    say_number,
    say_time,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("lang, expected", [
    ("en-US", "Monday, November 23"),  # each locale's own order
    ("en-GB", "Monday 23 November"),
    ("en-AU", "Monday 23 November"),
    ("en", "Monday 23 November"),
    ("fr-FR", "lundi 23 novembre"),
    ("fr", "lundi 23 novembre"),
    ("ro-RO", "luni, 23 noiembrie"),
    ("fr-CA", "lundi 23 novembre"),
    ("de", "2026-11-23"),  # no names for this language: an ISO date any voice can read
])
def test_dates(lang: str, expected: str) -> None:
    assert say_date("2026-11-23", lang, TODAY) == expected
    assert say_date(date(2026, 11, 23), lang, TODAY) == expected


@pytest.mark.parametrize("lang, expected", [
    ("en-US", "Wednesday, December 2"),
    ("en-GB", "Wednesday 2 December"),
    ("fr-FR", "mercredi 2 décembre"),
    ("ro-RO", "miercuri, 2 decembrie"),
])
def test_the_issue_date_in_each_locale(lang: str, expected: str) -> None:
    assert say_date("2026-12-02", lang, TODAY) == expected


def test_american_dates_put_the_year_after_a_comma_and_times_after_the_date() -> None:
    assert say_date("2027-01-01", "en-US", TODAY) == "Friday, January 1, 2027"
    assert say_datetime("2026-12-02T14:30:00", "en-US", TODAY) == "Wednesday, December 2 at 2:30 PM"
    assert say_datetime("2026-12-02T14:30:00", "en-GB", TODAY) == "Wednesday 2 December at 2:30 PM"


def test_dates_say_the_year_only_when_it_is_not_this_one_and_french_first_of_month() -> None:
    assert say_date("2027-01-01", "en", TODAY) == "Friday 1 January 2027"
    assert say_date("2026-12-01", "fr", TODAY) == "mardi 1er décembre"
    assert say_date(datetime(2026, 12, 6, 15, 0), "ro", TODAY) == "duminică, 6 decembrie"
    assert say_date("soon", "en", TODAY) == "soon"  # not a date: said as written


@pytest.mark.parametrize("value, en, fr, ro", [
    ("14:30", "2:30 PM", "14 h 30", "14:30"),
    ("09:00:00", "9 AM", "9 h", "9:00"),
    ("00:05", "12:05 AM", "0 h 05", "0:05"),
])
def test_times(value: str, en: str, fr: str, ro: str) -> None:
    assert [say_time(value, lang) for lang in ("en", "fr", "ro")] == [en, fr, ro]


@pytest.mark.parametrize("value, currency, lang, expected", [
    ("42.50", "EUR", "en", "42 euros and 50 cents"),
    ("42.50", "EUR", "fr", "42 euros et 50 centimes"),
    ("42.50", "EUR", "ro", "42 de euro și 50 de cenți"),
    (Decimal("1.00"), "USD", "en", "1 dollar"),
    ("1.5", "EUR", "fr", "1 euro et 50 centimes"),
    ("0.05", "GBP", "en", "5 pence"),
    ("19.99", "RON", "ro", "19 lei și 99 de bani"),
    ("101", "RON", "ro", "101 lei"),
    ("120", "RON", "ro", "120 de lei"),
    ("3", "CHF", "fr", "3 CHF"),  # an unknown currency: its code
    ("12.5", "", "fr", "12,50"),
])
def test_amounts(value: object, currency: str, lang: str, expected: str) -> None:
    assert say_amount(value, currency, lang) == expected


def test_digit_strings_numbers_and_masks() -> None:
    assert digits("AB-1234") == "A B 1 2 3 4"
    assert digits(100001) == "1 0 0 0 0 1"
    assert say_number("3.50", "fr") == "3,50" and say_number("2.0", "en") == "2"
    assert mask("20001234") == "******34" and mask("12", 2) == "**"


def test_render_fills_a_template_with_formats_and_translations() -> None:
    assert render("{d:date}", {"d": "2026-11-25"}, "en-US", today=TODAY) == "Wednesday, November 25"
    record = {"order_id": "100001", "status": "shipped", "delivery_date": "2026-11-25",
              "total": "42.50", "currency": "EUR", "slot": "14:30"}
    text = render("Order {order_id:digits} is {status}, expected {delivery_date:date} at "
                  "{slot:time}; total {total:amount}, or {total:amount:USD}.", record, "en-GB",
                  today=TODAY, translate=lambda f, v: "on its way" if v == "shipped" else None)
    assert text == ("Order 1 0 0 0 0 1 is on its way, expected Wednesday 25 November at "
                    "2:30 PM; total 42 euros and 50 cents, or 42 dollars and 50 cents.")
    with pytest.raises(MissingField):
        render("{delivery_date:date}", {"delivery_date": None}, "en")


@pytest.mark.parametrize("template, error", [
    ("{x:colour}", "unknown format 'colour'"),
    ("{x:date:EUR}", "only amount takes a currency"),
    ("{x.y}", "is not a field name"),
    ("{x", "write literal braces"),
])
def test_bad_templates_are_refused(template: str, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        placeholders(template)


@pytest.mark.parametrize("speech, lang, expected", [
    ("one two three", "en", "123"),
    ("1 2 3", "en", "123"),
    ("123 456.", "en", "123456"),
    ("My order number is one oh four", "en", "104"),
    ("un deux trois", "fr", "123"),
    ("zéro neuf", "fr", "09"),
    ("unu doi trei", "ro", "123"),
    ("șapte nouă", "ro", "79"),
    ("purple elephant", "en", ""),
])
def test_spoken_digits(speech: str, lang: str, expected: str) -> None:
    assert spoken_digits(speech, lang) == expected
