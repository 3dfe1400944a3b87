"""Record values as a caller should hear them, per language.

Answer templates name a record field and how to say it: ``{order_id:digits}``,
``{delivery_date:date}``, ``{total:amount}`` or ``{total:amount:EUR}``,
``{slot:time}``, ``{due:datetime}``, ``{count:number}``; a bare ``{status}`` is the
value itself, translated through the node's ``values`` map when it has one.
Text-to-speech then reads the result: "1 2 3 4" digit by digit, "23" as a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from string import Formatter
from typing import Any

FORMATS = ("text", "digits", "date", "time", "datetime", "amount", "number")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "ro": "luni marți miercuri joi vineri sâmbătă duminică",
}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "ro": "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie "
          "noiembrie decembrie",
}
# currency -> language -> (one, many, one hundredth, many hundredths)
CURRENCIES: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "EUR": {"en": ("euro", "euros", "cent", "cents"), "fr": ("euro", "euros", "centime", "centimes"),
            "ro": ("euro", "euro", "cent", "cenți")},
    "USD": {"en": ("dollar", "dollars", "cent", "cents"),
            "fr": ("dollar", "dollars", "cent", "cents"),
            "ro": ("dolar", "dolari", "cent", "cenți")},
    "GBP": {"en": ("pound", "pounds", "penny", "pence"), "fr": ("livre", "livres", "penny", "pence"),
            "ro": ("liră", "lire", "penny", "pence")},
    "RON": {"en": ("leu", "lei", "ban", "bani"), "fr": ("leu", "lei", "ban", "bani"),
            "ro": ("leu", "lei", "ban", "bani")},
}
AND = {"en": "and", "fr": "et", "ro": "și"}
# Locales that put the month before the day ("Wednesday, December 2"); other English
# locales (en-GB, en-AU, en-IN, ...) say "Wednesday 2 December".
MONTH_FIRST = frozenset({"en-us", "en-ca", "en-ph"})


class MissingField(KeyError):
    """A template names a field the record does not have (or that is empty)."""


@dataclass(frozen=True)
class Placeholder:
    """One ``{field:format:arg}`` of a template."""

    field: str
    format: str = "text"
    arg: str = ""


def placeholders(template: str) -> list[Placeholder]:
    """The placeholders of a template; ValueError names the first bad one."""
    out = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc} (write literal braces as {{{{ and }}}})") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if conversion or not FIELD_NAME.match(name):
            raise ValueError(f"{{{name}}} is not a field name (letters, digits and _)")
        fmt, _, arg = (spec or "text").partition(":")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} in {{{name}:{spec}}} (expected one of: "
                             f"{', '.join(FORMATS)})")
        if arg and fmt != "amount":
            raise ValueError(f"only amount takes a currency, as in {{{name}:amount:EUR}}")
        out.append(Placeholder(name, fmt, arg))
    return out


def base(lang: str) -> str:
    """The language without its region: fr-CA -> fr."""
    return lang.split("-")[0].lower()


def digits(value: Any) -> str:
    """Read one character at a time: "AB-1234" -> "A B 1 2 3 4"."""
    return " ".join(c for c in str(value) if c.isalnum())


def mask(identifier: str, keep: int = 2) -> str:
    """All but the last ``keep`` characters hidden (for journeys and logs)."""
    text = str(identifier)
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


def _as_datetime(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    try:
        if len(text) <= 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def month_first(lang: str) -> bool:
    """Whether the locale says the month before the day: en-US "Wednesday, December 2"."""
    return lang.replace("_", "-").lower() in MONTH_FIRST


def say_date(value: Any, lang: str, today: date | None = None) -> str:
    """"Monday, November 23" (en-US) / "Monday 23 November" (en-GB) / "lundi 23 novembre" /
    "luni, 23 noiembrie", with the year when it is not this one.

    ``lang`` is a locale (en-US, fr-CA) or a bare language; a bare "en" uses the day-first
    order of most English-speaking countries.
    """
    when = _as_datetime(value)
    if when is None:
        return str(value)
    day = when.date() if isinstance(when, datetime) else when
    code = base(lang)
    if code not in WEEKDAYS:
        return day.isoformat()
    weekday = WEEKDAYS[code].split()[day.weekday()]
    month = MONTHS[code].split()[day.month - 1]
    year = day.year if today is not None and day.year != today.year else None
    if code == "fr":
        number = "1er" if day.day == 1 else str(day.day)
        return f"{weekday} {number} {month}" + (f" {year}" if year else "")
    if code == "ro":
        return f"{weekday}, {day.day} {month}" + (f" {year}" if year else "")
    if month_first(lang):
        return f"{weekday}, {month} {day.day}" + (f", {year}" if year else "")
    return f"{weekday} {day.day} {month}" + (f" {year}" if year else "")


def _as_time(value: Any) -> time | None:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        parsed = _as_datetime(value)
        return parsed.time() if isinstance(parsed, datetime) else None


def say_time(value: Any, lang: str) -> str:
    """"2:30 PM" / "14 h 30" / "14:30"."""
    when = _as_time(value)
    if when is None:
        return str(value)
    code = base(lang)
    if code == "en":
        hour = when.hour % 12 or 12
        suffix = "AM" if when.hour < 12 else "PM"
        return f"{hour}:{when.minute:02d} {suffix}" if when.minute else f"{hour} {suffix}"
    if code == "fr":
        return f"{when.hour} h {when.minute:02d}" if when.minute else f"{when.hour} h"
    return f"{when.hour}:{when.minute:02d}"


def say_datetime(value: Any, lang: str, today: date | None = None) -> str:
    """A date and a time: "Monday 23 November at 2:30 PM"."""
    when = _as_datetime(value)
    if not isinstance(when, datetime):
        return say_date(value, lang, today)
    joiner = {"en": " at ", "fr": " à ", "ro": ", la ora "}.get(base(lang), " ")
    return say_date(when, lang, today) + joiner + say_time(when, lang)


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def say_number(value: Any, lang: str) -> str:
    """A number with the language's decimal mark: 3.5 / 3,5."""
    number = _decimal(value)
    if number is None:
        return str(value)
    text = format(number.normalize() if number == number.to_integral() else number, "f")
    return text.replace(".", ",") if base(lang) in ("fr", "ro") else text


