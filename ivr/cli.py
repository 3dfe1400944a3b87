"""The ``ivr`` command: run the service, check menus, place simulated calls, migrate."""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import click

from ivr.engine.hours import menu_zone, moment
from ivr.simulator import FlaskTransport, Heard, HttpTransport, Phone, SimulatorError, prompt_words

# Commands that keep serving: they log at the configured level (IVR_LOG_LEVEL, INFO).
SERVERS = ("run", "worker")
log = logging.getLogger(__name__)


@click.group()
@click.option("-v", "--verbose", count=True,
              help="Show log lines too: -v for warnings and progress, -vv for debugging.")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """IVR help desk: YAML menu trees that answer Twilio calls."""
    from ivr.config import LOG_LEVEL_KEY

    level = {0: None, 1: "INFO"}.get(verbose, "DEBUG")
    if level is None and ctx.invoked_subcommand not in SERVERS \
            and not os.environ.get("IVR_LOG_LEVEL"):
        level = "ERROR"  # a one-off command shows its own output, and errors
    ctx.meta[LOG_LEVEL_KEY] = level
    if level is not None:
        from ivr.ops import logs

        # Until an app is built (a migration may run first), lines go out at this level too.
        logs.configure({"IVR_LOG_FORMAT": "text", "IVR_LOG_LEVEL": level})
        ctx.call_on_close(logs.unconfigure)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: $PORT, else 5000).")
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
def run_command(host: str, port: int | None, debug: bool) -> None:
    """Run the service with Flask's development server (use gunicorn in production)."""
    from ivr import create_app

    app = create_app()
    port = port or int(os.environ.get("PORT") or 5000)
    token_note = " (development token)" if app.config.get("IVR_DEV_TOKEN") else ""
    menus = list(app.extensions["ivr"].catalog.menus)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # what a browser can open
    click.echo(f"IVR help desk on http://{shown}:{port}/  menus: "
               f"{', '.join(menus) or 'none'}{token_note}")
    if shown != host:
        click.echo(f"(listening on every interface: {host})")
    default = next((m.id for m in app.extensions["ivr"].catalog.menus.values() if m.is_default),
                   menus[0] if menus else "")
    click.echo(f"Try a call without a phone, in another terminal: "
               f"{command_path()} call {default}".rstrip())
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


