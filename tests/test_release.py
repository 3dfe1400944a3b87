"""A release is pyproject.toml's version with its section in CHANGES.md, saying how to upgrade."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT

VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def sections() -> list[tuple[str, str]]:
    """The ``## `` sections of CHANGES.md: (heading, body), newest first."""
    text = (ROOT / "CHANGES.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


def test_the_newest_section_is_unreleased_or_the_projects_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert VERSION.match(version), version
    found = sections()
    assert found
    newest = found[0][0]
    assert newest in ("Unreleased", version) or newest.startswith(f"{version} "), newest
    for heading, _ in found[1:]:
        assert VERSION.match(heading.split()[0]), f"a release heading names its version: {heading}"


def test_every_section_says_what_an_operator_must_do_on_upgrade() -> None:
    for heading, body in sections():
        assert "**Upgrading**" in body, f"CHANGES.md section {heading!r} has no Upgrading note"
