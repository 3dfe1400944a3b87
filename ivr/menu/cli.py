"""`ivr menu ...`: publish, list, compare, roll back, export and adopt menu versions.

Every instance loads a published version within IVR_MENU_CHECK_SECONDS; nothing
is published unless it passes `ivr check`.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import yaml

from ivr.menu.folder import split_marker
from ivr.menu.versions import MenuVersions, PublishResult, Version, valid_file


@contextmanager
def _versions() -> Iterator[MenuVersions]:
    """The versions table of the configured database, for the configured menus folder."""
    from dotenv import load_dotenv

    from ivr.config import PROJECT_ROOT, ConfigError, database_url, env_settings, instance_dir, project_path
    from ivr.data.tables import make_engine
    from ivr.lookup.policy import SourcePolicy

    load_dotenv(PROJECT_ROOT / ".env", override=False)  # as the server reads its settings
    settings = env_settings()
    try:
        policy = SourcePolicy.from_settings({})
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    engine = make_engine(database_url(settings["DATABASE_URL"], instance_dir()))
    try:
        yield MenuVersions(engine, project_path(settings["IVR_MENUS_DIR"]),
                           project_path(settings["IVR_PROMPTS_DIR"]), policy=policy)
    finally:
        engine.dispose()


def _author(given: str | None) -> str:
    if given:
        return given
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def _file_name(value: str) -> str:
    name = Path(value).name
    if not valid_file(name):
        raise click.BadParameter(f"{value!r} is not a menu file name (like shop.yaml)")
    return name


def _published(result: PublishResult, refused: str) -> Version:
    """Print a publish's problems; the new version, or exit 1 saying ``refused``.

    A text equal to the live one makes no version: that is said, and the command exits 0.
    """
    if result.unchanged and result.version is not None:
        click.echo(f"{result.version.file}: the text is the live version "
                   f"{result.version.number} already; nothing was published")
        sys.exit(0)
    for problem in result.problems:
        click.echo(str(problem), err=problem.severity == "error")
    if not result.ok or result.version is None:
        click.echo(refused, err=True)
        sys.exit(1)
    return result.version


@click.group("menu")
def menu_group() -> None:
    """Published menu versions (run `ivr db upgrade` first)."""


@menu_group.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "file", default=None, help="Menu file name (default: PATH's name).")
@click.option("--note", default="", help="What changed, for the history.")
@click.option("--author", default=None, help="Who publishes (default: your login name).")
def publish(path: Path, file: str | None, note: str, author: str | None) -> None:
    """Publish the menu in PATH: checked first, live everywhere within seconds."""
    name = _file_name(file or path.name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    _marker, text = split_marker(text)  # an exported file's first line is not menu text
    with _versions() as store:
        result = store.publish(name, text, _author(author), note, source="cli")
    version = _published(result, f"not published: {name} has errors; the live menu is unchanged")
    click.echo(f"{name} version {version.number} published")


@menu_group.command("history")
@click.argument("file")
def history(file: str) -> None:
    """List the versions of FILE, newest first (* marks the live one)."""
    name = _file_name(file)
    with _versions() as store:
        versions = store.history(name)
        states = [s for s in store.folder_states() if s.file == name] if versions else []
    if not versions:
        raise click.ClickException(f"no published version of {name}")
    zone = _zone_of(next((v for v in versions if v.live), versions[0]).text)
    for v in versions:
        mark = "*" if v.live else " "
        when = v.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        click.echo(f"{mark} {v.number:>4}  id {v.id:<6} {when}  {v.author}  {v.note}".rstrip())
    for state in states:  # the file in the menus folder, against the live version
        click.echo(("DIVERGED: " if state.diverged else "") + state.describe())


def _zone_of(text: str) -> ZoneInfo:
    """The zone of a menu's first schedule, as the dashboard shows its times (else UTC)."""
    try:
        raw = yaml.safe_load(text)
        schedules = raw.get("hours") if isinstance(raw, dict) else None
        first = next(iter(schedules.values())) if isinstance(schedules, dict) and schedules else {}
        return ZoneInfo(str(first.get("timezone") or "UTC")) if isinstance(first, dict) \
            else ZoneInfo("UTC")
    except (yaml.YAMLError, ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _by_number(store: MenuVersions, name: str, number: int) -> int:
    for v in store.history(name):
        if v.number == number:
            return v.id
    raise click.ClickException(f"{name} has no version {number}")


@menu_group.command("diff")
@click.argument("file")
@click.argument("old", type=int)
@click.argument("new", type=int, required=False)
def diff(file: str, old: int, new: int | None) -> None:
    """Show what changed in FILE from version OLD to version NEW (default: the live one)."""
    name = _file_name(file)
    with _versions() as store:
        before = store.get(_by_number(store, name, old))
        after = store.get(_by_number(store, name, new)) if new else store.live(name)
    assert before is not None and after is not None
    if before.text == after.text:
        click.echo(f"{name} version {before.number} and version {after.number}: no changes")
        return
    click.echo(MenuVersions.diff(before.text, after.text, f"{name} version {before.number}",
                          f"{name} version {after.number}"), nl=False)


@menu_group.command("rollback")
@click.argument("file")
@click.argument("number", type=int)
@click.option("--author", default=None, help="Who rolls back (default: your login name).")
def rollback(file: str, number: int, author: str | None) -> None:
    """Make version NUMBER of FILE live again (as a new version)."""
    name = _file_name(file)
    with _versions() as store:
        result = store.rollback(name, _by_number(store, name, number), _author(author))
    version = _published(result, f"not rolled back: version {number} no longer passes the check")
    click.echo(f"{name} version {version.number} published (the text of version {number})")


@menu_group.command("export")
@click.argument("file")
@click.option("--to", "target", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: the file in the menus folder).")
def export(file: str, target: Path | None) -> None:
    """Write the live version of FILE to the menus folder (to commit it to git)."""
    name = _file_name(file)
    with _versions() as store:
        exported = store.export_text(name)
        if exported is None:
            raise click.ClickException(f"no published version of {name}")
        live, text = exported
        path = target or store.folder / name
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        if target is None:
            store.mark_disk(name, text)  # the folder now matches: nothing to import
    click.echo(f"wrote version {live.number} of {name} to {path} (its first line says which "
               "version it is: keep it, and your edits of the file go live)")


@menu_group.command("adopt-file")
@click.argument("file")
@click.option("--author", default=None, help="Who decides (default: your login name).")
def adopt_file(file: str, author: str | None) -> None:
    """Make the menus folder's FILE live, over a live version it diverged from."""
    name = _file_name(file)
    with _versions() as store:
        result = store.adopt_file(name, _author(author))
    version = _published(result, f"not adopted: the folder's {name} does not pass the check; "
                                  "the live menu is unchanged")
    click.echo(f"{name} version {version.number} published (the menus folder's file)")
