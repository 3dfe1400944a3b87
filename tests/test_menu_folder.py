"""One source of truth: a file in the menus folder never silently replaces a published version.

The folder watcher is driven directly (``catalog.reload()`` after a file changes, its
modification time moved on explicitly), so nothing here waits on the wall clock.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.data.tables import make_engine
from ivr.menu.catalog import MenuCatalog
from ivr.menu.versions import MenuVersions
from ivr.ops.logs import unconfigure
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ADMIN_PASSWORD, ROOT, TOKEN, Clock, csrf_token_of, log_in, make_app, shutdown

MINI = ROOT / "tests" / "menus" / "mini.yaml"
PROMPTS = ROOT / "prompts"
OLD = "We are open Monday to Friday, nine to five."
NEW = "We are open every weekday from nine."
GIFT = "Gift cards are sold at the desk."


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`ivr doctor` configures the process's logging: undo it for the next test."""
    yield
    unconfigure()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    menus = tmp_path / "menus"
    menus.mkdir()
    shutil.copy(MINI, menus / "mini.yaml")
    return menus


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock, folder: Path) -> Iterator[Any]:
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(folder),
                           IVR_MENU_CHECK_SECONDS="0")
    users = application.extensions["dashboard"].users
    users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    users.add_user("alice", "agent-password-1", "agent", clock())
    yield application
    shutdown(application)


