"""`ivr user add|list|disable`, as an administrator sets up the dashboard."""

from __future__ import annotations

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
    result = runner.invoke(cli, ["user", "add", "root", "--role", "admin", "--password", "r00t-pass!"])
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
    runner.invoke(cli, ["user", "add", "alice", "--password", "s3cret-pass"])
    result = runner.invoke(cli, ["user", "disable", "alice"])
    assert (result.exit_code, result.output) == (0, "disabled alice\n")
    assert _users(database)[0]["active"] is False
    assert "disabled" in runner.invoke(cli, ["user", "list"]).output


def test_bad_input_names_the_culprit(database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "add", "alice", "--password", "short"])
    assert result.exit_code == 2
    assert "needs at least 8 characters" in result.output
    result = runner.invoke(cli, ["user", "add", "alice", "--role", "boss", "--password", "long-enough"])
    assert result.exit_code == 2
    assert "'boss' is not one of 'agent', 'admin'" in result.output
    runner.invoke(cli, ["user", "add", "alice", "--password", "long-enough"])
    result = runner.invoke(cli, ["user", "add", "alice", "--password", "long-enough"])
    assert result.exit_code == 2
    assert "a user called 'alice' already exists" in result.output
    result = runner.invoke(cli, ["user", "disable", "nobody"])
    assert result.exit_code == 2
    assert "no user called 'nobody'" in result.output
    assert len(_users(database)) == 1
