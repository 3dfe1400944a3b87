"""Menus go live safely: a broken or failing edit never replaces the menu that works."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ivr.menu.catalog import MenuCatalog
from tests.conftest import ROOT

MINI = ROOT / "tests" / "menus" / "mini.yaml"


def write(path: Path, text: str) -> None:
    """Replace a file and make sure its change is visible (mtime moves forward)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_a_good_edit_goes_live_and_a_broken_one_keeps_the_last_good(tmp_path: Path) -> None:
    menus = tmp_path / "menus"
    menus.mkdir()
    target = menus / "mini.yaml"
    shutil.copy(MINI, target)
    catalog = MenuCatalog(menus, check_every=0)
    first = catalog.get("mini")
    assert first is not None and catalog.problems == []

    good = MINI.read_text().replace("We are closed.", "We are closed today.")
    write(target, good)
    catalog.reload()
    second = catalog.get("mini")
    assert second is not None and second.version != first.version
    assert second.nodes["closed"].say.versions["en"].text == "We are closed today."  # type: ignore[union-attr]

    write(target, good.replace("type: hangup", "type: hangupp"))  # a loader error
    catalog.reload()
    assert catalog.get("mini") is second
    assert [p.where.line for p in catalog.problems] and "hangupp" in str(catalog.problems[0])

    write(target, good.replace("voice: Polly.Carmen", "voice: woman"))  # loads, fails the check
    catalog.reload()
    assert catalog.get("mini") is second
    assert any("Romanian" in p.message or "ro-RO" in p.message for p in catalog.problems)

    write(target, good.replace("We are closed today.", "Closed."))  # fixed again
    catalog.reload()
    live = catalog.get("mini")
    assert live is not None and live.version not in (first.version, second.version)
    assert catalog.problems == []


def test_a_broken_file_that_never_worked_answers_nothing_but_others_do(tmp_path: Path) -> None:
    menus = tmp_path / "menus"
    menus.mkdir()
    shutil.copy(MINI, menus / "mini.yaml")
    (menus / "other.yaml").write_text("languages: [en\n")
    catalog = MenuCatalog(menus, check_every=0)
    assert list(catalog.menus) == ["mini"]
    assert catalog.problems and catalog.problems[0].where.file.endswith("other.yaml")
    assert catalog.for_number("+15005550001") is catalog.get("mini")