def command_path() -> str:
    """How to type this `ivr` again: `ivr` when PATH finds this one, else its path."""
    script = Path(sys.argv[0])
    if script.name != "ivr":  # run some other way (python -m, a test runner)
        script = Path(sys.executable).parent / "ivr"
    found = shutil.which("ivr")
    if found and Path(found).resolve() == script.resolve():
        return "ivr"
    try:
        return str(script.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(script.resolve())


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of recorded prompts (default: prompts/ beside the menus folder).")
def check_command(paths: tuple[Path, ...], strict: bool, prompts_dir: Path | None) -> None:
    """Validate and lint menu files (default: every file in menus/).

    Prints one line per problem as FILE:LINE:COLUMN: SEVERITY: MESSAGE and exits 1 when
    any file has errors (or warnings, with --strict), 0 otherwise.
    """
    from dotenv import load_dotenv

    from ivr.config import PROJECT_ROOT, ConfigError, env_settings, project_path
    from ivr.lookup.policy import SourcePolicy
    from ivr.menu.lint import check_paths

    load_dotenv(PROJECT_ROOT / ".env", override=False)  # as the server reads its settings
    try:  # the operator's rules for sources, exactly as the server builds them
        policy = SourcePolicy.from_settings({})
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not paths:
        folder = project_path(env_settings()["IVR_MENUS_DIR"])
        try:  # shown as the admin would type it: relative to where they are
            folder = folder.relative_to(Path.cwd())
        except ValueError:
            pass
        paths = (folder,)
    if prompts_dir is None:
        prompts_dir = project_path(env_settings()["IVR_PROMPTS_DIR"])
    problems, checked = check_paths(list(paths), prompts_dir, policy)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    click.echo(f"{checked} menu file(s) checked: {errors} error(s), {warnings} warning(s)")
    if checked == 0:
        click.echo("no menu files found", err=True)
        sys.exit(2)
    sys.exit(1 if errors or (strict and warnings) else 0)


def _show(heard: list[Heard], out: TextIO) -> None:
    for item in heard:
        if item.kind == "say":
            out.write(f"   SAY [{item.locale} {item.voice}]: {item.text}\n")
        elif item.kind == "play":
            out.write(f"   PLAY {item.url}" + (f": {item.text}" if item.text else "") + "\n")
    out.flush()


@cli.command("call")
@click.argument("menu_id", required=False)
@click.option("--to", "called", help="The number called (default: the menu's first number).")
@click.option("--from", "caller", default="+15551230000", show_default=True,
              help="The caller's number.")
@click.option("--script", "script", type=click.File("r"), default=None,
              help="Read the caller's actions from a file ('-' for standard input).")
@click.option("--steps", default=None,
              help="Actions separated by ';', e.g. \"1; say returns; wait; #\".")
@click.option("--url", default=None,
              help="Call a running server at this base URL instead of in-process.")
@click.option("--twiml", is_flag=True, help="Also print the TwiML of every answer.")
@click.option("--at", "at", default=None, metavar="WHEN",
              help="Pretend the call happens then, e.g. \"2026-12-01 10:00\" (in the time zone "
                   "of the menu's opening hours) or \"2026-12-01T10:00+01:00\".")
def call_command(menu_id: str | None, called: str | None, caller: str, script: TextIO | None,
                 steps: str | None, url: str | None, twiml: bool, at: str | None) -> None:
    """Place a simulated call through the real webhooks and show what the caller hears.

    Actions: keys like 1 or * (pressed), 'say TEXT' (spoken), 'wait' (silence until
    the timeout; at a voicemail, saying nothing after the beep), 'dial STATUS' (how a
    transfer ends: completed, no-answer, busy...), 'record SECONDS' (leave a voicemail
    of that length), in a queue 'wait [POSITION [SECONDS]]' (a round of the wait URL,
    where the caller hears their place and wait) and 'queue RESULT' (how the wait ends:
    bridged, hangup, queue-full...), 'hangup'. Interactively, an empty line is silence and any other
    text is speech. --at sets the clock the menu sees (opening hours), for this call only.
    Exits 0 when the call ended, 1 on a webhook error, 3 if actions ran out first.
    """
    from ivr import create_app
    from ivr.migrations import upgrade_database

    overrides: dict[str, Any] = {"IVR_WORKER_IN_APP": "false"}  # a simulated call sends nothing
    if not os.environ.get("TWILIO_AUTH_TOKEN"):
        # The development token in the instance folder: the one `make run` serves with.
        overrides["IVR_ENV"] = os.environ.get("IVR_ENV", "development")
        if overrides["IVR_ENV"] == "production":
            overrides["IVR_ENV"] = "development"
    if url is None:
        upgrade_database()  # idempotent: the journeys need their tables, menu versions too
    app = create_app(overrides)
    catalog = app.extensions["ivr"].catalog
    menu = catalog.get(menu_id) if menu_id else catalog.for_number(called or "")
    if menu_id and menu is None:
        raise click.BadParameter(f"no menu {menu_id!r} (loaded: {', '.join(catalog.menus)})",
                                 param_hint="MENU")
    if called is None:
        called = menu.numbers[0] if menu and menu.numbers else "+15005550006"
    when = None
    if at is not None:
        when = moment(at, menu_zone(menu))
        if when is None:
            raise click.BadParameter(f"{at!r} is not a date and time like \"2026-12-01 10:00\" "
                                     "or \"2026-12-01T10:00+01:00\"", param_hint="--at")
    transport: Any = HttpTransport() if url else FlaskTransport(app)
    base = (url or app.config.get("IVR_PUBLIC_URL") or "http://localhost").rstrip("/")
    phone = Phone(transport, app.config["TWILIO_AUTH_TOKEN"], base_url=base, caller=caller,
                  called=called)
    if app.config.get("TWILIO_ACCOUNT_SID"):
        phone.account_sid = app.config["TWILIO_ACCOUNT_SID"]
    phone.at = when
    phone.words = prompt_words(menu)
    texts = _text_watch(app, caller)
    actions: list[str] | None = None
    if steps is not None:
        actions = [s.strip() for s in steps.split(";")]
    elif script is not None:
        actions = [line.strip() for line in script if line.strip() and not line.startswith("#!")]
    out = sys.stdout
    out.write(f"-- calling {called} ({menu.id if menu else 'no menu'}) from {caller}"
              + (f" at {when.astimezone(ZoneInfo(menu_zone(menu))):%Y-%m-%d %H:%M %Z}"
                 if when else "") + "\n")
    try:
        _show(phone.dial(), out)
        status = _converse(phone, actions, out, twiml, texts)
    except SimulatorError as exc:
        out.write(f"!! {exc}\n")
        sys.exit(1)
    finally:
        catalog.close()  # the call started the menus' reload thread: nothing to reload now
        # The journey is written before the command returns, not by the writer thread later:
        # a report or a dashboard read right after it sees the call.
        app.extensions["ivr"].recorder.close()
    for problem in phone.problems:
        out.write(f"!! {problem}\n")
    sys.exit(status)


def _text_watch(app: Any, caller: str) -> Callable[[], list[str]]:
    """The texts to ``caller`` that reach the local outbox from now on, as lines to print."""
    from ivr import phones
    from ivr.answer.texts import last_text_id, local_outbox

    engine = app.extensions["ivr"].store.engine
    number = phones.check(caller).e164 or caller
    seen = [last_text_id(engine)]

    def new_lines() -> list[str]:
        found = local_outbox(engine, after=seen[0], number=number)
        if found:
            seen[0] = max(int(t["id"]) for t in found)
        return [f"   TEXT to {t['to_number']}: {t['body']}" for t in found]

    return new_lines


def _converse(phone: Phone, actions: list[str] | None, out: TextIO, twiml: bool,
              texts: Callable[[], list[str]] = list) -> int:
    """Feed actions until the call ends; returns the exit status."""
    interactive = actions is None
    try:
        status, ending = _steps(phone, actions, out, twiml, texts, interactive)
    finally:
        # As Twilio does when a call ends: the status callback with its length, for analytics.
        with contextlib.suppress(SimulatorError, OSError):  # a server already gone: no length
            phone.hang_up()
        out.writelines(line + "\n" for line in texts())
    out.write(ending + "\n")
    return status


def dialled(dial: Any) -> str:
    """Who a <Dial> rings: its number, or each of its <Number>, <Client>, <Sip> nouns."""
    if (dial.text or "").strip():
        return str(dial.text).strip()
    return ", ".join((noun.text or "").strip() for noun in dial if (noun.text or "").strip()) \
        or "nobody"


def _steps(phone: Phone, actions: list[str] | None, out: TextIO, twiml: bool,
           texts: Callable[[], list[str]], interactive: bool) -> tuple[int, str]:
    """The call's steps until it ends: the exit status and the line that says how it ended."""
    while not phone.ended:
        out.writelines(line + "\n" for line in texts())
        if twiml and phone.exchanges:
            out.write(f"   <<< {phone.exchanges[-1].body}\n")
        if phone.enqueued is not None:
            out.write(f"   ... waiting in queue {phone.enqueued.text} [{phone.node}]"
                      + (": a key leaves it" if phone.listening is not None else "") + "\n")
        elif phone.dialing is not None:
            out.write(f"   ... transferring to {dialled(phone.dialing)} [{phone.node}]\n")
        elif phone.recording is not None:
            out.write(f"   ... recording a message after the beep [{phone.node}]\n")
        elif phone.listening is not None:
            kind = phone.listening.get("input", "dtmf")
            out.write(f"   ... listening ({kind}, {phone.listening.get('timeout', '5')} s) "
                      f"[{phone.node}]\n")
        if interactive:
            try:
                line = input("> ")
            except EOFError:
                return 0, "-- hung up"
        else:
            assert actions is not None
            if not actions:
                return 3, "-- actions ran out before the call ended"
            line = actions.pop(0)
            out.write(f"> {line}\n")
        if not _act(phone, line.strip(), out, interactive):
            return 0, "-- hung up"
    return 0, "-- call ended"


def _act(phone: Phone, line: str, out: TextIO, interactive: bool) -> bool:
    """Perform one caller action; False when the caller hung up."""
    word, _, rest = line.partition(" ")
    if line == "hangup":
        return False
    if phone.enqueued is not None:
        _queued(phone, line, out, interactive)
    elif phone.dialing is not None:
        if word == "dial" and rest:
            _show(phone.dial_ends(rest), out)
        elif line == "" and interactive:
            _show(phone.dial_ends("completed"), out)
        else:
            raise click.UsageError(f"a transfer is ringing: say how it ends with 'dial STATUS' "
                                   f"(completed, no-answer, busy, failed), not {line!r}")
    elif phone.recording is not None:
        if word == "record":
            seconds = int(rest) if rest.isdigit() else 10
            heard, _ = phone.record(seconds, "#")
            _show(heard, out)
        elif line in ("", "wait"):
            out.write("   ... silence after the beep: an empty recording, reported absent; "
                      "Twilio goes on after the <Record>\n")
            _show(phone.record_nothing(), out)
        else:
            raise click.UsageError(f"recording a message: use 'record SECONDS', 'wait' (say "
                                   f"nothing) or 'hangup', not {line!r}")
    elif word in ("record", "dial") and not interactive:
        where = "a transfer" if word == "dial" else "a recording"
        raise click.UsageError(f"{line!r}: the call is not at {where} but at node "
                               f"{phone.node or '(none)'}, which listens for keys or speech")
    elif word == "say":
        _show(phone.say(rest), out)
    elif line in ("", "wait"):
        _show(phone.silence(), out)
    elif all(c in "0123456789*#" for c in line):
        _show(phone.press(line), out)
    elif interactive:
        _show(phone.say(line), out)
    else:
        raise click.UsageError(f"unknown action {shlex.quote(line)}")
    return True


QUEUE_RESULTS = ("bridged", "hangup", "queue-full", "error", "system-error")


def _queued(phone: Phone, line: str, out: TextIO, interactive: bool) -> None:
    """A caller waiting in a queue: a round of the wait URL, a key, or how the wait ends."""
    word, _, rest = line.partition(" ")
    if word == "wait" or (line == "" and interactive):
        numbers = [int(n) for n in rest.split() if n.isdigit()]
        waited = int(phone.queue_info.get("QueueTime", "0") or 0)
        position = numbers[0] if numbers else int(phone.queue_info.get("QueuePosition", "1"))
        waited = numbers[1] if len(numbers) > 1 else (waited + 30 if phone.queue_info else 0)
        out.write(f"   ... Twilio asks the wait URL: position {position}, waited {waited} s\n")
        _show(phone.wait(position=max(1, position), waited=waited), out)
    elif word == "queue" and rest in QUEUE_RESULTS:
        _show(phone.queue_ends(rest, int(phone.queue_info.get("QueueTime", "0") or 0)), out)
    elif line and all(c in "0123456789*#" for c in line) and phone.listening is not None:
        _show(phone.press(line), out)
    else:
        raise click.UsageError(
            f"waiting in a queue: use 'wait [POSITION [SECONDS]]' (Twilio asks the wait URL), "
            f"a key while the wait message listens, 'queue RESULT' ({', '.join(QUEUE_RESULTS)}: "
            f"how the wait ends) or 'hangup', not {line!r}")


@cli.group("db")
def db_group() -> None:
    """Database commands."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    from ivr.migrations import upgrade_database

    url = upgrade_database()
    click.echo(f"database is up to date ({url.split('@')[-1]})")


def _add_demo_commands() -> None:
    from ivr.lookup.demo import demo_group

    cli.add_command(demo_group)


_add_demo_commands()


def _add_voicemail_commands() -> None:
    from ivr.voicemail.cli import voicemail_group, worker_command

    cli.add_command(worker_command)
    cli.add_command(voicemail_group)


_add_voicemail_commands()


def _add_user_commands() -> None:
    from ivr.dashboard.cli import user_group

    user_group.add_command(pin_command)  # `ivr user announce-pin NAME`
    cli.add_command(user_group)


@click.command("announce-pin")
@click.argument("name")
@click.option("--off", is_flag=True, help="Remove the PIN (the line refuses this admin).")
@click.option("--unlock", is_flag=True, help="End a lock after failed calls (the PIN stays).")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input.")
def pin_command(name: str, off: bool, unlock: bool, pin_stdin: bool) -> None:
    """Set the PIN admin NAME enters on the announcement line (asked twice, never shown)."""
    import sys

    from ivr import create_app
    from ivr.recorded_announcements import Pins, pin_problem

    app = create_app()
    user = app.extensions["dashboard"].users.user_by_name(name)
    if user is None or user.get("role") != "admin":
        raise click.ClickException(f"no admin called {name!r}")
    pins = Pins(app.extensions["ivr"].store.engine)
    if off:
        click.echo("PIN removed" if pins.remove(int(user["id"])) else "no PIN was set")
        return
    if unlock:
        click.echo("PIN unlocked" if pins.unlock(int(user["id"])) else "the PIN was not locked")
        return
    if pin_stdin:
        chosen = sys.stdin.readline().strip()
    else:
        chosen = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    problem = pin_problem(chosen)
    if problem:
        raise click.ClickException(problem)
    pins.set(int(user["id"]), chosen, app.extensions["ivr"].clock())
    click.echo(f"announcement PIN set for {name}")


_add_user_commands()


def _add_menu_commands() -> None:
    from ivr.menu.cli import menu_group

    cli.add_command(menu_group)


_add_menu_commands()


def _add_ops_commands() -> None:
    from ivr.ops.cli import doctor_command, twilio_group

    cli.add_command(doctor_command)
    cli.add_command(twilio_group)


_add_ops_commands()


def _add_catalogue_commands() -> None:
    from ivr.search.sql import catalogue_group

    cli.add_command(catalogue_group)


_add_catalogue_commands()


def _add_report_commands() -> None:
    from ivr.analytics.cli import report_command

    cli.add_command(report_command)


_add_report_commands()


def _add_privacy_commands() -> None:
    from ivr.privacy.cli import privacy_group

    cli.add_command(privacy_group)


_add_privacy_commands()


@cli.command("announce")
@click.argument("menu_id")
@click.argument("text", required=False)
@click.option("--lang", "langs", multiple=True,
              help="A language of the menu (repeat for several; default: its first).")
@click.option("--until", "until_text", help='When it ends by itself, e.g. "2026-12-01 18:00" '
              "(in the time zone of the menu's opening hours).")
@click.option("--clear", is_flag=True, help="End the menu's announcements (in --lang, or all).")
@click.option("--by", default=None, help="Who sets it, for the log (default: your login name).")
def announce_command(menu_id: str, text: str | None, langs: tuple[str, ...],
                     until_text: str | None, clear: bool, by: str | None) -> None:
    """Put a message before MENU_ID on every new call (no new menu version), or --clear it."""
    from ivr import create_app
    from ivr.announcements import MAX_TEXT, Announcements

    app = create_app()
    services = app.extensions["ivr"]
    menu = services.catalog.get(menu_id)
    if menu is None:
        raise click.BadParameter(f"no menu {menu_id!r} (menus: {', '.join(services.catalog.menus)})",
                                 param_hint="MENU_ID")
    for lang in langs:
        if lang not in menu.languages:
            raise click.BadParameter(f"{lang!r} is not a language of {menu_id} "
                                     f"({', '.join(menu.languages)})", param_hint="--lang")
    who = by or f"cli:{getpass.getuser()}"
    now = services.clock()
    store = Announcements(services.store.engine)
    if clear:
        count = sum(store.clear(menu.id, who, now, lang) for lang in langs) if langs \
            else store.clear(menu.id, who, now)
        click.echo(f"{count} announcement(s) on {menu.id} cleared")
        return
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise click.BadParameter(f"give the text to say (1 to {MAX_TEXT} characters)",
                                 param_hint="TEXT")
    until = None
    if until_text:
        until = moment(until_text, menu_zone(menu))
        if until is None or until <= now:
            raise click.BadParameter(f"{until_text!r} is not a time in the future",
                                     param_hint="--until")
    for lang in langs or (next(iter(menu.languages)),):
        store.set(menu.id, lang, text, who, now, until)
        log.info("announcement on %s (%s) set by %s", menu.id, lang, who)
    ending = f" until {until.isoformat()}" if until else ""
    click.echo(f"announced on {menu.id} in {', '.join(langs or (next(iter(menu.languages)),))}"
               f"{ending}")


def main() -> None:
    """Console entry point: an unsafe configuration is one clear line, not a traceback."""
    from ivr.config import ConfigError

    try:
        cli(prog_name="ivr")
    except ConfigError as exc:
        click.echo(f"ivr: {exc}", err=True)
        sys.exit(2)
