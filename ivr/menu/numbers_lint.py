"""`ivr check` on the phone numbers written in a menu (toll fraud).

Every number a menu dials (a transfer's ``number``) is checked against what callbacks
and texts obey: a premium-rate, shared-cost, satellite or international-network number is
an error (the business would pay its rate for every caller sent there); a number in a
country outside the allowed list is a warning, so that a menu valid before the list
existed still loads. The countries are the operator's ``IVR_SMS_COUNTRIES`` (narrowed by
the menu's ``countries:``), else those of the menu's own lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace as dataclass_replace

from ivr import phones
from ivr.menu.model import Menu
from ivr.menu.source import Problems, Where

# What a number written in a menu may never be. VoIP, personal and UAN numbers are not
# here: they are refused for callers' numbers, but a business's own desks use them.
NEVER_DIALLED = ("a premium-rate number", "a shared-cost number", "a satellite number",
                 "an international network number", "a number outside any country")


def allowed_countries(menu: Menu, countries: frozenset[str] | None = None) -> frozenset[str]:
    """Where the menu's numbers may be: ``countries``, else IVR_SMS_COUNTRIES from the
    environment, else the menu's own lines' countries; narrowed by the menu's ``countries:``."""
    if countries is None:
        countries, _ = phones.parse_countries(os.environ.get("IVR_SMS_COUNTRIES", ""))
        countries = countries or phones.countries_of(menu.numbers)
    if menu.countries:
        countries = countries & menu.countries
    return countries


def numbers_of(menu: Menu) -> Iterator[tuple[str, str, Where]]:
    """(what, number, where) for every phone number a menu's nodes dial."""
    for node in menu.nodes.values():
        where = getattr(node, "number_where", None) or node.where
        group = tuple(getattr(node, "numbers", ()) or ())  # a ring group: every number in it
        for number in group or (str(getattr(node, "number", "") or ""),):
            if number.startswith("+"):
                yield f"{node.id!r} number", number, where


def check_numbers(menu: Menu, problems: Problems,
                  countries: frozenset[str] | None = None) -> None:
    """Errors for numbers never dialled, warnings for countries outside the allowed ones."""
    allowed: frozenset[str] | None = None
    if menu.countries and menu.countries_where is not None:
        operator = allowed_countries(dataclass_replace(menu, countries=frozenset()), countries)
        if operator and (wider := menu.countries - operator):
            problems.warning(menu.countries_where, f"countries {', '.join(sorted(wider))} are "
                             f"not the operator's ({', '.join(sorted(operator))}; "
                             "IVR_SMS_COUNTRIES): a menu only narrows that list, so they are "
                             "left out")
    for what, number, where in numbers_of(menu):
        checked = phones.check(number)
        if checked.refused in NEVER_DIALLED:
            problems.error(where, f"{what} {number} is {checked.refused}: it is never dialled "
                           "(every caller sent there would cost the business its rate)")
            continue
        if not checked.e164:
            continue  # the loader already said what is wrong with it
        allowed = allowed_countries(menu, countries) if allowed is None else allowed
        region = phones.region_of(checked.e164) or "?"
        if allowed and region not in allowed:
            problems.warning(where, f"{what} {number} is in {region}, outside the countries "
                             f"calls and texts may go to ({', '.join(sorted(allowed))}; "
                             "IVR_SMS_COUNTRIES or the menu's countries)")
