"""Documentation that cannot drift: every setting, key, node kind and command is documented."""

from __future__ import annotations

import re

import pytest

from ivr.config import SETTINGS
from ivr.menu.loader import TOP_FIELDS
from ivr.nodes import NODE_KINDS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
MENUS_DOC = (ROOT / "docs" / "menus.md").read_text()
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text()


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_documented_with_its_default(name: str) -> None:
    default, _ = SETTINGS[name]
    row = next((line for line in CONFIG_DOC.splitlines() if line.startswith(f"| `{name}` |")),
               None)
    assert row is not None, f"{name} is missing from docs/configuration.md"
    assert (f"`{default}`" if default else "(empty)") in row


@pytest.mark.parametrize("kind", sorted(NODE_KINDS))
def test_every_node_kind_has_a_section(kind: str) -> None:
    assert re.search(rf"^#+ .*`?type: {kind}`?", MENUS_DOC, re.MULTILINE) or re.search(
        rf"^#+ .*\b{kind}\b", MENUS_DOC, re.MULTILINE), f"docs/menus.md has no section on {kind}"


@pytest.mark.parametrize("key", TOP_FIELDS)
def test_every_top_level_key_is_documented(key: str) -> None:
    assert f"`{key}`" in MENUS_DOC, f"docs/menus.md does not mention the top-level key {key}"


@pytest.mark.parametrize("command", ["make run", "make test", "ivr call", "ivr check"])
def test_readme_shows_the_commands(command: str) -> None:
    assert command in README


def test_readme_has_install_run_test_sections() -> None:
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert ["Install", "Run", "Test"] == [h for h in headings if h in ("Install", "Run", "Test")]


def test_the_complete_example_in_the_menu_reference_loads(tmp_path: object) -> None:
    from pathlib import Path

    from ivr.menu.lint import lint
    from ivr.menu.loader import load_text

    blocks = re.findall(r"```yaml\n(.*?)```", MENUS_DOC, re.DOTALL)
    complete = [b for b in blocks if "nodes:" in b and "languages:" in b]
    assert complete, "docs/menus.md has no complete example"
    menu = load_text(complete[0], "docs/menus.md")
    errors = [p for p in lint(menu, Path(str(tmp_path))) if p.severity == "error"]
    assert errors == []
