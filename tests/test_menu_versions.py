"""Published menu versions: checked before going live, shared by every worker, rolled back."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.data.tables import make_engine
from ivr.menu.catalog import MenuCatalog
from ivr.menu.versions import MenuVersions
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown

MINI = ROOT / "tests" / "menus" / "mini.yaml"
PROMPTS = ROOT / "prompts"
OLD = "We are open Monday to Friday, nine to five."
NEW = "We are open every weekday from nine."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    menus = tmp_path / "menus"
    menus.mkdir()
    shutil.copy(MINI, menus / "mini.yaml")
    return menus


@pytest.fixture
def versions(db_url: str, folder: Path) -> Any:
    engine = make_engine(db_url)
    yield MenuVersions(engine, folder, PROMPTS)
    engine.dispose()


def said(heard: list[Any]) -> str:
    return " ".join(h.text for h in heard)


def hours_text(catalog: MenuCatalog) -> str:
    menu = catalog.get("mini")
    assert menu is not None
    return menu.nodes["hours_info"].say.versions["en"].text  # type: ignore[attr-defined, no-any-return]


def test_files_are_imported_once_and_a_publish_reaches_every_catalog(versions: Any,
                                                                     folder: Path) -> None:
    first = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    second = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    history = versions.history("mini.yaml")
    assert [v.number for v in history] == [1]  # the second instance imported nothing again
    assert history[0].source == "file" and history[0].live

    result = versions.publish("mini.yaml", MINI.read_text().replace(OLD, NEW), "ana", "shorter")
    assert result.ok and result.version.number == 2
    for catalog in (first, second):
        catalog.maybe_reload()
        assert hours_text(catalog) == NEW

    # Restarting with the unchanged file in the folder keeps the dashboard's edit live.
    third = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    assert hours_text(third) == NEW
    assert len(versions.history("mini.yaml")) == 2


def test_a_changed_file_is_published_and_a_broken_file_is_not(versions: Any, folder: Path) -> None:
    catalog = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    target = folder / "mini.yaml"
    stat = target.stat()
    target.write_text(MINI.read_text().replace(OLD, NEW))
    os.utime(target, ns=(stat.st_mtime_ns + 10**9, stat.st_mtime_ns + 10**9))
    catalog.reload()
    assert hours_text(catalog) == NEW
    assert versions.live("mini.yaml").number == 2

    target.write_text(MINI.read_text().replace("type: hangup", "type: hangupp"))
    os.utime(target, ns=(stat.st_mtime_ns + 2 * 10**9, stat.st_mtime_ns + 2 * 10**9))
    catalog.reload()
    assert hours_text(catalog) == NEW  # still serving
    assert versions.live("mini.yaml").number == 2
    assert any("hangupp" in str(p) and p.where.line > 1 for p in catalog.problems)


def test_publish_rejects_errors_at_their_lines_and_changes_nothing(versions: Any,
                                                                   folder: Path) -> None:
    catalog = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    text = MINI.read_text()
    broken = text.replace("    go: returns\n", "    go: nowhere\n")
    line = broken.splitlines().index("        go: nowhere") + 1
    result = versions.publish("mini.yaml", broken, "ana")
    assert not result.ok and result.version is None
    errors = [p for p in result.problems if p.severity == "error"]
    assert errors and errors[0].where.line == line and "nowhere" in errors[0].message
    assert str(errors[0]).startswith(f"menus/mini.yaml:{line}:")
    assert [v.number for v in versions.history("mini.yaml")] == [1]
    catalog.maybe_reload()
    assert hours_text(catalog) == OLD


def test_a_second_menu_may_not_claim_a_number_already_answered(versions: Any,
                                                               folder: Path) -> None:
    MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    other = MINI.read_text().replace("menu: mini", "menu: other").replace("default: true",
                                                                          "default: false")
    result = versions.publish("other.yaml", other, "ana")
    assert not result.ok
    assert any("+15005550001" in p.message and p.where.file == "menus/other.yaml"
               for p in result.problems)


def test_rollback_publishes_the_old_text_as_a_new_version(versions: Any, folder: Path) -> None:
    catalog = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    versions.publish("mini.yaml", MINI.read_text().replace(OLD, NEW), "ana")
    catalog.maybe_reload()
    assert hours_text(catalog) == NEW
    first = versions.history("mini.yaml")[-1]
    result = versions.rollback("mini.yaml", first.id, "bob")
    assert result.ok and result.version.number == 3 and result.version.source == "rollback"
    catalog.maybe_reload()
    assert hours_text(catalog) == OLD
    diff = versions.diff(versions.history("mini.yaml")[1].text, result.version.text, "2", "3")
    assert f"-      en: \"{NEW}\"" in diff and f"+      en: \"{OLD}\"" in diff
    assert [(v.number, v.live) for v in versions.history("mini.yaml")] == [
        (3, True), (2, False), (1, False)]


def test_drafts_are_kept_with_errors_and_published_ones_are_cleared(versions: Any,
                                                                    folder: Path) -> None:
    MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    problems = versions.save_draft("mini.yaml", "languages: [en\n", "ana")
    assert problems and versions.draft("mini.yaml").text == "languages: [en\n"
    assert versions.draft_menu("mini.yaml") is None  # a draft with errors cannot be called
    good = MINI.read_text().replace(OLD, NEW)
    assert not [p for p in versions.save_draft("mini.yaml", good, "ana") if p.severity == "error"]
    draft = versions.draft_menu("mini.yaml")
    assert draft is not None and draft.id == "draft--mini" and draft.numbers == ()
    assert versions.publish("mini.yaml", good, "ana").ok
    assert versions.draft("mini.yaml") is None


def test_a_simulated_call_on_a_draft_hears_the_draft_and_callers_hear_the_live_menu(
        db_url: str, tmp_path: Path, clock: Clock, folder: Path) -> None:
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(folder), IVR_MENU_CHECK_SECONDS="0")
    try:
        versions = app.extensions["ivr"].versions
        versions.save_draft("mini.yaml", MINI.read_text().replace(OLD, NEW), "ana")
        tryout = Phone(FlaskTransport(app), TOKEN, called="+15005550001",
                       voice_path="/voice?draft=mini.yaml")
        tryout.dial()
        tryout.press("1")
        assert NEW in said(tryout.press("1"))
        assert tryout.exchanges[-1].url.split("m=", 1)[1].startswith("draft--mini")

        caller = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
        caller.dial()
        caller.press("1")
        assert OLD in said(caller.press("1"))
    finally:
        shutdown(app)


def test_a_call_in_progress_survives_its_node_vanishing(db_url: str, tmp_path: Path,
                                                         clock: Clock, folder: Path) -> None:
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(folder), IVR_MENU_CHECK_SECONDS="0")
    try:
        phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
        phone.dial()
        phone.press("1")
        assert "start a return" in said(phone.press("2")).lower()  # in the returns menu
        text = MINI.read_text()
        # Publish a version without the returns menu while the caller is in it.
        without = text.replace("        go: returns\n", "        go: refunds\n")
        start = without.index("  returns:\n")
        without = without[:start] + without[without.index("  return_how:\n"):]
        without = without.replace("    next: main\n  refunds:", "    next: main\n  refunds:")
        result = app.extensions["ivr"].versions.publish("mini.yaml", without, "ana")
        assert result.ok, [str(p) for p in result.problems]
        heard = said(phone.press("1"))
        # Not an application error: the caller is told and taken to the main menu.
        assert "For opening hours, press 1" in heard
        assert not phone.ended
    finally:
        shutdown(app)


def test_the_menu_commands_publish_list_diff_roll_back_and_export(
        db_url: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(db_url)
    MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS,
                versions=MenuVersions(engine, folder, PROMPTS))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("IVR_MENUS_DIR", str(folder))
    runner = CliRunner()
    edited = tmp_path / "mini.yaml"
    edited.write_text(MINI.read_text().replace(OLD, NEW))
    result = runner.invoke(cli, ["menu", "publish", str(edited), "--note", "shorter",
                                 "--author", "ana"])
    assert result.exit_code == 0, result.output
    assert "mini.yaml version 2 published" in result.output

    broken = tmp_path / "broken.yaml"
    broken.write_text(MINI.read_text().replace("type: hangup", "type: hangupp"))
    result = runner.invoke(cli, ["menu", "publish", str(broken), "--as", "mini.yaml"])
    assert result.exit_code == 1 and "hangupp" in result.output and "unchanged" in result.output

    result = runner.invoke(cli, ["menu", "history", "mini.yaml"])
    lines = result.output.splitlines()
    assert lines[0].startswith("*    2") and "ana" in lines[0] and "shorter" in lines[0]
    assert lines[1].startswith("     1")
    # In the zone of the menu's opening hours (Europe/Bucharest), as the dashboard shows it.
    versions = [line for line in lines if re.match(r"[* ] +\d+ ", line)]
    assert len(versions) == 2
    assert all(re.search(r" \d{2}:\d{2} EES?T ", line) for line in versions), lines

    result = runner.invoke(cli, ["menu", "diff", "mini.yaml", "1"])
    assert f"+      en: \"{NEW}\"" in result.output

    result = runner.invoke(cli, ["menu", "rollback", "mini.yaml", "1"])
    assert result.exit_code == 0 and "version 3 published" in result.output

    (folder / "mini.yaml").write_text("stale")
    result = runner.invoke(cli, ["menu", "export", "mini.yaml"])
    assert result.exit_code == 0
    exported = (folder / "mini.yaml").read_text()
    first, rest = exported.split("\n", 1)
    assert first.startswith("# ivr-menu-version: 3 ") and rest == MINI.read_text()


def test_a_slow_reload_never_makes_a_call_wait(versions: Any, folder: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """In the background mode workers use, a reload in progress leaves the live menus serving."""
    import threading
    import time

    catalog = MenuCatalog(folder, check_every=0.05, prompts_dir=PROMPTS, versions=versions,
                          background=True)
    before = catalog.get("mini")
    assert before is not None
    loading = threading.Event()
    release = threading.Event()
    slow_menu_of = versions.menu_of

    loaded = threading.Event()

    def slow(file: str, text: str) -> Any:
        loading.set()
        release.wait(30)  # a big menu taking its time to load: until the calls are done
        loaded.set()
        return slow_menu_of(file, text)

    assert versions.publish("mini.yaml", MINI.read_text().replace(OLD, NEW), "ana").ok
    monkeypatch.setattr(versions, "menu_of", slow)
    catalog.maybe_reload()  # starts this process's reload thread
    assert loading.wait(60), "the reload thread did not pick the new version up"
    for _ in range(100):  # calls meanwhile: answered at once, by the version they had
        catalog.maybe_reload()
        assert catalog.get("mini") is before
    assert not loaded.is_set()  # none of them waited for the load to end
    release.set()
    deadline = time.monotonic() + 60  # a hang guard
    try:
        while hours_text(catalog) != NEW:
            assert time.monotonic() < deadline, "the new version never went live"
            time.sleep(0.02)
    finally:
        catalog.close()


def test_instances_starting_together_import_a_file_once(db_url: str, folder: Path) -> None:
    """Eight workers racing to import the same new file text publish one version."""
    import threading

    from sqlalchemy.exc import SQLAlchemyError

    text = MINI.read_text()
    stores = [MenuVersions(make_engine(db_url), folder, PROMPTS) for _ in range(8)]
    start = threading.Barrier(len(stores))
    published: list[int] = []

    def import_it(store: MenuVersions) -> None:
        start.wait()
        try:
            version, _ = store.import_from_disk("mini.yaml", text)
        except SQLAlchemyError:
            return  # SQLite refuses a racing writer; the catalog tries again at its next check
        if version is not None:
            published.append(version.number)

    threads = [threading.Thread(target=import_it, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert published == [1]
        assert [v.number for v in stores[0].history("mini.yaml")] == [1]
        assert stores[0].import_from_disk("mini.yaml", text) == (None, [])  # a later start
    finally:
        for store in stores:
            store.engine.dispose()


def test_a_file_another_instance_is_still_publishing_is_served_from_disk(
        versions: Any, folder: Path) -> None:
    """Starting beside another instance that has claimed a file but not yet published it."""
    from ivr.menu.versions import sha_of

    MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)  # mini only
    text = (ROOT / "tests" / "menus" / "vm.yaml").read_text()
    (folder / "vm.yaml").write_text(text)  # a release adds a menu file
    versions._claim_disk("vm.yaml", sha_of(text))  # the other instance, mid-import
    late = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    assert late.get("mini") is not None  # from the database
    served = late.get("vm")
    assert served is not None and served.numbers == ("+15005550002",)  # from its own disk
    assert versions.history("vm.yaml") == []  # publishing is left to the other instance


def test_a_file_the_database_refused_is_not_served_beside_the_published_menus(
        versions: Any, folder: Path) -> None:
    other = MINI.read_text().replace("menu: mini", "menu: other").replace("default: true",
                                                                          "default: false")
    (folder / "other.yaml").write_text(other)  # claims mini's number: refused
    catalog = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    assert catalog.get("mini") is not None and catalog.get("other") is None
    assert any("+15005550001" in p.message for p in catalog.problems)
