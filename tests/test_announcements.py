"""Announcements: set with `ivr announce`, heard first on the next call in each language
given, cleared, and ended by themselves at --until by the app's clock; never a new menu
version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.cli import cli
from ivr.migrations import upgrade
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN, Clock, make_app, shutdown
from tests.test_queue import LINE, QUEUE_MENU

# The announcement ends at 18:00 in Paris on 1 January 2099 (17:00 UTC).
UNTIL = "2099-01-01 18:00"
ENDS = datetime(2099, 1, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Clock]]:
    """The CLI's environment and a running app on the same database and menus."""
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'announce.sqlite3'}"
    upgrade(url)
    for name, value in {"IVR_ENV": "development", "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
                        "DATABASE_URL": url, "IVR_MENUS_DIR": str(menus),
                        "IVR_WORKER_IN_APP": "false"}.items():
        monkeypatch.setenv(name, value)
    clock = Clock(ENDS - timedelta(hours=2))
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    yield app, clock
    shutdown(app)


def first_heard(app: Any) -> list[Any]:
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE)
    return phone.dial()


def announce(*args: str) -> Any:
    return CliRunner().invoke(cli, ["announce", *args])


def test_an_announcement_is_heard_first_in_each_language_then_cleared(setup: Any) -> None:
    app, _ = setup
    versions_before = _count(app, "menu_versions")
    result = announce("desk", "Our website is down until noon.", "--lang", "en", "--by", "root")
    assert result.exit_code == 0, result.output
    result = announce("desk", "Notre site est en panne jusqu'à midi.", "--lang", "fr",
                      "--until", UNTIL, "--by", "root")
    assert result.exit_code == 0, result.output
    assert "until 2099-01-01T18:00:00+01:00" in result.output  # in the menu's time zone
    heard = first_heard(app)
    assert [(h.text, h.locale, h.voice) for h in heard[:2]] == [
        ("Our website is down until noon.", "en-US", "Polly.Joanna"),
        ("Notre site est en panne jusqu'à midi.", "fr-FR", "Polly.Lea")]
    assert heard[2].text == "English 1."  # then the menu, as before
    assert _count(app, "menu_versions") == versions_before  # no new version, no publish
    result = announce("desk", "--clear", "--lang", "en", "--by", "alice")
    assert result.exit_code == 0 and "1 announcement(s) on desk cleared" in result.output
    assert [h.text for h in first_heard(app)][:2] == ["Notre site est en panne jusqu'à midi.",
                                                      "English 1."]
    assert announce("desk", "--clear").exit_code == 0
    assert first_heard(app)[0].text == "English 1."
    history = app.extensions["ivr"].announcements.history("desk")
    assert [(h["lang"], h["set_by"], h["cleared_by"]) for h in history] == [
        ("fr", "root", history[0]["cleared_by"]), ("en", "root", "alice")]
    assert history[0]["cleared_by"].startswith("cli:")


def test_an_announcement_ends_by_itself_at_its_time(setup: Any) -> None:
    app, clock = setup
    assert announce("desk", "Closed at six today.", "--until", UNTIL).exit_code == 0
    clock.now = ENDS - timedelta(seconds=1)
    assert first_heard(app)[0].text == "Closed at six today."  # the menu's first language
    clock.now = ENDS
    assert first_heard(app)[0].text == "English 1."


@pytest.mark.parametrize("args,why", [
    (["desk", "Hello", "--lang", "de"], "'de' is not a language of desk"),
    (["desk", "Hello", "--until", "2001-01-01 10:00"], "is not a time in the future"),
    (["desk", "Hello", "--until", "tomorrow"], "is not a time in the future"),
    (["nowhere", "Hello"], "no menu 'nowhere'"),
    (["desk"], "give the text to say"),
    (["desk", "x" * 601], "give the text to say"),
])
def test_bad_announcements_are_refused_with_the_reason(setup: Any, args: list[str],
                                                       why: str) -> None:
    result = announce(*args)
    assert result.exit_code == 2 and why in result.output
    assert setup[0].extensions["ivr"].announcements.history("desk") == []


def _count(app: Any, table: str) -> int:
    engine = app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
