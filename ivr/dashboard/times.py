"""Times as the dashboard shows them: in the viewer's one time zone, one format everywhere."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, g

from ivr.menu.model import Menu

FORMAT = "%Y-%m-%d %H:%M %Z"  # 2026-11-24 12:32 EET
MAX_ZONE = 64  # the longest IANA name is about 32 characters
# Offered first on the account page; any other IANA name can be written in.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Warsaw",
    "Europe/Bucharest", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow",
    "Africa/Lagos", "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Kolkata",
    "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    "America/St_Johns", "America/Halifax", "America/New_York", "America/Chicago",
    "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage",
    "Pacific/Honolulu", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
)


@functools.cache
def _known_zones() -> frozenset[str]:
    """Every IANA name the system's (or the tzdata package's) zone database knows."""
    return frozenset(available_timezones())


def checked_zone(name: str) -> str | None:
    """``name`` as a known IANA zone name (surrounding spaces dropped), else None."""
    name = name.strip()
    if not name or len(name) > MAX_ZONE or name not in _known_zones():
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


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
    """The one zone a user reads every time in, whatever the line, so that lists stay in
    order: the signed-in user's own (set on the account page), else the zone of the first
    schedule of the default menu (else the first menu)."""
    user = g.get("user")
    own = user.get("time_zone") if user else None
    if own and checked_zone(own):
        return ZoneInfo(own)
    return default_zone()


def default_zone() -> ZoneInfo:
    """The zone of users who chose none: the first schedule's of the default (else first) menu."""
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
