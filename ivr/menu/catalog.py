"""All menus of a deployment: which one answers a number, and safe reloading.

A file that fails to load never replaces the version that was working: the old
menu keeps answering calls and the errors are kept for the health check.

With a database (``versions``), the live menus are the newest published versions
(see ivr.menu.versions): every worker of every instance polls one number and
loads a new version within ``check_every`` seconds of its publication. Files in
the menus folder are imported as versions when they change. If the database
cannot be reached, the menus keep serving as they were (or, at a start without
any database, straight from the files).

Reloading never blocks a call: a worker that finds another thread reloading goes
on with the menus it has, and a reload swaps complete new tables in one step.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from ivr.menu.lint import lint
from ivr.menu.loader import MenuError, load_text
from ivr.menu.model import Menu
from ivr.menu.source import Problem, Where
from ivr.nodes.warmup import warm_menu

if TYPE_CHECKING:
    from ivr.lookup.policy import SourcePolicy
    from ivr.menu.folder import FileState
    from ivr.menu.versions import MenuVersions

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    signature: tuple[int, int]  # (mtime_ns, size) of the file last read
    menu: Menu | None
    problems: list[Problem] = field(default_factory=list)
    text: str = ""
    imported: bool = False  # the database has taken (or refused) this text
    refused: bool = False  # the database refused it (e.g. a number another menu answers)


class MenuCatalog:
    """The live menus: from a folder of files, or from the database's published versions."""

    def __init__(self, folder: str | Path, check_every: float = 2.0,
                 prompts_dir: str | Path | None = None,
                 versions: MenuVersions | None = None, background: bool = False,
                 warm: Callable[[Menu], object] = warm_menu) -> None:
        self.folder = Path(folder)
        # Run on every menu version before it starts answering calls (ivr.nodes.warmup):
        # whatever a caller's first step would otherwise build is built here.
        self._warm = warm
        # In the background, a thread per worker process does the checking and loading, so
        # no call ever waits for it; otherwise the request that finds the check due does it.
        self.background = background
        self._poller_pid = 0
        self._stop = threading.Event()
        self._also: list[Callable[[], object]] = []  # more to refresh with the menus
        self.prompts_dir = Path(prompts_dir) if prompts_dir is not None else None
        self.check_every = check_every
        self.versions = versions
        self._entries: dict[Path, _Entry] = {}
        self._db: dict[str, Menu] = {}  # file name -> live menu, from the database
        self._db_problems: list[Problem] = []
        self._generation = -1
        self._by_id: dict[str, Menu] = {}
        self._checked = 0.0
        self._db_down_logged = False
        # How the folder's files stand against their live versions (ivr.menu.folder).
        self.folder_states: list[FileState] = []
        self._folder_changed = True
        self._lock = threading.Lock()
        self.reload()

    def _policy(self) -> SourcePolicy | None:
        """The operator's rules for sources, as the versions store holds them."""
        return self.versions.policy if self.versions is not None else None

    # -- reloading -------------------------------------------------------------------------

    def reload(self) -> list[Problem]:
        """Re-read changed files (and newly published versions) now; returns the problems."""
        with self._lock:
            self._reload()
        return self.problems

    def maybe_reload(self) -> None:
        """Reload if the last check is older than ``check_every`` seconds (cheap per call).

        Never waits: if another thread is already reloading, this call uses the menus as
        they are.
        """
        if self.background:
            self._ensure_poller()
            return
        if time.monotonic() - self._checked < self.check_every:
            return
        if not self._lock.acquire(blocking=False):
            return
        try:
            if time.monotonic() - self._checked >= self.check_every:
                self._reload()
        finally:
            self._lock.release()

    def _ensure_poller(self) -> None:
        """Start this process's reload thread (again after a fork: threads do not survive it)."""
        pid = os.getpid()
        if self._poller_pid == pid:
            return
        with self._lock:
            if self._poller_pid == pid:
                return
            self._poller_pid = pid
            threading.Thread(target=self._poll, name="menu-reload", daemon=True).start()

    def also_refresh(self, job: Callable[[], object]) -> None:
        """Run ``job`` at every check too (in the reload thread in production)."""
        self._also.append(job)

    def close(self) -> None:
        """Stop the reload thread (the menus stay as they are)."""
        self._stop.set()

    def _poll(self) -> None:
        while not self._stop.wait(max(self.check_every, 0.05)):
            try:
                with self._lock:
                    self._reload()
            except Exception:  # noqa: BLE001 - the poller must outlive any one bad reload
                log.exception("menu reload failed; serving the menus loaded")

    def _reload(self) -> None:
        self._checked = time.monotonic()
        self._reload_files()
        if self.versions is not None:
            self._import_files()
            self._reload_published()
            self._compare_folder()
        self._publish_tables()
        for job in self._also:
            try:
                job()
            except (SQLAlchemyError, OSError) as exc:
                self._db_unreachable(exc)
        self._checked = time.monotonic()

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml"))

    def _reload_files(self) -> None:
        entries = dict(self._entries)
        seen = set()
        for path in self._files():
            seen.add(path)
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_mtime_ns, stat.st_size)
            entry = entries.get(path)
            if entry and entry.signature == signature:
                continue
            text = ""
            try:
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    raise MenuError([Problem(Where(self._display(path), 1),
                                             f"cannot read the file: {exc.strerror}")]) from None
                menu = load_text(raw, self._display(path), default_id=path.stem)
                text = raw.decode("utf-8")
                # Only what passes `ivr check` goes live (warnings are fine).
                errors = [p for p in lint(menu, self.prompts_dir, self._policy()) if p.severity == "error"]
                if errors:
                    raise MenuError(errors)
            except MenuError as exc:
                kept = entry.menu if entry else None
                log.error("menu %s not loaded (%s kept):\n%s", path.name,
                          "previous version" if kept else "nothing", exc)
                entries[path] = _Entry(signature, kept, exc.problems, entry.text if entry else "",
                                       imported=True)
                continue
            if entry and entry.menu:
                log.info("menu %s reloaded (version %s)", menu.id, menu.version)
            entries[path] = _Entry(signature, menu, text=text)
            self._folder_changed = True
        for gone in set(entries) - seen:
            # A deleted file stops answering; a half-written rename is caught next check.
            del entries[gone]
            self._folder_changed = True
        self._entries = entries

    def _import_files(self) -> None:
        """Offer each changed file's text to the database as a new version."""
        assert self.versions is not None
        for path, entry in self._entries.items():
            if entry.imported or entry.menu is None:
                continue
            try:
                version, problems = self.versions.import_from_disk(path.name, entry.text)
            except SQLAlchemyError as exc:
                self._db_unreachable(exc)
                return  # tried again at the next check
            entry.imported = True
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                log.error("menu %s not published:\n%s", path.name,
                          "\n".join(str(p) for p in errors))
                entry.problems = errors
                entry.refused = True
            elif version is not None:
                log.info("menu %s published from the menus folder as version %d",
                         path.name, version.number)

    def _reload_published(self) -> None:
        """Load the newest published versions if anything was published since last time."""
        assert self.versions is not None
        try:
            generation = self.versions.generation()
            if generation == self._generation:
                return
            live = self.versions.live_versions()
        except SQLAlchemyError as exc:
            self._db_unreachable(exc)
            return
        self._db_down_logged = False
        menus: dict[str, Menu] = {}
        problems: list[Problem] = []
        for file, version in live.items():
            try:
                menu = self.versions.menu_of(file, version.text)
                errors = [p for p in lint(menu, self.prompts_dir, self._policy()) if p.severity == "error"]
                if errors:
                    raise MenuError(errors)
            except MenuError as exc:
                # Passed the check where it was published, fails here (a prompt missing on
                # this instance, say): keep serving what this worker had.
                problems.extend(exc.problems)
                kept = self._db.get(file)
                if kept is not None:
                    menus[file] = kept
                continue
            if file in self._db and self._db[file].version != menu.version:
                log.info("menu %s now at version %d", file, version.number)
            menus[file] = menu
        self._db, self._db_problems, self._generation = menus, problems, generation
        self._folder_changed = True

    def _compare_folder(self) -> None:
        """Say which files of the folder differ from their live version (after a change)."""
        assert self.versions is not None
        if not self._folder_changed:
            return
        disk = {path.name: e.text for path, e in self._entries.items()
                if e.menu is not None and not e.problems}
        try:
            states = self.versions.folder_states(disk)
        except SQLAlchemyError as exc:
            self._db_unreachable(exc)
            return
        self._folder_changed = False
        self.folder_states = states

    def _db_unreachable(self, exc: Exception) -> None:
        if not self._db_down_logged:
            log.warning("menu versions unavailable (database: %s); serving the menus loaded",
                        type(exc).__name__)
            self._db_down_logged = True

    def _publish_tables(self) -> None:
        """Published versions win; a file the database does not have yet is served from disk.

        The second case is an instance starting while another one is still publishing
        the same files (or a database that could not take them yet): without it, the
        instance would answer only some of its menus until its next check.
        """
        menus = list(self._db.values())
        menus += [e.menu for path, e in self._entries.items()
                  if e.menu and path.name not in self._db and not (self._db and e.refused)]
        for menu in menus:  # once per menu version and matcher (warm_menu remembers)
            try:
                self._warm(menu)
            except Exception:  # noqa: BLE001 - a menu that cannot warm still answers
                log.exception("menu %s: spoken-request indexes not built at load", menu.id)
        self._by_id = {m.id: m for m in menus}

    def _display(self, path: Path) -> str:
        """A file name relative to the menus folder's parent, as admins see it."""
        try:
            return str(path.relative_to(self.folder.parent))
        except ValueError:
            return str(path)

    # -- reading ---------------------------------------------------------------------------

    @property
    def menus(self) -> dict[str, Menu]:
        """Every live menu, by id."""
        return self._by_id

    @property
    def problems(self) -> list[Problem]:
        """Problems of files (or published versions) whose latest text could not go live."""
        return [p for e in self._entries.values() for p in e.problems] + self._db_problems

    @property
    def divergences(self) -> list[FileState]:
        """Files of the folder that differ from their live version and will not go live."""
        return [state for state in self.folder_states if state.diverged]

    def get(self, menu_id: str) -> Menu | None:
        """A menu by id (a draft's id, from a simulated call, gives that draft)."""
        menu = self._by_id.get(menu_id)
        if menu is None and self.versions is not None:
            from ivr.menu.versions import DRAFT_PREFIX

            if menu_id.startswith(DRAFT_PREFIX):
                return self._draft_by_id(menu_id)
        return menu

    def _draft_by_id(self, menu_id: str) -> Menu | None:
        assert self.versions is not None
        try:
            for file in self.versions.files():
                draft = self.versions.draft_menu(file)
                if draft is not None and draft.id == menu_id:
                    return draft
        except SQLAlchemyError:
            return None
        return None

    def draft_menu(self, file: str) -> Menu | None:
        """The draft of a menu file for a simulated call (None: no draft, or it has errors)."""
        if self.versions is None:
            return None
        try:
            return self.versions.draft_menu(file)
        except SQLAlchemyError:
            return None

    def for_number(self, called: str) -> Menu | None:
        """The menu that answers ``called``: the one listing it, else the default one."""
        menus = list(self._by_id.values())
        for menu in menus:
            if called in menu.numbers:
                return menu
        defaults = [m for m in menus if m.is_default]
        if defaults:
            return defaults[0]
        return menus[0] if len(menus) == 1 else None
