"""The `ivr` command as an admin uses it: simulated calls and database set-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
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

