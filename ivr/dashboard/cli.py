"""`ivr user ...`: add, list and disable the people who log in to the dashboard."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from ivr.dashboard import totp
from ivr.dashboard.logins import Logins
from ivr.dashboard.store import ROLES, DashboardStore, UserExists
from ivr.dashboard.throttle import MAX_NAME
from ivr.data.tables import make_engine, utc

MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def _store() -> DashboardStore:
    """The dashboard's tables in the configured database (created first if need be)."""
    from ivr.migrations import upgrade_database

    return DashboardStore(make_engine(upgrade_database()))


def _checked(password: str) -> str:
    """A password long enough to be worth having (and short enough to be a password)."""
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"needs at least {MIN_PASSWORD} characters", param_hint="password")
    if len(password) > MAX_PASSWORD:
        raise click.BadParameter(f"has at most {MAX_PASSWORD} characters", param_hint="password")
    return password


def _new_password(from_stdin: bool) -> str:
    """The password: one line of standard input for scripts, else asked twice, unseen."""
    if from_stdin:
        return _checked(sys.stdin.readline().rstrip("\r\n"))
    return _checked(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _end_sessions(store: DashboardStore, user_id: int) -> int:
    """End every dashboard session of a user."""
    return Logins(store.engine, idle=timedelta.max, absolute=timedelta.max).end_all(user_id)


_STDIN_HELP = "Read the password from the first line of standard input instead of asking."


@click.group("user")
def user_group() -> None:
    """Dashboard users."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True,
              help="agent works the inbox; admin also manages users.")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
def add_user(name: str, role: str, password_stdin: bool) -> None:
    """Create a user called NAME; the password is asked twice (never on the command line)."""
    if not name or len(name) > MAX_NAME or any(c.isspace() for c in name):
        raise click.BadParameter(f"needs 1 to {MAX_NAME} characters and no spaces", param_hint="NAME")
    password = _new_password(password_stdin)
    store = _store()
    try:
        store.add_user(name, password, role, utc())
    except UserExists:
        raise click.BadParameter(f"a user called {name!r} already exists",
                                 param_hint="NAME") from None
    finally:
        store.engine.dispose()
    click.echo(f"added {role} {name}")


@user_group.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
def set_password(name: str, password_stdin: bool) -> None:
    """Give NAME a new password; every dashboard session of theirs ends."""
    store = _store()
    try:
        user = store.user_by_name(name)
        if user is None:
            raise click.BadParameter(f"no user called {name!r}", param_hint="NAME")
        store.set_password(name, _new_password(password_stdin))
        ended = _end_sessions(store, user["id"])
    finally:
        store.engine.dispose()
    click.echo(f"new password for {name}; {ended} session{'s' if ended != 1 else ''} ended")


@user_group.command("totp")
@click.argument("name")
@click.option("--off", is_flag=True, help="Stop asking NAME for codes (a lost phone).")
def set_totp(name: str, off: bool) -> None:
    """Set up an authenticator app for NAME (shows the key, then asks a code from it)."""
    store = _store()
    try:
        user = store.user_by_name(name)
        if user is None:
            raise click.BadParameter(f"no user called {name!r}", param_hint="NAME")
        if off:
            store.set_totp(name, None)
            click.echo(f"{name} logs in with the password alone")
            return
        secret = totp.new_secret()
        click.echo(f"key: {secret}\nuri: {totp.provisioning_uri(secret, name)}")
        step = totp.matching_step(secret, click.prompt("Code the app shows"), utc())
        if step is None:
            raise click.ClickException("that code does not match: nothing changed")
        store.set_totp(name, secret)
        store.use_totp_step(user["id"], step)
    finally:
        store.engine.dispose()
    click.echo(f"{name} now logs in with a code from the app")


@user_group.command("list")
def list_users() -> None:
    """Show every user: name, role, whether active, last login."""
    store = _store()
    rows = store.users()
    store.engine.dispose()
    if not rows:
        click.echo("no users yet: ivr user add NAME --role admin")
        return
    for row in rows:
        last = row["last_login_at"].strftime("%Y-%m-%d %H:%M") if row["last_login_at"] else "never"
        state = "active" if row["active"] else "disabled"
        click.echo(f"{row['username']:<24} {row['role']:<6} {state:<8} last login {last}")


@user_group.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Stop NAME from logging in; their open sessions end at once."""
    store = _store()
    try:
        user = store.user_by_name(name)
        if user is None or not store.set_active(name, False):
            raise click.BadParameter(f"no user called {name!r}", param_hint="NAME")
        _end_sessions(store, user["id"])
    finally:
        store.engine.dispose()
    click.echo(f"disabled {name}")
