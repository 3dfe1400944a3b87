"""`ivr user add|list|disable|password|totp`, as an administrator sets up the dashboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.cli import cli
from ivr.dashboard.store import users


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database that the `ivr` command is pointed at."""
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path / "instance"))
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return url


def _users(url: str) -> list[dict[str, object]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(users).order_by(users.c.id))]
    engine.dispose()
    return rows


def test_add_with_a_prompted_password_then_list(database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "add", "alice"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("added agent alice\n")
    result = runner.invoke(cli, ["user", "add", "root", "--role", "admin", "--password-stdin"],
                           input="r00t-pass!\n")
    assert result.exit_code == 0, result.output
    assert result.output == "added admin root\n"
    rows = _users(database)
    assert [(r["username"], r["role"], r["active"]) for r in rows] == [
        ("alice", "agent", True), ("root", "admin", True)]
    assert "s3cret-pass" not in str(rows[0]["password_hash"])

    result = runner.invoke(cli, ["user", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "alice                    agent  active   last login never",
        "root                     admin  active   last login never",
    ]


def test_disable(database: str) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["user", "add", "alice", "--password-stdin"], input="s3cret-pass\n")
    result = runner.invoke(cli, ["user", "disable", "alice"])
    assert (result.exit_code, result.output) == (0, "disabled alice\n")
    assert _users(database)[0]["active"] is False
    assert "disabled" in runner.invoke(cli, ["user", "list"]).output


def test_bad_input_names_the_culprit(database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "add", "alice", "--password-stdin"], input="short\n")
    assert result.exit_code == 2
    assert "needs at least 8 characters" in result.output
    result = runner.invoke(cli, ["user", "add", "alice", "--role", "boss", "--password-stdin"],
                           input="long-enough\n")
    assert result.exit_code == 2
    assert "'boss' is not one of 'agent', 'admin'" in result.output
    runner.invoke(cli, ["user", "add", "alice", "--password-stdin"], input="long-enough\n")
    result = runner.invoke(cli, ["user", "add", "alice", "--password-stdin"], input="long-enough\n")
    assert result.exit_code == 2
    assert "a user called 'alice' already exists" in result.output
    result = runner.invoke(cli, ["user", "disable", "nobody"])
    assert result.exit_code == 2
    assert "no user called 'nobody'" in result.output
    assert len(_users(database)) == 1


def test_the_password_is_never_taken_from_the_command_line(database: str) -> None:
    runner = CliRunner()
    # Arguments show in `ps` and the shell's history: there is no such option.
    result = runner.invoke(cli, ["user", "add", "alice", "--password", "s3cret-pass"])
    assert result.exit_code == 2
    assert "No such option '--password'" in result.output
    # Asked twice: two different answers are asked again.
    result = runner.invoke(cli, ["user", "add", "alice"],
                           input="s3cret-pass\nother-pass\ns3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    assert "s3cret-pass" not in result.output  # the prompt does not echo it
    assert [r["username"] for r in _users(database)] == ["alice"]


def test_password_resets_and_ends_sessions(database: str) -> None:
    from datetime import UTC, datetime

    from ivr.dashboard.logins import Logins
    from ivr.dashboard.store import DashboardStore

    runner = CliRunner()
    runner.invoke(cli, ["user", "add", "alice", "--password-stdin"], input="s3cret-pass\n")
    engine = sa.create_engine(database)
    logins = Logins(engine, idle=timedelta(hours=1), absolute=timedelta(hours=12))
    now = datetime.now(UTC)
    opened = logins.start(int(_users(database)[0]["id"]), now)
    result = runner.invoke(cli, ["user", "password", "alice"], input="new-pass-123\nnew-pass-123\n")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("new password for alice; 1 session ended\n")
    assert logins.user_id(opened, now) is None
    store = DashboardStore(engine)
    assert store.authenticate("alice", "new-pass-123") is not None
    assert store.authenticate("alice", "s3cret-pass") is None
    engine.dispose()
    result = runner.invoke(cli, ["user", "password", "nobody", "--password-stdin"], input="x" * 9)
    assert result.exit_code == 2 and "no user called 'nobody'" in result.output


def test_totp_set_up_and_removed(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    import pyotp

    runner = CliRunner()
    runner.invoke(cli, ["user", "add", "root", "--role", "admin", "--password-stdin"],
                  input="r00t-pass!\n")
    refused = runner.invoke(cli, ["user", "totp", "root"], input="000000\n")
    assert refused.exit_code == 1 and "that code does not match: nothing changed" in refused.output
    assert _users(database)[0]["totp_secret"] is None

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    monkeypatch.setattr("ivr.dashboard.totp.new_secret", lambda: secret)
    code = pyotp.TOTP(secret).at(datetime.now(UTC))
    result = runner.invoke(cli, ["user", "totp", "root"], input=code + "\n")
    assert result.exit_code == 0, result.output
    assert f"key: {secret}\nuri: otpauth://totp/IVR%20help%20desk:root?secret={secret}" in result.output
    assert result.output.endswith("root now logs in with a code from the app\n")
    assert _users(database)[0]["totp_secret"] == secret
    result = runner.invoke(cli, ["user", "totp", "root", "--off"])
    assert (result.exit_code, result.output) == (0, "root logs in with the password alone\n")
    assert _users(database)[0]["totp_secret"] is None