def _count(n: int, one: str, many: str, lang: str) -> str:
    if base(lang) == "ro" and n >= 20 and (n % 100 == 0 or n % 100 >= 20):
        return f"{n} de {many}"  # Romanian: "20 de lei", "101 lei"
    if base(lang) == "fr":
        return f"{n} {one if n < 2 else many}"
    return f"{n} {one if n == 1 else many}"


def say_amount(value: Any, currency: str, lang: str) -> str:
    """"42 euros and 50 cents" / "42 euros et 50 centimes" / "42 de euro și 50 de cenți"."""
    number = _decimal(value)
    if number is None:
        return f"{value} {currency}".strip()
    code = base(lang)
    names = CURRENCIES.get(currency.upper(), {}).get(code)
    sign = "-" if number < 0 else ""
    number = abs(number).quantize(Decimal("0.01"))
    units, cents = int(number), int((number - int(number)) * 100)
    if names is None:
        return f"{sign}{say_number(number, lang)} {currency}".strip()
    one, many, cent_one, cent_many = names
    if units and cents:
        return (f"{sign}{_count(units, one, many, lang)} {AND.get(code, 'and')} "
                f"{_count(cents, cent_one, cent_many, lang)}")
    if cents:
        return f"{sign}{_count(cents, cent_one, cent_many, lang)}"
    return f"{sign}{_count(units, one, many, lang)}"


def render(
    template: str,
    record: Mapping[str, Any],
    lang: str,
    *,
    today: date | None = None,
    translate: Callable[[str, str], str | None] = lambda field, value: None,
) -> str:
    """Fill ``template`` from ``record`` in ``lang``; MissingField when a value is absent."""
    out: list[str] = []
    for literal, name, spec, _ in Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise MissingField(name)
        fmt, _, arg = (spec or "text").partition(":")
        if fmt == "digits":
            out.append(digits(value))
        elif fmt == "date":
            out.append(say_date(value, lang, today))
        elif fmt == "time":
            out.append(say_time(value, lang))
        elif fmt == "datetime":
            out.append(say_datetime(value, lang, today))
        elif fmt == "amount":
            currency = arg or str(record.get("currency") or "")
            out.append(say_amount(value, currency, lang))
        elif fmt == "number":
            out.append(say_number(value, lang))
        else:
            text = str(value)
            out.append(translate(name, text) or text)
    return "".join(out)
