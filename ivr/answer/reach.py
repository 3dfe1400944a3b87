"""Where callbacks and texts may go: the operator's countries, narrowed per menu.

``IVR_SMS_COUNTRIES`` lists the countries (two-letter codes) the service calls back and
texts; empty means the countries of the lines' own numbers (the ``numbers:`` of every
menu). A menu's ``countries:`` may narrow that list for its own callers, never widen it.
Number types the business would pay a premium for are refused by ``ivr.phones`` whatever
the list says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ivr import phones
from ivr.menu.model import Menu

log = logging.getLogger(__name__)
DEMO_COUNTRIES = "US,FR,RO"  # development's default: the demo menus' callers end to end


class Reach:
    """The allowed countries for each menu, from the settings and the loaded menus."""

    def __init__(self, configured: str, menus: Any) -> None:
        found, wrong = phones.parse_countries(configured or "")
        if wrong:
            log.error("IVR_SMS_COUNTRIES: not country codes, ignored: %s", ", ".join(wrong))
        self.configured = found if found or wrong else None  # None: the lines' countries
        self._menus = menus  # a callable giving the loaded menus by id
        self._lines: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], catalog: Any) -> Reach:
        """Read IVR_SMS_COUNTRIES; the lines come from the catalog's menus as they reload."""
        return cls(str(settings.get("IVR_SMS_COUNTRIES") or ""),
                   lambda: getattr(catalog, "menus", {}))

    def operator(self) -> frozenset[str]:
        """The operator's countries: IVR_SMS_COUNTRIES, else the lines' own countries."""
        if self.configured is not None:
            return self.configured
        return self.lines(self._menus().values())

    def lines(self, menus: Iterable[Menu]) -> frozenset[str]:
        """The countries of the menus' own numbers (remembered while they do not change)."""
        numbers = tuple(sorted({n for menu in menus for n in menu.numbers}))
        if numbers != self._lines[0]:
            self._lines = (numbers, phones.countries_of(numbers))
        return self._lines[1]

    def for_menu(self, menu: Menu | None) -> frozenset[str]:
        """Where this menu's callbacks and automatic texts may go."""
        allowed = self.operator()
        if menu is not None and menu.countries:
            return allowed & menu.countries
        return allowed