def rewrite(path: Path, text: str) -> None:
    """Change a file and move its modification time on, as a later save would."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def hours_heard(app: Any) -> str:
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("1")
    return " ".join(h.text for h in phone.press("1"))


def run(db_url: str, folder: Path, *args: str) -> Any:
    env = {"DATABASE_URL": db_url, "IVR_MENUS_DIR": str(folder), "IVR_PROMPTS_DIR": str(PROMPTS),
           "IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "folder",
           "IVR_INSTANCE_DIR": str(folder.parent / "instance")}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def admin(app: Any) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    assert log_in(client, "root", ADMIN_PASSWORD).status_code == 302
    return client, {"X-CSRF-Token": csrf_token_of(client)}


def test_a_file_edit_never_replaces_a_dashboard_publish_until_an_admin_chooses(
        app: Any, db_url: str, folder: Path, tmp_path: Path) -> None:
    svc = app.extensions["ivr"]
    client, csrf = admin(app)
    published = MINI.read_text().replace(OLD, GIFT)
    reply = client.post("/dashboard/admin/menus/mini.yaml/publish", headers=csrf,
                        json={"text": published, "note": "gift cards"})
    assert reply.status_code == 200 and reply.get_json()["version"] == 2
    svc.catalog.reload()
    assert GIFT in hours_heard(app)

    # An admin appends a comment to the old file in the menus folder.
    rewrite(folder / "mini.yaml", MINI.read_text() + "# a note\n")
    svc.catalog.reload()
    assert GIFT in hours_heard(app)  # new calls still hear the published version
    assert [v.number for v in svc.versions.history("mini.yaml")] == [2, 1]
    [state] = svc.catalog.divergences
    assert state.file == "mini.yaml" and state.live_number == 2
    assert "differs from live version 2 (published from the dashboard by root" in \
        state.describe()

    history = run(db_url, folder, "menu", "history", "mini.yaml")
    assert history.exit_code == 0
    assert "DIVERGED: menus/mini.yaml differs from live version 2" in history.output
    assert "ivr menu adopt-file mini.yaml" in history.output

    health = client.get("/healthz").get_json()
    assert health["menu_files_diverged"] == [state.describe()]
    assert health["status"] == "ok"  # calls are answered: a warning, not an outage

    page = client.get("/dashboard/admin/menus/").get_data(as_text=True)
    assert 'data-diverged="mini.yaml"' in page and 'data-folder-state="diverged"' in page

    doctor = run(db_url, folder, "doctor")
    warned = [line for line in doctor.output.splitlines() if " menu folder: " in line]
    assert warned and warned[0].startswith("WARN") and "live version 2" in warned[0]

    # Export the live version over the file, edit it: the edit goes live.
    exported = run(db_url, folder, "menu", "export", "mini.yaml")
    assert exported.exit_code == 0 and "wrote version 2" in exported.output
    svc.catalog.reload()
    assert svc.catalog.divergences == []
    text = (folder / "mini.yaml").read_text()
    assert text.startswith("# ivr-menu-version: 2 ")
    rewrite(folder / "mini.yaml", text.replace(GIFT, NEW))
    svc.catalog.reload()
    assert NEW in hours_heard(app)
    live = svc.versions.live("mini.yaml")
    assert live.number == 3 and live.source == "file"
    assert "ivr-menu-version" not in live.text  # the marker stays in the file
    # Publishing the exported file from the command line stores no marker line either.
    assert "nothing was published" in run(db_url, folder, "menu", "publish",
                                          str(folder / "mini.yaml")).output
    # A second edit of the same file goes live too: the folder leads now.
    rewrite(folder / "mini.yaml", (folder / "mini.yaml").read_text().replace(NEW, OLD))
    svc.catalog.reload()
    assert OLD in hours_heard(app) and svc.versions.live("mini.yaml").number == 4


def test_the_named_command_makes_a_diverged_file_live(db_url: str, folder: Path) -> None:
    engine = make_engine(db_url)
    versions = MenuVersions(engine, folder, PROMPTS)
    catalog = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    try:
        published = run(db_url, folder, "menu", "publish", str(MINI), "--as", "mini.yaml")
        assert "the text is the live version 1 already; nothing was published" in \
            published.output and published.exit_code == 0
        edited = folder.parent / "edited.yaml"
        edited.write_text(MINI.read_text().replace(OLD, GIFT))
        assert run(db_url, folder, "menu", "publish", str(edited), "--as",
                   "mini.yaml").exit_code == 0
        rewrite(folder / "mini.yaml", MINI.read_text().replace(OLD, NEW))
        catalog.reload()
        assert versions.live("mini.yaml").number == 2
        [state] = catalog.divergences
        assert "published from the command line" in state.describe()

        adopted = run(db_url, folder, "menu", "adopt-file", "mini.yaml", "--author", "ana")
        assert adopted.exit_code == 0, adopted.output
        assert "mini.yaml version 3 published (the menus folder's file)" in adopted.output
        live = versions.live("mini.yaml")
        assert live.source == "adopted" and NEW in live.text and live.author == "ana"
        catalog.reload()
        assert catalog.divergences == []
        menu = catalog.get("mini")
        assert menu is not None and menu.nodes["hours_info"].say.versions["en"].text == NEW  # type: ignore[attr-defined]
        again = run(db_url, folder, "menu", "adopt-file", "mini.yaml")
        assert "nothing was published" in again.output
        assert len(versions.history("mini.yaml")) == 3
    finally:
        catalog.close()
        engine.dispose()


def test_upgrading_adopts_unmarked_files_equal_to_live_and_reports_the_others(
        db_url: str, folder: Path) -> None:
    """A deployment from before markers: files carry none, the dashboard published since."""
    engine = make_engine(db_url)
    versions = MenuVersions(engine, folder, PROMPTS)
    try:
        MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
        (folder / "vm.yaml").write_text((ROOT / "tests" / "menus" / "vm.yaml").read_text())
        MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
        assert versions.publish("mini.yaml", MINI.read_text().replace(OLD, GIFT), "ana").ok
        vm = (folder / "vm.yaml").read_text()
        assert versions.publish("vm.yaml", vm + "# checked\n", "ana").ok
        # The operator copied vm's live text into the folder by hand; mini's file is old.
        (folder / "vm.yaml").write_text(vm + "# checked\n")

        upgraded = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
        states = {s.file: s for s in upgraded.folder_states}
        assert states["vm.yaml"].state == "same"
        assert states["mini.yaml"].state == "diverged"
        assert states["mini.yaml"].holds_version == 1
        assert "it holds version 1's text" in states["mini.yaml"].describe()
        menu = upgraded.get("mini")
        assert menu is not None and menu.nodes["hours_info"].say.versions["en"].text == GIFT  # type: ignore[attr-defined]

        # The adopted file, edited without a marker, goes live: it started from live.
        rewrite(folder / "vm.yaml", vm + "# checked twice\n")
        upgraded.reload()
        assert versions.live("vm.yaml").text.endswith("# checked twice\n")
        assert versions.live("vm.yaml").source == "file"
    finally:
        engine.dispose()


def test_a_file_marked_with_an_older_version_is_not_imported(versions_store: Any,
                                                             folder: Path) -> None:
    versions = versions_store
    catalog = MenuCatalog(folder, check_every=0, prompts_dir=PROMPTS, versions=versions)
    assert versions.publish("mini.yaml", MINI.read_text().replace(OLD, GIFT), "ana").ok
    exported = versions.export_text("mini.yaml")
    assert exported is not None
    rewrite(folder / "mini.yaml", exported[1])
    catalog.reload()
    assert catalog.divergences == [] and len(versions.history("mini.yaml")) == 2
    assert versions.publish("mini.yaml", MINI.read_text().replace(OLD, NEW), "bob").ok
    # The exported file (of version 2) is edited after bob published version 3.
    rewrite(folder / "mini.yaml", exported[1].replace(GIFT, "Edited on top of version 2."))
    catalog.reload()
    assert versions.live("mini.yaml").number == 3
    [state] = catalog.divergences
    assert "by bob" in state.describe()


@pytest.fixture
def versions_store(db_url: str, folder: Path) -> Iterator[MenuVersions]:
    engine = make_engine(db_url)
    yield MenuVersions(engine, folder, PROMPTS)
    engine.dispose()


def test_the_adopt_button_is_for_admins_with_the_csrf_token(app: Any, folder: Path) -> None:
    svc = app.extensions["ivr"]
    assert svc.versions.publish("mini.yaml", MINI.read_text().replace(OLD, GIFT), "ana").ok
    rewrite(folder / "mini.yaml", MINI.read_text().replace(OLD, NEW))
    svc.catalog.reload()
    agent = app.test_client()
    log_in(agent)
    assert agent.post("/dashboard/admin/menus/mini.yaml/adopt",
                      data={"csrf_token": csrf_token_of(agent)}).status_code == 403
    client, _ = admin(app)
    assert client.post("/dashboard/admin/menus/mini.yaml/adopt").status_code in (400, 403)
    assert svc.versions.live("mini.yaml").number == 2
    reply = client.post("/dashboard/admin/menus/mini.yaml/adopt",
                        data={"csrf_token": csrf_token_of(client)}, follow_redirects=True)
    assert reply.status_code == 200
    assert "is live as version 3" in reply.get_data(as_text=True)
    svc.catalog.reload()
    assert NEW in hours_heard(app) and svc.catalog.divergences == []


def test_publishing_the_live_text_creates_nothing_and_equal_versions_have_no_changes(
        app: Any, db_url: str, folder: Path) -> None:
    svc = app.extensions["ivr"]
    client, csrf = admin(app)
    text = svc.versions.live("mini.yaml").text
    reply = client.post("/dashboard/admin/menus/mini.yaml/publish", headers=csrf,
                        json={"text": text, "note": "same"})
    body = reply.get_json()
    assert reply.status_code == 200 and body["unchanged"] and body["version"] == 1
    assert "Nothing to publish" in body["message"]
    assert len(svc.versions.history("mini.yaml")) == 1
    assert svc.versions.publish("mini.yaml", text.replace(OLD, NEW), "ana").ok
    first = svc.versions.history("mini.yaml")[-1]
    assert svc.versions.rollback("mini.yaml", first.id, "ana").ok
    result = run(db_url, folder, "menu", "diff", "mini.yaml", "1", "3")
    assert result.exit_code == 0
    assert result.output == "mini.yaml version 1 and version 3: no changes\n"
    assert "+      en:" in run(db_url, folder, "menu", "diff", "mini.yaml", "1", "2").output
