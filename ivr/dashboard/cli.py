"""`ivr user ...`: add, list and disable the people who log in to the dashboard."""

from __future__ import annotations

import click

from ivr.dashboard.store import ROLES, DashboardStore, UserExists
from ivr.store import make_engine, utc

MIN_PASSWORD = 8


def _store() -> DashboardStore:
    """The dashboard's tables in the configured database (created first if need be)."""
    from ivr.cli import upgrade_database

    return DashboardStore(make_engine(upgrade_database()))


def _check_password(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A password long enough to be worth having."""
    if len(value) < MIN_PASSWORD:
        raise click.BadParameter(f"needs at least {MIN_PASSWORD} characters")
    return value


@click.group("user")
def user_group() -> None:
    """Dashboard users."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True,
              help="agent works the inbox; admin also manages users.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              callback=_check_password, help="The password (prompted when not given).")
def add_user(name: str, role: str, password: str) -> None:
    """Create a user called NAME."""
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise click.BadParameter("needs 1 to 64 characters and no spaces", param_hint="NAME")
    store = _store()
    try:
        store.add_user(name, password, role, utc())
    except UserExists:
        raise click.BadParameter(f"a user called {name!r} already exists",
                                 param_hint="NAME") from None
    finally:
        store.engine.dispose()
    click.echo(f"added {role} {name}")


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
    """Stop NAME from logging in (their sessions end at their next request)."""
    store = _store()
    found = store.set_active(name, False)
    store.engine.dispose()
    if not found:
        raise click.BadParameter(f"no user called {name!r}", param_hint="NAME")
    click.echo(f"disabled {name}")
