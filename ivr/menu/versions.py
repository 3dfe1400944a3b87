"""Menu versions in the database: who published what and when, drafts, rollback.

The database is what every worker and every instance agrees on. A published
version is immutable; the live menu of a file is its newest version, so a
rollback is a new version carrying an old text. Nothing is published unless it
loads and passes `ivr check` (errors, not warnings), so a broken edit never
reaches callers.

Files in the menus folder remain a way to edit menus (for teams that keep them
in git): an instance imports a file as a new version when the file on its disk
changes to a text no instance has reported from disk before, and only when the
change builds on the live version (see ivr.menu.folder). A dashboard edit is
therefore never undone by an instance restarting with the older file, nor by an
edit of a file written before it: such a file is reported as diverged until an
admin adopts it or exports the live version over it.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ivr.data.tables import metadata, upsert_insert
from ivr.menu.folder import FileState, derived_from, file_state, marker_line, split_marker
from ivr.menu.lint import _across, lint
from ivr.menu.loader import MenuError, load_text
from ivr.menu.model import Menu
from ivr.menu.source import Problem, Where

if TYPE_CHECKING:
    from ivr.lookup.policy import SourcePolicy

log = logging.getLogger(__name__)

menu_versions = sa.Table(
    "menu_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # file, dashboard, cli, rollback
    sa.Column("author", sa.String(200), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("file", "number", name="uq_menu_versions_file_number"),
)

menu_drafts = sa.Table(
    "menu_drafts",
    metadata,
    sa.Column("file", sa.String(200), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(200), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# The text each file last had on some instance's disk: a file is imported once per change.
menu_files = sa.Table(
    "menu_files",
    metadata,
    sa.Column("file", sa.String(200), primary_key=True),
    sa.Column("disk_sha", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.ya?ml$")
DRAFT_PREFIX = "draft--"  # a draft's menu id: calls on a draft never mix with live ones
MAX_TEXT = 1_000_000  # characters; a menu of 2,000 nodes is about a fifth of that


def sha_of(text: str) -> str:
    """The identity of a menu text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def valid_file(file: str) -> bool:
    """Whether ``file`` is a plain menu file name (no folders, .yaml or .yml)."""
    return bool(FILE_NAME.match(file))


@dataclass(frozen=True)
class Version:
    """One published text of a menu file."""

    id: int
    file: str
    number: int
    text: str
    author: str
    note: str
    source: str
    created_at: datetime
    live: bool = False


@dataclass(frozen=True)
class Draft:
    """Unpublished work on a menu file (one per file, saved even with errors)."""

    file: str
    text: str
    author: str
    updated_at: datetime


