"""`ivr doctor`: a good configuration passes; each broken one fails with its advice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ivr.cli import cli
from ivr.migrations import upgrade
from ivr.ops.doctor import DOCTOR_CALL_SID
from ivr.ops.logs import unconfigure
from tests.conftest import ROOT, TOKEN, upgraded

SID = "AC" + "3" * 32


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    unconfigure()


def _env(db_url: str, tmp_path: Path, **overrides: str | None) -> dict[str, str | None]:
    """A production configuration that is right in every respect, changed by ``overrides``."""
    env: dict[str, str | None] = {
        "IVR_ENV": "production", "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": SID,
        "IVR_PUBLIC_URL": "https://ivr.example.org", "IVR_TRUSTED_PROXIES": "0",
        "DATABASE_URL": db_url, "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "IVR_MENUS_DIR": str(ROOT / "menus"), "IVR_PROMPTS_DIR": str(ROOT / "prompts"),
        "IVR_METRICS_TOKEN": "scrape", "IVR_LOG_FORMAT": "text", "SECRET_KEY": "doctor",
        "IVR_SPOOL_DIR": str(tmp_path / "spool"),
    }
    env.update(overrides)
    return env


def doctor(env: dict[str, str | None]) -> Result:
    """Run `ivr doctor` with this environment."""
    return CliRunner().invoke(cli, ["doctor"], env=env, catch_exceptions=False)


def line(result: Result, topic: str) -> str:
    """The report line of one check."""
    found = [x for x in result.output.splitlines() if f" {topic}: " in x[:30]]
    assert found, result.output
    return found[0]


def test_a_good_configuration_passes_every_check(db_url: str, tmp_path: Path,
                                                 demo_connection: dict[str, str]) -> None:
    # On PostgreSQL the demo menus' lookups need the operator's read-only role.
    result = doctor({**_env(db_url, tmp_path), **demo_connection})
    assert result.exit_code == 0, result.output
    for topic in ("public URL", "auth token", "account SID", "signed request", "database",
                  "menus", "menu check", "prompts", "outbox", "metrics"):
        assert line(result, topic).startswith("OK "), result.output
    assert "validated and answered TwiML" in line(result, "signed request")
    assert result.output.rstrip().endswith("0 problem(s), 0 warning(s): ready for calls")
    # The test call went through the app without leaving a call in the database.
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        calls = conn.execute(sa.text("SELECT count(*) FROM calls WHERE call_sid = :sid"),
                             {"sid": DOCTOR_CALL_SID}).scalar_one()
    engine.dispose()
    assert calls == 0


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'doctor.sqlite3'}"
    upgraded(url)
    return url


def test_production_without_a_token_fails_with_the_reason(sqlite_url: str, tmp_path: Path) -> None:
    result = doctor(_env(sqlite_url, tmp_path, TWILIO_AUTH_TOKEN=None))
    assert result.exit_code == 1
    assert line(result, "configuration").startswith("FAIL")
    assert "TWILIO_AUTH_TOKEN is not set" in result.output


@pytest.mark.parametrize(("url", "says"), [
    (None, "IVR_PUBLIC_URL is not set"),
    ("http://ivr.example.org", "is not https"),
    ("ivr.example.org", "is not an absolute http(s) base URL"),
])
def test_a_missing_or_insecure_public_url_fails(sqlite_url: str, tmp_path: Path,
                                                url: str | None, says: str) -> None:
    result = doctor(_env(sqlite_url, tmp_path, IVR_PUBLIC_URL=url))
    assert result.exit_code == 1
    assert line(result, "public URL").startswith("FAIL") and says in line(result, "public URL")
    lines = result.output.splitlines()
    assert lines[lines.index(line(result, "public URL")) + 1].startswith("      -> ")  # advice


def test_an_implausible_token_and_account_sid_fail(sqlite_url: str, tmp_path: Path) -> None:
    result = doctor(_env(sqlite_url, tmp_path, TWILIO_AUTH_TOKEN="SKsecret-of-an-api-key",
                         TWILIO_ACCOUNT_SID="AC123"))
    assert result.exit_code == 1
    assert line(result, "auth token").startswith("FAIL")
    assert "32 hexadecimal" in line(result, "auth token")
    assert line(result, "account SID").startswith("FAIL")


def test_a_request_the_app_refuses_fails(sqlite_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ivr.web.security.signature_ok", lambda: False)
    result = doctor(_env(sqlite_url, tmp_path))
    assert result.exit_code == 1
    assert line(result, "signed request").startswith("FAIL")
    assert "was refused" in line(result, "signed request")
    assert "IVR_PUBLIC_URL must be exactly the base URL Twilio calls" in result.output


def test_a_database_behind_the_code_fails(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0003")
    result = doctor(_env(url, tmp_path))
    assert result.exit_code == 1
    assert line(result, "database").startswith("FAIL")
    assert "behind (0003 vs" in line(result, "database")
    assert "run `ivr db upgrade`" in result.output


def test_an_unreachable_database_fails(tmp_path: Path) -> None:
    result = doctor(_env("postgresql+psycopg://ivr@127.0.0.1:9/ivr?connect_timeout=2", tmp_path))
    assert result.exit_code == 1
    assert line(result, "database").startswith("FAIL") and "unreachable" in result.output


def test_broken_menus_and_missing_prompts(sqlite_url: str, tmp_path: Path) -> None:
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "broken.yaml").write_text("menu: broken\nnodes: [\n")
    result = doctor(_env(sqlite_url, tmp_path, IVR_MENUS_DIR=str(menus),
                         IVR_PROMPTS_DIR=str(tmp_path / "no-prompts")))
    assert result.exit_code == 1
    assert line(result, "menus").startswith("FAIL") and "no menu is loaded" in result.output
    assert line(result, "menu check").startswith("FAIL") and "broken.yaml" in result.output
    assert line(result, "prompts").startswith("WARN")


def test_missing_recordings_and_a_waiting_outbox_only_warn(sqlite_url: str,
                                                           tmp_path: Path) -> None:
    from ivr.notify import enqueue

    engine = sa.create_engine(sqlite_url)
    enqueue(engine, "voicemail:RE1:webhook", "webhook", {"voicemail_id": 1}, datetime.now(UTC))
    engine.dispose()
    empty_prompts = tmp_path / "prompts"
    empty_prompts.mkdir()
    result = doctor(_env(sqlite_url, tmp_path, IVR_PROMPTS_DIR=str(empty_prompts),
                         IVR_METRICS_TOKEN=None))
    assert result.exit_code == 0, result.output
    assert line(result, "prompts").startswith("WARN")
    assert "recording(s) missing" in line(result, "prompts")
    assert line(result, "outbox").startswith("WARN") and "1 notification" in result.output
    assert "ivr worker" in result.output
    assert line(result, "metrics").startswith("WARN")
    assert "ready for calls" in result.output and "NOT ready" not in result.output


# -- /healthz: the same facts, for load balancers --------------------------------------------


def test_health_is_ok_with_schema_token_and_outbox(db_url: str, tmp_path: Path) -> None:
    from tests.conftest import Clock, make_app, shutdown

    app = make_app(db_url, tmp_path, Clock(datetime.now(UTC)))
    try:
        response = app.test_client().get("/healthz")
        body = response.get_json()
        assert response.status_code == 200, body
        assert body["schema"] == "head" and body["auth_token"] is True
        assert body["outbox_backlog"] == 0 and body["problems"] == []
    finally:
        shutdown(app)


def test_health_is_503_for_an_implausible_token(sqlite_url: str, tmp_path: Path) -> None:
    from tests.conftest import Clock, make_app, shutdown

    app = make_app(sqlite_url, tmp_path, Clock(datetime.now(UTC)),
                   TWILIO_AUTH_TOKEN="not-the-auth-token")
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["auth_token"] == "implausible" and body["status"] == "degraded"
        assert any("32 hexadecimal" in p for p in body["problems"])
    finally:
        shutdown(app)


def test_health_is_503_when_the_schema_is_behind(tmp_path: Path) -> None:
    from tests.conftest import Clock, make_app, shutdown

    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    upgrade(url, "0004")
    app = make_app(url, tmp_path, Clock(datetime.now(UTC)))
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["schema"].startswith("behind (0004 vs")
        assert any("ivr db upgrade" in p for p in body["problems"])
    finally:
        shutdown(app)


def test_proxies_trusted_from_anywhere_are_a_warning(sqlite_url: str, tmp_path: Path) -> None:
    anywhere = doctor(_env(sqlite_url, tmp_path, IVR_TRUSTED_PROXIES="1", IVR_PROXY_ADDRESSES="*"))
    assert line(anywhere, "proxies").startswith("WARN")
    assert "IVR_PROXY_ADDRESSES=*" in line(anywhere, "proxies")
    only = doctor(_env(sqlite_url, tmp_path, IVR_TRUSTED_PROXIES="1",
                       IVR_PROXY_ADDRESSES="10.0.0.0/8"))
    assert line(only, "proxies").startswith("OK ") and "10.0.0.0/8" in line(only, "proxies")
