"""Times as the dashboard shows them: in the menu's time zone, one format everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from ivr.menu.model import Menu

FORMAT = "%Y-%m-%d %H:%M %Z"  # 2026-11-24 12:32 EET


def menu_zone(menu: Menu | None) -> ZoneInfo:
    """The zone of the menu's opening hours (its first schedule), else UTC."""
    for schedule in (menu.schedules.values() if menu is not None else ()):
        try:
            return ZoneInfo(schedule.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def zone_of(menu_id: str | None) -> ZoneInfo:
    """The zone for an item of ``menu_id``: that menu's, else the default menu's, else UTC."""
    catalog = current_app.extensions["ivr"].catalog
    menus = catalog.menus
    menu = menus.get(menu_id) if menu_id else None
    if menu is None:
        menu = next((m for m in menus.values() if m.is_default), None) \
            or (next(iter(menus.values())) if len(menus) == 1 else None)
    return menu_zone(menu)


def viewer_zone() -> ZoneInfo:
    """The one zone a user reads every time in, whatever the line: the zone of the first
    schedule of the default menu (else the first menu), so that lists stay in order."""
    menus = current_app.extensions["ivr"].catalog.menus
    menu = next((m for m in menus.values() if m.is_default), None) or next(iter(menus.values()), None)
    return menu_zone(menu)


def as_utc(value: datetime | str) -> datetime | None:
    """An aware UTC time (SQLite hands back naive UTC; a saved journey holds ISO text)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime | str | None, zone: ZoneInfo, pattern: str = FORMAT) -> str:
    """``value`` in ``zone`` as ``pattern``; text that is not a time is shown as it is."""
    if value is None or value == "":
        return ""
    moment = as_utc(value)
    return moment.astimezone(zone).strftime(pattern) if moment else str(value)