@dataclass(frozen=True)
class PublishResult:
    """What a publish or rollback did: the new version, or the problems that stopped it."""

    ok: bool
    version: Version | None
    problems: list[Problem] = field(default_factory=list)
    unchanged: bool = False  # the text was the live one already: no version was made


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class MenuVersions:
    """Published versions and drafts of the menu files, stored in the app's database."""

    def __init__(self, engine: Engine, folder: Path, prompts_dir: Path | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 policy: SourcePolicy | None = None) -> None:
        self.engine = engine
        self.folder = folder
        self.prompts_dir = prompts_dir
        self.policy = policy  # the operator's rules for sources (None: the environment's)
        self.clock = clock
        self._menus: dict[str, Menu] = {}  # sha -> loaded menu (texts are immutable)

    # -- reading ---------------------------------------------------------------------------

    def display(self, file: str) -> str:
        """A file name as admins see it in messages: relative to the menus folder's parent."""
        return f"{self.folder.name}/{file}"

    def files(self) -> list[str]:
        """Every menu file with a published version or a draft."""
        with self.engine.connect() as conn:
            published = conn.execute(sa.select(menu_versions.c.file).distinct()).scalars()
            drafted = conn.execute(sa.select(menu_drafts.c.file)).scalars()
            return sorted(set(published) | set(drafted))

    def generation(self) -> int:
        """A number that grows whenever anything is published (cheap to poll)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(menu_versions.c.id))).scalar() or 0)

    def _rows(self, where: sa.ColumnElement[bool] | None = None) -> list[Version]:
        latest = (sa.select(menu_versions.c.file, sa.func.max(menu_versions.c.number).label("n"))
                  .group_by(menu_versions.c.file).subquery())
        query = (sa.select(menu_versions, (latest.c.n == menu_versions.c.number).label("live"))
                 .join(latest, latest.c.file == menu_versions.c.file))
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(menu_versions.c.file,
                                               menu_versions.c.number.desc())).mappings().all()
        return [Version(r["id"], r["file"], r["number"], r["text"], r["author"], r["note"],
                        r["source"], _aware(r["created_at"]), bool(r["live"])) for r in rows]

    def live_versions(self) -> dict[str, Version]:
        """The live version of every file."""
        latest = (sa.select(menu_versions.c.file, sa.func.max(menu_versions.c.number).label("n"))
                  .group_by(menu_versions.c.file).subquery())
        query = sa.select(menu_versions).join(
            latest, sa.and_(latest.c.file == menu_versions.c.file,
                            latest.c.n == menu_versions.c.number))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return {r["file"]: Version(r["id"], r["file"], r["number"], r["text"], r["author"],
                                   r["note"], r["source"], _aware(r["created_at"]), True)
                for r in rows}

    def live(self, file: str) -> Version | None:
        """The version of ``file`` that answers calls."""
        return self.live_versions().get(file)

    def history(self, file: str) -> list[Version]:
        """Every version of ``file``, newest first."""
        return self._rows(menu_versions.c.file == file)

    def get(self, version_id: int) -> Version | None:
        """One version by its id."""
        found = self._rows(menu_versions.c.id == version_id)
        return found[0] if found else None

    def draft(self, file: str) -> Draft | None:
        """The draft of ``file``, if someone saved one."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(menu_drafts).where(menu_drafts.c.file == file)
                               ).mappings().first()
        if row is None:
            return None
        return Draft(row["file"], row["text"], row["author"], _aware(row["updated_at"]))

    # -- checking --------------------------------------------------------------------------

    def menu_of(self, file: str, text: str) -> Menu:
        """Load a text of ``file`` (cached by content); raises MenuError."""
        key = sha_of(f"{file}\0{text}")
        menu = self._menus.get(key)
        if menu is None:
            stem = file.rsplit(".", 1)[0]
            menu = load_text(text, self.display(file), default_id=stem)
            if len(self._menus) > 64:
                self._menus.clear()
            self._menus[key] = menu
        return menu

    def check(self, file: str, text: str, others: Iterable[Menu] | None = None) -> list[Problem]:
        """Everything `ivr check` says of ``text`` as ``file``, beside the other live menus."""
        if not valid_file(file):
            return [Problem(Where(file, 1), "a menu file name is letters, digits, '_', '-' or "
                                            "'.', ending in .yaml or .yml")]
        if len(text) > MAX_TEXT:
            return [Problem(Where(self.display(file), 1),
                            f"the menu is longer than {MAX_TEXT:,} characters")]
        try:
            menu = self.menu_of(file, text)
        except MenuError as exc:
            return list(exc.problems)
        problems = lint(menu, self.prompts_dir, self.policy)
        if others is None:
            others = self._other_live_menus(file)
        between = _across([*[m for m in others if m.file != menu.file], menu])
        problems.extend(p for p in between if p.where.file == menu.file)
        return sorted(problems, key=lambda p: (p.where, p.message))

    def _other_live_menus(self, file: str) -> list[Menu]:
        menus = []
        for other, version in self.live_versions().items():
            if other == file:
                continue
            try:
                menus.append(self.menu_of(other, version.text))
            except MenuError:
                continue
        return menus

    # -- changing --------------------------------------------------------------------------

    def save_draft(self, file: str, text: str, author: str) -> list[Problem]:
        """Keep unpublished work (even with errors); returns its problems."""
        problems = self.check(file, text)
        if not valid_file(file) or len(text) > MAX_TEXT:
            return problems
        stmt = upsert_insert(self.engine, menu_drafts).values(
            file=file, text=text, author=author[:200], updated_at=self.clock())
        with self.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["file"],
                set_={"text": stmt.excluded.text, "author": stmt.excluded.author,
                      "updated_at": stmt.excluded.updated_at}))
        return problems

    def discard_draft(self, file: str) -> None:
        """Forget the draft of ``file``."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(menu_drafts).where(menu_drafts.c.file == file))

    def publish(self, file: str, text: str, author: str, note: str = "",
                source: str = "dashboard") -> PublishResult:
        """Make ``text`` the live menu of ``file`` if it passes the check; else change nothing."""
        live = self.live(file)
        if live is not None and live.text == text:
            self._drop_draft(file, text)
            return PublishResult(True, live, [], unchanged=True)
        problems = self.check(file, text)
        if any(p.severity == "error" for p in problems):
            return PublishResult(False, None, problems)
        version = self._insert(file, text, author, note, source)
        self._drop_draft(file, text)
        log.info("menu %s version %d published by %s", file, version.number, author or "?")
        return PublishResult(True, version, problems)

    def _drop_draft(self, file: str, text: str) -> None:
        """A draft whose text is now live is done with."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(menu_drafts).where(
                sa.and_(menu_drafts.c.file == file, menu_drafts.c.text == text)))

    def rollback(self, file: str, version_id: int, author: str) -> PublishResult:
        """Publish an earlier version's text again, as a new version."""
        old = self.get(version_id)
        if old is None or old.file != file:
            return PublishResult(False, None, [Problem(Where(self.display(file), 1),
                                                       f"no version {version_id} of {file}")])
        return self.publish(file, old.text, author, f"rollback to version {old.number}",
                            source="rollback")

    def _insert(self, file: str, text: str, author: str, note: str, source: str) -> Version:
        """Add the next version number of ``file`` (two publishers at once: both get theirs)."""
        for _attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    number = int(conn.execute(
                        sa.select(sa.func.max(menu_versions.c.number))
                        .where(menu_versions.c.file == file)).scalar() or 0) + 1
                    now = self.clock()
                    new_id = conn.execute(menu_versions.insert().values(
                        file=file, number=number, text=text, sha=sha_of(text), source=source,
                        author=author[:200], note=note[:2000], created_at=now,
                    ).returning(menu_versions.c.id)).scalar_one()
                return Version(new_id, file, number, text, author, note, source, _aware(now), True)
            except IntegrityError:
                continue  # another publisher took this number: count again
        raise RuntimeError(f"could not publish {file}: too many concurrent publishes")

    def import_from_disk(self, file: str, text: str) -> tuple[Version | None, list[Problem]]:
        """A file's text as read from this instance's disk: publish it if it is news.

        News means no instance reported this text from disk last time, it is not what is
        live already, and it builds on the live version (ivr.menu.folder.derived_from): a
        file that diverged from a version published since is left alone and reported.
        Instances starting together race for it: the first to record the text in
        menu_files (one atomic upsert) decides, the others do nothing. A text that fails
        the check is not published (its problems are returned) and is tried again when
        the file changes or the instance restarts. An export marker line is not stored.
        """
        digest = sha_of(text)
        marker, body = split_marker(text)
        previous = self._claim_disk(file, digest)
        if previous == digest:
            return None, []
        live = self.live(file)
        if live is not None and live.text == body:
            return None, []  # the folder agrees with the live version (adopted, if unmarked)
        if live is not None and not derived_from(live, sha_of(live.text), marker, previous):
            log.warning("menu %s in the menus folder differs from live version %d (published "
                        "by %s) and is not imported: adopt it (`ivr menu adopt-file %s`) or "
                        "export the live version over it", file, live.number,
                        live.author or "?", file)
            return None, []
        result = self.publish(file, body, "menus folder", "imported from the menus folder",
                              source="file")
        if not result.ok:
            self._unclaim_disk(file, digest, previous)
            return None, result.problems
        return result.version, result.problems

    def read_folder(self) -> dict[str, str]:
        """The menu files of this instance's folder, by name (unreadable ones left out)."""
        texts: dict[str, str] = {}
        if not self.folder.is_dir():
            return texts
        for path in sorted(self.folder.iterdir()):
            if path.suffix in (".yaml", ".yml") and valid_file(path.name):
                try:
                    texts[path.name] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
        return texts

    def folder_states(self, disk: dict[str, str] | None = None) -> list[FileState]:
        """How each file of the folder (``disk``: name -> text) stands against its live version."""
        disk = self.read_folder() if disk is None else disk
        live = self.live_versions()
        files = [f for f in sorted(disk) if f in live]
        if not files:
            return []
        with self.engine.connect() as conn:
            recorded = dict(conn.execute(sa.select(menu_files.c.file, menu_files.c.disk_sha)
                                         .where(menu_files.c.file.in_(files))).all())
            numbers: dict[str, dict[str, int]] = {}
            for name, digest, number in conn.execute(
                    sa.select(menu_versions.c.file, menu_versions.c.sha, menu_versions.c.number)
                    .where(menu_versions.c.file.in_(files))
                    .order_by(menu_versions.c.number)):
                numbers.setdefault(name, {})[digest] = number
        return [file_state(f, self.folder.name, live[f], sha_of(live[f].text), disk[f],
                           sha_of(disk[f]), recorded.get(f), numbers.get(f, {}))
                for f in files]

    def adopt_file(self, file: str, author: str) -> PublishResult:
        """Make the menus folder's ``file`` live (an admin's choice over a diverged file)."""
        where = Where(self.display(file), 1)
        if not valid_file(file):
            return PublishResult(False, None, [Problem(where, "not a menu file name")])
        try:
            text = (self.folder / file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return PublishResult(False, None, [Problem(where, f"cannot read the file: {exc}")])
        _marker, body = split_marker(text)
        result = self.publish(file, body, author, "the menus folder's file made live",
                              source="adopted")
        if result.ok:
            self.mark_disk(file, text)  # decided: the folder's text is the live one
        return result

    def export_text(self, file: str) -> tuple[Version, str] | None:
        """The live version of ``file`` and its text as `ivr menu export` writes it."""
        live = self.live(file)
        if live is None:
            return None
        return live, marker_line(live.number, sha_of(live.text)) + live.text

    def _claim_disk(self, file: str, digest: str) -> str | None:
        """Record ``digest`` as the folder's text; returns what was recorded before.

        Returns ``digest`` itself when another instance recorded it first.
        """
        stmt = upsert_insert(self.engine, menu_files).values(
            file=file, disk_sha=digest, updated_at=self.clock())
        stmt = stmt.on_conflict_do_update(
            index_elements=["file"],
            set_={"disk_sha": stmt.excluded.disk_sha, "updated_at": stmt.excluded.updated_at},
            where=menu_files.c.disk_sha != stmt.excluded.disk_sha,
        ).returning(menu_files.c.file)  # a row back only if this call wrote it
        with self.engine.begin() as conn:
            before = conn.execute(sa.select(menu_files.c.disk_sha)
                                  .where(menu_files.c.file == file)).scalar()
            claimed = conn.execute(stmt).first() is not None
        if not claimed:
            return digest
        return before if before != digest else None

    def _unclaim_disk(self, file: str, digest: str, previous: str | None) -> None:
        """Forget a claimed text that could not be published, so a restart tries again."""
        with self.engine.begin() as conn:
            if previous is None:
                conn.execute(sa.delete(menu_files).where(sa.and_(
                    menu_files.c.file == file, menu_files.c.disk_sha == digest)))
            else:
                conn.execute(sa.update(menu_files).where(sa.and_(
                    menu_files.c.file == file, menu_files.c.disk_sha == digest))
                    .values(disk_sha=previous, updated_at=self.clock()))

    def mark_disk(self, file: str, text: str) -> None:
        """Remember ``text`` as what the menus folder holds for ``file``."""
        stmt = upsert_insert(self.engine, menu_files).values(
            file=file, disk_sha=sha_of(text), updated_at=self.clock())
        with self.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["file"],
                set_={"disk_sha": stmt.excluded.disk_sha, "updated_at": stmt.excluded.updated_at}))

    # -- showing ---------------------------------------------------------------------------

    @staticmethod
    def diff(old_text: str, new_text: str, old_label: str = "before",
             new_label: str = "after") -> str:
        """A unified diff between two menu texts."""
        return "".join(difflib.unified_diff(
            old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=old_label, tofile=new_label))

    def draft_menu(self, file: str) -> Menu | None:
        """The draft of ``file`` as a menu a simulated call can use, or None if it has errors.

        Its id is prefixed so that the draft call's state never resolves to the live menu.
        """
        found = self.draft(file)
        if found is None:
            return None
        try:
            menu = self.menu_of(file, found.text)
        except MenuError:
            return None
        return replace(menu, id=f"{DRAFT_PREFIX}{menu.id}"[:64], numbers=(), is_default=False,
                       cache={})
