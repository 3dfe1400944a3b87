"""`ivr demo seed` reads the project's .env like every other command (and the server)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.cli import cli
from tests.conftest import upgraded


def test_demo_seed_uses_the_database_named_in_dot_env(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'from-dotenv.sqlite3'}"
    upgraded(url)
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    monkeypatch.setattr("ivr.config.PROJECT_ROOT", tmp_path)
    monkeypatch.setenv("DATABASE_URL", "unset below")  # so that the undo removes what .env sets
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path / "instance"))
    result = CliRunner().invoke(cli, ["demo", "seed"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "from-dotenv.sqlite3" in result.output
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar_one() > 0
    engine.dispose()
