"""The `ivr` command as an admin uses it: simulated calls and database set-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.simulator import FlaskTransport
from tests.conftest import ROOT, shutdown


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for a local, development-mode run on a temporary database."""
    values = {
        "IVR_ENV": "development",
        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"),
        "IVR_WORKER_IN_APP": "false",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    return values


def test_scripted_call_follows_the_real_webhooks(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["call", "mini", "--steps", "2; 1; *; #; 9; 2; 2; wait; hangup"])
    out = result.output
    assert result.exit_code == 0, out
    assert "-- calling +15005550001 (mini)" in out
    assert "SAY [fr-FR Polly.Lea]: Pour les horaires, tapez 1." in out
    # "*" repeats the answer, "#" goes back to the main menu.
    assert out.count("Nous sommes ouverts du lundi au vendredi") == 2
    assert "SAY [fr-FR Polly.Lea]: Les remboursements prennent cinq jours." in out
    assert "[refunds]" in out


def test_scripted_call_that_runs_out_of_actions_exits_3(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["call", "mini", "--steps", "1"])
    assert result.exit_code == 3
    assert "actions ran out" in result.output


def test_script_file_and_speech(env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "call.txt"
    script.write_text("3\nsay retururi\nsay rambursare\nhangup\n")
    result = CliRunner().invoke(cli, ["call", "--to", "+15005550001", "--script", str(script)])
    assert result.exit_code == 0, result.output
    assert "Rambursările durează cinci zile." in result.output
    assert "-- hung up" in result.output


def test_unknown_menu_is_a_usage_error(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["call", "nosuchmenu", "--steps", "1"])
    assert result.exit_code == 2
    assert "no menu 'nosuchmenu'" in result.output


def test_db_upgrade_creates_the_tables(env: dict[str, str]) -> None:
    import sqlalchemy as sa

    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(env["DATABASE_URL"])
    assert {"calls", "journey_steps", "alembic_version"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_production_without_token_refuses_to_start(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    from ivr import create_app
    from ivr.config import ConfigError

    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("IVR_ENV", "production")
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_development_token_is_generated_once_and_kept(env: dict[str, str]) -> None:
    from ivr import create_app

    first: Any = create_app()
    second: Any = create_app()
    assert first.config["IVR_DEV_TOKEN"] is True
    assert len(first.config["TWILIO_AUTH_TOKEN"]) == 32
    assert first.config["TWILIO_AUTH_TOKEN"] == second.config["TWILIO_AUTH_TOKEN"]
    for app in (first, second):
        shutdown(app)


def test_a_voicemail_can_be_left_in_the_simulator(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["call", "vm", "--steps", "1; record 12"])
    assert result.exit_code == 0, result.output
    assert "recording a message after the beep [message]" in result.output
    assert "Thank you, we have your message" in result.output
    assert "-- call ended" in result.output



def test_saying_nothing_at_a_voicemail_ends_the_recording_as_twilio_does(env: dict[str, str]) -> None:
    import sqlalchemy as sa

    result = CliRunner().invoke(cli, ["call", "vm", "--steps", "1; wait"])
    assert result.exit_code == 0, result.output
    assert "silence after the beep: an empty recording" in result.output
    # No action request for an empty recording, and no verb after <Record>: Twilio hangs up.
    assert "Thank you, we have your message" not in result.output
    assert result.output.splitlines()[-1] == "-- call ended"
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT recording_status, duration, node FROM voicemails")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("absent", 0, "message")]  # the status callback came


# ---- `ivr call --at`: the clock a simulated call sees -----------------------------------

def test_call_at_a_time_takes_the_open_or_the_closed_branch(env: dict[str, str]) -> None:
    steps = ["--steps", "1; 0; hangup"]
    # Tuesday 1 December 2026 in the mini menu's zone (Europe/Bucharest): open 09:00-17:00.
    opened = CliRunner().invoke(cli, ["call", "mini", "--at", "2026-12-01 10:00", *steps])
    assert opened.exit_code == 0, opened.output
    assert "-- calling +15005550001 (mini) from +15551230000 at 2026-12-01 10:00 EET" in opened.output
    assert "Connecting you." in opened.output and "We are closed." not in opened.output
    closed = CliRunner().invoke(cli, ["call", "mini", "--at", "2026-12-01 20:00", *steps])
    assert "We are closed." in closed.output and "Connecting you." not in closed.output
    # An explicit offset wins over the menu's zone: 16:00 UTC is 18:00 in Bucharest.
    utc = CliRunner().invoke(cli, ["call", "mini", "--at", "2026-12-01T16:00Z", *steps])
    assert "at 2026-12-01 18:00 EET" in utc.output and "We are closed." in utc.output


def test_call_at_refuses_what_is_not_a_time(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["call", "mini", "--at", "tomorrow", "--steps", "1"])
    assert result.exit_code == 2
    assert "'tomorrow' is not a date and time" in result.output


class HttpLikeTransport(FlaskTransport):
    """Posts in-process but without the simulator's mark: as a request from outside would be."""

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST through the test client, unmarked."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        response = self.client.post(parts.path + (f"?{parts.query}" if parts.query else ""),
                                    data=params, headers=headers,
                                    base_url=f"{parts.scheme}://{parts.netloc}")
        return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("environment, transport, honoured", [
    ("test", FlaskTransport, True),
    ("test", HttpLikeTransport, True),  # `ivr call --url` against a local server
    ("production", FlaskTransport, True),  # the dashboard's simulator, in-process
    ("production", HttpLikeTransport, False),  # a request from outside: never re-timed
])
def test_the_simulated_clock_is_honoured_only_for_simulated_calls(
        tmp_path: Path, environment: str, transport: type[FlaskTransport], honoured: bool) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ivr.ops.logs import unconfigure
    from ivr.simulator import Phone
    from tests.conftest import OPEN_TIME, TOKEN, Clock, make_app

    url = f"sqlite:///{tmp_path / 'clock.sqlite3'}"
    from tests.conftest import upgraded

    upgraded(url)
    app = make_app(url, tmp_path, Clock(OPEN_TIME), IVR_ENV=environment,
                   IVR_PUBLIC_URL="http://localhost")  # the app's clock: open
    try:
        phone = Phone(transport(app), TOKEN, called="+15005550001")
        phone.at = datetime(2026, 12, 1, 20, 0, tzinfo=ZoneInfo("Europe/Bucharest"))  # closed
        phone.dial()
        phone.press("1")
        heard = " ".join(h.text for h in phone.press("0"))
        assert ("We are closed." in heard) is honoured, heard
        assert ("Connecting you." in heard) is not honoured, heard
    finally:
        unconfigure()
        shutdown(app)


@pytest.mark.parametrize("value, expected", [
    ("2026-12-01T10:00:00+02:00", "2026-12-01T08:00:00+00:00"),
    ("2026-12-01T10:00Z", "2026-12-01T10:00:00+00:00"),
    ("2026-12-01T10:00", None),  # no offset: the phone always sends one
    ("yesterday", None),
    ("2026-12-01T10:00:00.000000000000000000+02:00", None),  # too long to read
])
def test_clock_field_values(value: str, expected: str | None) -> None:
    from ivr.web.clock import parse_clock

    parsed = parse_clock(value)
    assert (parsed.isoformat() if parsed else None) == expected


# ---- quiet by default, -v for more --------------------------------------------------------

def _ivr(*args: str, stdin: str | None = None) -> Any:
    import subprocess
    import sys

    ivr = Path(sys.executable).parent / "ivr"
    if not ivr.exists():
        pytest.skip("the ivr console script is not installed in this environment")
    return subprocess.run([str(ivr), *args], capture_output=True, text=True, timeout=120,
                          input=stdin)


def test_commands_are_quiet_by_default(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVR_LOG_LEVEL", raising=False)
    call = _ivr("call", "mini", "--steps", "1; hangup")  # on a fresh database: it migrates
    assert call.returncode == 0, call.stderr
    assert call.stderr == ""
    assert call.stdout.splitlines()[0] == "-- calling +15005550001 (mini) from +15551230000"
    user = _ivr("user", "add", "maria", "--role", "admin", "--password-stdin",
                stdin="a-long-password\n")
    assert (user.returncode, user.stdout, user.stderr) == (0, "added admin maria\n", "")


def test_verbose_shows_the_log_lines_once(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVR_LOG_LEVEL", raising=False)
    call = _ivr("-v", "call", "mini", "--steps", "1; hangup")
    assert call.returncode == 0, call.stderr
    assert call.stderr.count("development mode: no TWILIO_AUTH_TOKEN") == 1
    assert "INFO alembic.runtime.migration: Running upgrade  -> 0001" in call.stderr
    assert "ivr: warning:" not in call.stderr + call.stdout
    user = _ivr("--verbose", "user", "add", "ana", "--password-stdin", stdin="a-long-password\n")
    assert user.stdout == "added agent ana\n"
    assert "INFO alembic.runtime.migration: Context impl SQLiteImpl." in user.stderr


# ---- the start banner ------------------------------------------------------------------------

def test_run_banner_names_the_url_a_browser_opens_and_the_ivr_to_type(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    from flask import Flask

    from ivr.cli import command_path

    started: list[tuple[str, int]] = []
    monkeypatch.setattr(Flask, "run", lambda self, host, port, **_: started.append((host, port)))
    result = CliRunner().invoke(cli, ["run", "--port", "5999"])
    assert result.exit_code == 0, result.output
    assert started == [("127.0.0.1", 5999)]
    lines = result.stdout.splitlines()  # log lines go to standard error
    assert lines[0].startswith("IVR help desk on http://127.0.0.1:5999/  menus: ")
    assert lines[1] == f"Try a call without a phone, in another terminal: {command_path()} call mini"
    everywhere = CliRunner().invoke(cli, ["run", "--host", "0.0.0.0", "--port", "5999"])
    assert everywhere.stdout.splitlines()[:2] == [
        lines[0], "(listening on every interface: 0.0.0.0)"]
    # Not on PATH: the path to type, relative to where the admin is.
    venv_ivr = Path(sys.executable).parent / "ivr"
    monkeypatch.setattr(sys, "argv", [str(venv_ivr), "run"])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(venv_ivr.parent.parent.parent)
    assert command_path() == f"{venv_ivr.parent.parent.name}/bin/ivr"
    monkeypatch.setenv("PATH", str(venv_ivr.parent))
    assert command_path() == "ivr"


# ---- `ivr call` in a queue: <Enqueue>, rounds of the wait URL, leaving -------------------

def test_call_shows_the_shops_enqueue_and_simulates_the_wait(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_MENUS_DIR", str(ROOT / "menus"))  # the demo shop
    steps = "1; 0"
    result = CliRunner().invoke(cli, ["call", "shop", "--at", "2026-12-01 10:00", "--twiml",
                                      "--steps", steps])
    assert result.exit_code == 3, result.output  # the caller still waits when actions end
    assert "<Enqueue " in result.output and ">shop-agent</Enqueue>" in result.output
    assert "... waiting in queue shop-agent [agent]" in result.output
    # Two rounds of the wait URL (third in line after 45 s, then 30 s later), then answered.
    result = CliRunner().invoke(cli, ["call", "shop", "--at", "2026-12-01 10:00", "--steps",
                                      "1; 0; wait 3 45; wait; queue bridged"])
    assert result.exit_code == 0, result.output
    rounds = result.output.split("> wait")[1:]
    assert "position 3, waited 45 s" in rounds[0] and "position 3, waited 75 s" in rounds[1]
    assert "You are number 3 in the queue." in rounds[0]
    assert "Your estimated wait is about" in rounds[0]
    assert result.output.rstrip().endswith("-- call ended")
    # The leave key during a wait: out of the queue, offered a callback.
    result = CliRunner().invoke(cli, ["call", "shop", "--at", "2026-12-01 10:00", "--steps",
                                      "1; 0; wait 2 10; 1; hangup"])
    assert result.exit_code == 0, result.output
    after = result.output.split("> 1\n")[-1]
    assert "To be called back, press 1" in after and "waiting in queue" not in after
    # A key before any wait message listens, or an unknown result, is refused with the reason.
    result = CliRunner().invoke(cli, ["call", "shop", "--at", "2026-12-01 10:00", "--steps",
                                      "1; 0; queue answered"])
    assert result.exit_code == 2 and "waiting in a queue: use 'wait" in result.output


def test_a_transfer_to_several_numbers_names_them_all() -> None:
    import xml.etree.ElementTree as ET

    from ivr.cli import dialled

    assert dialled(ET.fromstring("<Dial>+15005550100</Dial>")) == "+15005550100"
    ringing = ET.fromstring("<Dial><Number>+33199000101</Number>"
                            "<Number>+33199000102</Number></Dial>")
    assert dialled(ringing) == "+33199000101, +33199000102"  # not "None"
