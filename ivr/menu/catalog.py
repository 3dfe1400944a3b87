"""All menus of a deployment: which one answers a number, and safe reloading.

A file that fails to load never replaces the version that was working: the old
menu keeps answering calls and the errors are kept for the health check.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ivr.menu.lint import lint
from ivr.menu.loader import MenuError, load_menu
from ivr.menu.model import Menu
from ivr.menu.source import Problem

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    signature: tuple[int, int]  # (mtime_ns, size) of the file last read
    menu: Menu | None
    problems: list[Problem] = field(default_factory=list)


class MenuCatalog:
    """The menus in a folder, reloaded when their files change."""

    def __init__(self, folder: str | Path, check_every: float = 2.0,
                 prompts_dir: str | Path | None = None) -> None:
        self.folder = Path(folder)
        self.prompts_dir = Path(prompts_dir) if prompts_dir is not None else None
        self.check_every = check_every
        self._entries: dict[Path, _Entry] = {}
        self._checked = 0.0
        self._lock = threading.Lock()
        self.reload()

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml"))

    def reload(self) -> list[Problem]:
        """Re-read changed files now; returns the problems of files that failed."""
        with self._lock:
            seen = set()
            for path in self._files():
                seen.add(path)
                try:
                    stat = path.stat()
                except OSError:
                    continue
                signature = (stat.st_mtime_ns, stat.st_size)
                entry = self._entries.get(path)
                if entry and entry.signature == signature:
                    continue
                try:
                    menu = load_menu(path, display_name=self._display(path))
                    # Only what passes `ivr check` goes live (warnings are fine).
                    errors = [p for p in lint(menu, self.prompts_dir) if p.severity == "error"]
                    if errors:
                        raise MenuError(errors)
                except MenuError as exc:
                    kept = entry.menu if entry else None
                    log.error("menu %s not loaded (%s kept):\n%s", path.name,
                              "previous version" if kept else "nothing", exc)
                    self._entries[path] = _Entry(signature, kept, exc.problems)
                    continue
                if entry and entry.menu:
                    log.info("menu %s reloaded (version %s)", menu.id, menu.version)
                self._entries[path] = _Entry(signature, menu)
            for gone in set(self._entries) - seen:
                # A deleted file stops answering; a half-written rename is caught next check.
                del self._entries[gone]
            self._checked = time.monotonic()
            return [p for e in self._entries.values() for p in e.problems]

    def _display(self, path: Path) -> str:
        """A file name relative to the menus folder's parent, as admins see it."""
        try:
            return str(path.relative_to(self.folder.parent))
        except ValueError:
            return str(path)

    def maybe_reload(self) -> None:
        """Reload if the last check is older than ``check_every`` seconds (cheap per call)."""
        if time.monotonic() - self._checked >= self.check_every:
            self.reload()

    @property
    def menus(self) -> dict[str, Menu]:
        """Every menu that loaded, by id."""
        return {e.menu.id: e.menu for e in self._entries.values() if e.menu}

    @property
    def problems(self) -> list[Problem]:
        """Problems of files whose latest version failed to load."""
        return [p for e in self._entries.values() for p in e.problems]

    def get(self, menu_id: str) -> Menu | None:
        """A menu by id."""
        return self.menus.get(menu_id)

    def for_number(self, called: str) -> Menu | None:
        """The menu that answers ``called``: the one listing it, else the default one."""
        menus = list(self.menus.values())
        for menu in menus:
            if called in menu.numbers:
                return menu
        defaults = [m for m in menus if m.is_default]
        if defaults:
            return defaults[0]
        return menus[0] if len(menus) == 1 else None
