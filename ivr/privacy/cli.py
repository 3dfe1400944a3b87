"""`ivr privacy export NUMBER` and `ivr privacy erase NUMBER --yes`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

log = logging.getLogger(__name__)


@click.group("privacy")
def privacy_group() -> None:
    """What is kept about one caller's number: export it, or erase it."""


def _number(value: str) -> str:
    from ivr.privacy import normalized

    try:
        return normalized(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NUMBER") from None


def _spooled(folders: list[Path], number: str) -> list[Path]:
    """Spooled voicemail reports (waiting, or set aside) that name the number."""
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                fields = json.loads(path.read_text(encoding="utf-8")).get("fields") or {}
            except (OSError, ValueError):
                continue
            if number in (fields.get("from_number"), fields.get("to_number")):
                found.append(path)
    return found


@privacy_group.command("export")
@click.argument("number")
def export_command(number: str) -> None:
    """Print everything kept about NUMBER as JSON (voicemail audio in base64)."""
    from ivr import create_app
    from ivr.privacy import CallerData

    number = _number(number)
    app = create_app({"IVR_WORKER_IN_APP": "false"})
    svc = app.extensions["ivr"]
    data: dict[str, Any] = CallerData(svc.store.engine).export(number)
    intake = svc.intake
    data["spooled_voicemail_reports"] = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in _spooled([intake.spool_dir, intake.quarantine_dir], number)]
    click.echo(json.dumps(data, default=str, indent=1, sort_keys=True))


@privacy_group.command("erase")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Really erase (nothing can bring it back).")
def erase_command(number: str, yes: bool) -> None:
    """Erase everything kept about NUMBER: here, in the spool, and its recordings at Twilio."""
    from ivr import create_app
    from ivr.privacy import CallerData

    number = _number(number)
    if not yes:
        raise click.UsageError("erasing cannot be undone: add --yes")
    app = create_app({"IVR_WORKER_IN_APP": "false"})
    svc = app.extensions["ivr"]
    data = CallerData(svc.store.engine)
    factory = svc.media.client_factory
    client: Any = factory() if factory else None
    kept_at_twilio = 0
    for sid in data.recording_sids(number) if client is not None else []:
        try:
            client.recordings(sid).delete()
        except Exception as exc:  # noqa: BLE001 - a 404 means it is already gone
            if getattr(exc, "status", None) != 404:
                kept_at_twilio += 1
                log.error("recording %s not deleted at Twilio: %s", sid, exc)
    done = data.erase(number)
    spooled = _spooled([svc.intake.spool_dir, svc.intake.quarantine_dir], number)
    for path in spooled:
        path.unlink(missing_ok=True)
    log.warning("privacy: everything kept about a caller's number erased (%s)",
                ", ".join(f"{k} {v}" for k, v in done.items() if v) or "nothing")
    click.echo(f"erased: {', '.join(f'{v} {k}' for k, v in done.items() if v) or 'nothing kept'}"
               f"; {len(spooled)} spooled report(s)")
    if kept_at_twilio:
        raise click.ClickException(f"{kept_at_twilio} recording(s) could not be deleted at "
                                   "Twilio: run the command again")
