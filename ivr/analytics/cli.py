"""`ivr report`: the overview of a date range as text or JSON; `ivr report --rebuild`
recomputes the rollups from the journeys (after an upgrade brings journeys from before them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from ivr.analytics import report


def _zone(app: Any, menu_id: str | None) -> Any:
    from ivr.dashboard.times import menu_zone

    menus = app.extensions["ivr"].catalog.menus
    if menu_id:
        return menu_zone(menus[menu_id])
    default = next((m for m in menus.values() if m.is_default), None)
    return menu_zone(default or (next(iter(menus.values())) if len(menus) == 1 else None))


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{int(value) // 60}:{int(value) % 60:02d}"


@click.command("report")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day (default: 6 days before --to).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day, included (default: today).")
@click.option("--menu", "menu_id", default=None, help="One menu (default: every menu).")
@click.option("--json", "as_json", is_flag=True, help="The same figures as JSON.")
@click.option("--rebuild", is_flag=True, help="First recompute every call's rollups from its journey.")
@click.option("--include-simulated", "simulated", is_flag=True,
              help="Also count the calls placed with the simulator (ivr call, the dashboard's).")
def report_command(start: str | None, end: str | None, menu_id: str | None, as_json: bool,
                   rebuild: bool, simulated: bool) -> None:
    """How the help desk did: calls, containment, transfers, voicemails, callbacks, abandoned."""
    from ivr import create_app
    from ivr.config import ANSWERS_NO_WEBHOOKS
    from ivr.data.rollup import rebuild as rebuild_rollups

    app = create_app({"IVR_WORKER_IN_APP": "false", ANSWERS_NO_WEBHOOKS: True})
    svc = app.extensions["ivr"]
    if menu_id and menu_id not in svc.catalog.menus:
        raise click.BadParameter(f"no menu {menu_id!r} (menus: {', '.join(svc.catalog.menus)})",
                                 param_hint="--menu")
    zone = _zone(app, menu_id)
    try:
        last = report.parse_day(end) if end else datetime.now(UTC).astimezone(zone).date()
        first = report.parse_day(start) if start else last - timedelta(days=6)
        period = report.Period(first, last, zone, menu_id, simulated)
    except report.RangeError as exc:
        raise click.UsageError(str(exc)) from None
    if rebuild:
        click.echo(f"rollups recomputed for {rebuild_rollups(svc.store.engine)} call(s)", err=True)
    figures = report.overview(svc.store.engine, period)
    if as_json:
        click.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
        return
    t = figures.total
    click.echo(f"{menu_id or 'every menu'}, {first} to {last} ({zone})"
               + (", simulated calls included" if simulated else ""))
    rows = [("calls", t.calls), ("contained", f"{t.contained} ({100 * figures.containment:.0f} %)"),
            ("transferred", f"{t.transferred} ({t.transfers_answered} answered)"),
            ("voicemails", t.voicemails), ("callbacks", t.callbacks), ("abandoned", t.abandoned),
            ("average length", _seconds(figures.average_seconds)),
            ("90 % within", _seconds(figures.p90_seconds)),
            ("keys / voice", f"{figures.keys} / {figures.spoken} "
                             f"({100 * figures.key_share:.0f} % keys)"),
            ("lookups", f"{figures.lookups_found} found, {figures.lookups_not_found} not found, "
                        f"{figures.lookups_failed} source down")]
    for label, value in rows:
        click.echo(f"  {label:<16} {value}")
    if figures.by_language:
        click.echo("  languages        " + ", ".join(
            f"{lang} {n}" for lang, n in figures.by_language.most_common()))
    if not menu_id and figures.by_menu:
        for name, tally in sorted(figures.by_menu.items()):
            click.echo(f"  menu {name:<11} {tally.calls} calls, {tally.contained} contained, "
                       f"{tally.abandoned} abandoned")
