"""`ivr privacy export NUMBER` and `ivr privacy erase NUMBER --yes`."""

from __future__ import annotations

import getpass
import json

import click


@click.group("privacy")
def privacy_group() -> None:
    """What is kept about one caller's number: export it, or erase it."""


def _number(value: str) -> str:
    from ivr.privacy import normalized

    try:
        return normalized(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NUMBER") from None


@privacy_group.command("export")
@click.argument("number")
def export_command(number: str) -> None:
    """Print everything kept about NUMBER as JSON (voicemail audio in base64)."""
    from ivr import create_app
    from ivr.privacy.service import export_caller

    number = _number(number)
    app = create_app({"IVR_WORKER_IN_APP": "false"})
    data = export_caller(app.extensions["ivr"], number)
    click.echo(json.dumps(data, default=str, indent=1, sort_keys=True))


@privacy_group.command("erase")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Really erase (nothing can bring it back).")
def erase_command(number: str, yes: bool) -> None:
    """Erase everything kept about NUMBER: here, in the spool, and its recordings at Twilio."""
    from ivr import create_app
    from ivr.privacy.service import erase_caller

    number = _number(number)
    if not yes:
        raise click.UsageError("erasing cannot be undone: add --yes")
    app = create_app({"IVR_WORKER_IN_APP": "false"})
    erased = erase_caller(app.extensions["ivr"], number, f"{getpass.getuser()} (command line)")
    click.echo(f"erased: {erased.summary()}")
    if erased.kept_at_twilio:
        raise click.ClickException(f"{erased.kept_at_twilio} recording(s) could not be deleted "
                                   "at Twilio: run the command again")


@privacy_group.command("purge")
def purge_command() -> None:
    """Delete what is older than its retention setting, in every store (as `ivr worker` does
    every hour): calls and journeys, voicemails and recordings, transcripts, callback
    requests and calls back, texts, questions asked online."""
    from ivr import create_app
    from ivr.config import ANSWERS_NO_WEBHOOKS
    from ivr.privacy.retention import purge_all, summary

    app = create_app({"IVR_WORKER_IN_APP": "false", ANSWERS_NO_WEBHOOKS: True})
    svc = app.extensions["ivr"]
    try:
        counts = purge_all(svc, dict(app.config), svc.clock())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"purged: {summary(counts)}")
