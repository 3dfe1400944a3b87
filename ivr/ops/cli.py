"""`ivr doctor` and `ivr twilio connect`."""

from __future__ import annotations

import os
import sys
from typing import Any

import click


@click.command("doctor")
def doctor_command() -> None:
    """Check the configuration end to end and say what to fix.

    Public URL, auth token, a signed request to /voice, the database and its schema,
    menus, prompts, the notification outbox and /metrics. Exits 1 when anything
    would stop calls from being answered, 0 otherwise (warnings included).
    """
    from ivr.ops.doctor import diagnose, render

    text, status = render(diagnose())
    click.echo(text, nl=False)
    sys.exit(status)


@click.group("twilio")
def twilio_group() -> None:
    """Your Twilio account, through its REST API."""


@twilio_group.command("connect")
@click.argument("number")
@click.option("--base-url", default=None,
              help="The service's public base URL (default: IVR_PUBLIC_URL).")
def connect_command(number: str, base_url: str | None) -> None:
    """Point NUMBER's voice webhooks at this service.

    Finds NUMBER (E.164, e.g. +15005550006) among the account's phone numbers and sets
    "A call comes in" to POST BASE/voice and "Call status changes" to POST
    BASE/voice/status, with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.
    """
    from dotenv import load_dotenv

    from ivr.config import PROJECT_ROOT, env_settings
    from ivr.ops.twilio_connect import ConnectError, connect_number, webhook_urls

    load_dotenv(PROJECT_ROOT / ".env", override=False)
    settings = env_settings(os.environ)
    sid, token = settings["TWILIO_ACCOUNT_SID"], settings["TWILIO_AUTH_TOKEN"]
    if not sid or not token:
        raise click.UsageError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must both be set")
    base = base_url or settings["IVR_PUBLIC_URL"]
    if not base:
        raise click.UsageError("give --base-url https://your.host (or set IVR_PUBLIC_URL)")
    public = settings["IVR_PUBLIC_URL"].rstrip("/")
    try:
        voice_url, _ = webhook_urls(base)
        if public and voice_url != f"{public}/voice":
            click.echo(f"warning: IVR_PUBLIC_URL is {public}: Twilio will sign {voice_url}, "
                       "which will not match; set IVR_PUBLIC_URL to the same base", err=True)
        if voice_url.startswith("http://"):
            click.echo("warning: an http:// URL sends callers' numbers and keys unencrypted",
                       err=True)
        connected = connect_number(_client(sid, token), number, base)
    except ConnectError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{connected.phone_number} ({connected.sid}) connected:\n"
               f"  A call comes in:     {connected.voice_method} {connected.voice_url}\n"
               f"  Call status changes: {connected.status_callback_method} "
               f"{connected.status_callback}")


def _client(sid: str, token: str) -> Any:
    """A Twilio REST client for the account."""
    from twilio.rest import Client

    return Client(sid, token)
