"""`ivr worker` and `ivr voicemail purge`: the background jobs and retention."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or tests).")
@click.option("--every", type=float, default=5.0, show_default=True, help="Seconds between runs.")
def worker_command(once: bool, every: float) -> None:
    """Send voicemail notifications, fetch recordings, replay spooled voicemails."""
    from ivr import create_app
    from ivr.config import ANSWERS_NO_WEBHOOKS

    app = create_app({"IVR_WORKER_IN_APP": "false", ANSWERS_NO_WEBHOOKS: True})
    worker = app.extensions["ivr"].worker
    worker.every = every
    if once:
        worker.run_once()
        click.echo("worker: one run done")
        return
    click.echo(f"worker: running every {every:g} s (Ctrl-C stops)")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()


@click.group("voicemail")
def voicemail_group() -> None:
    """Voicemail maintenance."""


@voicemail_group.command("purge")
@click.option("--older-than", "days", type=int, default=None,
              help="Age in days (default: IVR_RETENTION_DAYS).")
def purge_command(days: int | None) -> None:
    """Delete recordings older than N days here and at Twilio (transcripts and context stay)."""
    from ivr import create_app
    from ivr.config import ANSWERS_NO_WEBHOOKS

    app = create_app({"IVR_WORKER_IN_APP": "false", ANSWERS_NO_WEBHOOKS: True})
    if days is None:
        days = int(app.config.get("IVR_RETENTION_DAYS") or 90)
    if days < 1:
        raise click.BadParameter("must be at least 1", param_hint="--older-than")
    purged = app.extensions["ivr"].media.purge(days)
    click.echo(f"{purged} recording(s) older than {days} day(s) deleted")


@voicemail_group.command("requeue")
def requeue_command() -> None:
    """Give voicemail reports the database refused (set aside) another try, after a fix."""
    from ivr import create_app
    from ivr.config import ANSWERS_NO_WEBHOOKS

    app = create_app({"IVR_WORKER_IN_APP": "false", ANSWERS_NO_WEBHOOKS: True})
    intake = app.extensions["ivr"].intake
    moved = intake.requeue()
    written = intake.replay()
    click.echo(f"{moved} report(s) put back in the spool; {written} written; "
               f"{intake.quarantine_count()} set aside")


@voicemail_group.command("reconcile")
@click.option("--hours", type=int, default=48, show_default=True,
              help="Look at recordings Twilio made in the last N hours.")
def reconcile_command(hours: int) -> None:
    """Add voicemails Twilio kept that the database lacks (after an outage that lost them)."""
    from datetime import timedelta

    from ivr import create_app
    from ivr.voicemail.reconcile import reconcile
    from ivr.voicemail.setup import twilio_client_factory

    if hours < 1:
        raise click.BadParameter("must be at least 1", param_hint="--hours")
    app = create_app({"IVR_WORKER_IN_APP": "false"})
    factory = twilio_client_factory(dict(app.config))
    if factory is None:
        raise click.UsageError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: the recordings "
                               "are read from Twilio's REST API")
    svc = app.extensions["ivr"]
    added = reconcile(svc.intake, factory(), str(app.config["TWILIO_ACCOUNT_SID"]),
                      svc.clock() - timedelta(hours=hours), svc.clock)
    click.echo(f"{added} voicemail(s) added from Twilio's recordings of the last {hours} hour(s)")
