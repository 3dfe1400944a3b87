"""The menus folder against the live versions: one source of truth, and when a file may follow.

The live menu is the newest published version. A file in the menus folder is imported
over it only when the file was derived from it:

- the file carries the marker line `ivr menu export` writes (the live version's number
  and the start of its hash), or
- the folder's previous text of the file was the live text (a file that equalled the
  live version, then was edited), or
- the live version itself came from the folder (the folder is the team's source).

Otherwise the file diverged: the live version was published from the dashboard, the
command line or a rollback since the file's text was written. It is not imported; it is
reported until an admin makes it live (`ivr menu adopt-file`, the dashboard's button) or
writes the live version over it (`ivr menu export`). Nothing here touches a database: the
decisions are pure functions of the live version, the file's text and what the folder
held before, so every instance and command reaches the same verdict.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

# Versions whose text came from the menus folder: while one is live, the folder leads.
FOLDER_SOURCES = ("file", "adopted")

# The first line `ivr menu export` writes; the service reads it and never stores it.
_MARKER = re.compile(r"\A# ivr-menu-version: (\d{1,9}) ([0-9a-f]{12})\b[^\n]*(?:\n|\Z)")
MARKER_HELP = "exported live version; keep this line: your edits go live only on top of it"


class LiveText(Protocol):
    """What the decisions read of a version (ivr.menu.versions.Version has it)."""

    @property
    def number(self) -> int:
        """The version's number."""

    @property
    def text(self) -> str:
        """The version's menu text."""

    @property
    def source(self) -> str:
        """Where it came from: file, adopted, dashboard, cli, rollback."""

    @property
    def author(self) -> str:
        """Who published it."""


@dataclass(frozen=True)
class Marker:
    """The live version a file was exported from."""

    number: int
    sha_prefix: str


def marker_line(number: int, sha: str) -> str:
    """The first line of an exported file (a YAML comment: loaders skip it)."""
    return f"# ivr-menu-version: {number} {sha[:12]} ({MARKER_HELP})\n"


def split_marker(text: str) -> tuple[Marker | None, str]:
    """The export marker of a file's text (if it has one) and the text without it."""
    found = _MARKER.match(text)
    if found is None:
        return None, text
    return Marker(int(found.group(1)), found.group(2)), text[found.end():]


def derived_from(live: LiveText, live_sha: str, marker: Marker | None,
                 previous_sha: str | None) -> bool:
    """Whether a changed file builds on the live version, so its change may go live."""
    if live.source in FOLDER_SOURCES:
        return True
    if marker is not None:
        return marker.number == live.number and live_sha.startswith(marker.sha_prefix)
    return previous_sha == live_sha


@dataclass(frozen=True)
class FileState:
    """How one file of the menus folder stands against its live version.

    ``state`` is ``same`` (the file holds the live text), ``pending`` (a change the
    service imports at its next check, if it passes `ivr check`) or ``diverged``.
    """

    file: str
    folder: str  # the folder's name, for messages
    state: str
    live_number: int
    live_source: str
    live_author: str
    holds_version: int | None = None  # the version whose text the file holds, if any

    @property
    def diverged(self) -> bool:
        """True when the file and the live menu differ and the file will not go live."""
        return self.state == "diverged"

    def describe(self) -> str:
        """One line for admins: what differs and what to do."""
        where = f"{self.folder}/{self.file}"
        if self.state == "same":
            return f"{where} holds the live version {self.live_number}"
        if self.state == "pending":
            return (f"{where} changed since live version {self.live_number}: it goes live at "
                    "the next check if it passes `ivr check`")
        held = (f"it holds version {self.holds_version}'s text"
                if self.holds_version is not None else "it was edited")
        via = {"dashboard": "the dashboard", "cli": "the command line",
               "rollback": "a rollback"}.get(self.live_source, self.live_source)
        return (f"{where} differs from live version {self.live_number} (published from {via} "
                f"by {self.live_author or '?'}; {held}): the file is not imported. Make the file "
                f"live with `ivr menu adopt-file {self.file}`, or write the live version over it "
                f"with `ivr menu export {self.file}`")


def file_state(file: str, folder: str, live: LiveText, live_sha: str, disk_text: str,
               disk_sha: str, previous_sha: str | None,
               version_numbers: dict[str, int]) -> FileState:
    """Where ``disk_text`` stands: ``previous_sha`` is what the folder was last recorded as.

    ``version_numbers`` maps each version's text hash to its (newest) number, to say
    which version a stale file still holds.
    """
    marker, body = split_marker(disk_text)
    base = FileState(file, folder, "same", live.number, live.source, live.author)
    if body == live.text:
        return base
    holds = version_numbers.get(hashlib.sha256(body.encode("utf-8")).hexdigest())
    if previous_sha == disk_sha:
        # The service has seen this text before and it is not live: nobody chose it.
        return _with(base, "diverged", holds)
    if derived_from(live, live_sha, marker, previous_sha):
        return _with(base, "pending", holds)
    return _with(base, "diverged", holds)


def _with(state: FileState, name: str, holds: int | None) -> FileState:
    return FileState(state.file, state.folder, name, state.live_number, state.live_source,
                     state.live_author, holds)
