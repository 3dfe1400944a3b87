"""Menus written against earlier releases keep loading and answering calls (tests/compat/)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.menu.loader import load_menu
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown, upgraded

COMPAT = ROOT / "tests" / "compat"
FILES = sorted(COMPAT.glob("*.yaml"))


def test_the_folder_holds_menus_and_says_where_each_came_from() -> None:
    readme = (COMPAT / "README.md").read_text(encoding="utf-8")
    assert len(FILES) >= 3
    for path in FILES:
        assert f"`{path.name}`" in readme, f"{path.name} has no origin in tests/compat/README.md"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_an_earlier_menu_passes_ivr_check(path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(path), "--prompts", str(ROOT / "prompts")])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def calling(path: Path, tmp_path: Path, clock: Clock) -> Iterator[tuple[Any, Phone]]:
    """An app serving ``path`` alone (on its own SQLite database), and a phone calling it."""
    folder = tmp_path / "menus"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    url = f"sqlite:///{tmp_path / 'compat.sqlite3'}"
    upgraded(url)
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(folder), IVR_MENU_CHECK_SECONDS="0")
    menu = load_menu(path)
    try:
        yield app, Phone(FlaskTransport(app), TOKEN, called=menu.numbers[0])
    finally:
        shutdown(app)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_an_earlier_menu_answers_calls(path: Path, tmp_path: Path, clock: Clock) -> None:
    menu = load_menu(path)
    start = menu.nodes[menu.start]
    expected = start.say.versions[menu.default_language].text  # type: ignore[union-attr]
    for app, phone in calling(path, tmp_path, clock):
        assert app.extensions["ivr"].catalog.get(menu.id) is not None
        heard = " ".join(h.text for h in phone.dial())
        assert expected and expected in heard
        assert "went wrong" not in heard
        after = phone.press("1")
        assert after and not any("went wrong" in h.text for h in after)


def test_the_hungarian_town_hall_speaks_hungarian_and_borrows_only_a_new_phrase(
        tmp_path: Path, clock: Clock) -> None:
    path = COMPAT / "townhall_hu.yaml"
    menu = load_menu(path)
    assert menu.message("no_match", "hu") == "Elnézést, ezt nem értettem."
    assert menu.message("topics_intro", "hu") == menu.message("topics_intro", "ro")
    [note] = [p for p in menu.notes if "'hu'" in p.message]
    assert "topics_intro" in note.message and "callback" not in note.message
    for _app, phone in calling(path, tmp_path, clock):
        phone.dial()
        main = " ".join(h.text for h in phone.press("2"))
        assert "A nyitvatartásért nyomja meg az 1-est." in main
        wrong = phone.press("7")  # a key with no option: the Hungarian apology, in Hungarian
        sorry = [h for h in wrong if h.text == "Elnézést, ezt nem értettem."]
        assert sorry and sorry[0].locale == "hu-HU"
        opening = " ".join(h.text for h in phone.press("1"))
        assert "Hétfőtől csütörtökig" in opening


def test_an_old_sql_source_without_a_database_apologises_instead_of_dropping_the_menu(
        tmp_path: Path, clock: Clock) -> None:
    path = COMPAT / "shop_first_demo.yaml"
    menu = load_menu(path)
    assert any("names its database" in p.message and p.severity == "warning"
               for p in menu.notes)
    for _app, phone in calling(path, tmp_path, clock):
        phone.dial()
        phone.press("1")  # English
        phone.press("1")  # orders
        asked = " ".join(h.text for h in phone.press("4"))
        assert "six digit order number" in asked
        readback = " ".join(h.text for h in phone.press("123456"))
        assert "You entered 1 2 3 4 5 6." in readback
        heard = " ".join(h.text for h in phone.press("1"))
        assert "can't check that right now" in heard
        assert not phone.ended  # the apology, then the fallback: the line stays up
