"""Recordings uploaded in the dashboard reach every instance's prompts folder.

An upload is written to the prompts folder of the instance that took it and kept
in the database. Every instance's menu reload thread asks the database whether
anything was uploaded since it last looked (one indexed number) and writes the
newer recordings into its own folder, atomically, so /prompts/ serves them there
too within IVR_MENU_CHECK_SECONDS. An instance starting later catches up on its
first check. Uploads are kept as rows, newest per path wins.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata

log = logging.getLogger(__name__)

prompt_uploads = sa.Table(
    "prompt_uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("path", sa.String(300), nullable=False, index=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("author", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class OutsideFolder(ValueError):
    """A path that would land outside the prompts folder."""


def write_prompt(folder: Path, relative: str, data: bytes) -> Path:
    """Write ``data`` at ``folder/relative`` atomically: a caller never hears half a file."""
    root = folder.resolve()
    target = (root / relative).resolve()
    if root not in target.parents:
        raise OutsideFolder(f"{relative} is outside the prompts folder.")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=target.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _sha_of_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class PromptUploads:
    """The uploaded recordings in the database, and this instance's copy of them."""

    def __init__(self, engine: Engine, folder: Path,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.folder = folder
        self.clock = clock
        self._seen = 0  # the newest upload id this instance has copied

    def add(self, path: str, data: bytes, author: str) -> int:
        """Keep an upload (already written to this instance's folder) for the others."""
        with self.engine.begin() as conn:
            new_id = int(conn.execute(prompt_uploads.insert().values(
                path=path, data=data, sha=hashlib.sha256(data).hexdigest(),
                author=author[:200], created_at=self.clock(),
            ).returning(prompt_uploads.c.id)).scalar_one())
        return new_id

    def sync(self) -> int:
        """Copy recordings uploaded since the last look into this folder; returns how many."""
        with self.engine.connect() as conn:
            newest = int(conn.execute(sa.select(sa.func.max(prompt_uploads.c.id))).scalar() or 0)
            if newest <= self._seen:
                return 0
            latest = (sa.select(prompt_uploads.c.path,
                                sa.func.max(prompt_uploads.c.id).label("id"))
                      .where(prompt_uploads.c.id > self._seen)
                      .group_by(prompt_uploads.c.path))
            rows = conn.execute(sa.select(prompt_uploads.c.id, prompt_uploads.c.path,
                                          prompt_uploads.c.sha)
                                .where(prompt_uploads.c.id.in_(
                                    sa.select(latest.subquery().c.id)))).all()
            written = 0
            for row in rows:
                if _sha_of_file(self.folder / row.path) == row.sha:
                    continue  # this instance took the upload, or already has it
                data = conn.execute(sa.select(prompt_uploads.c.data)
                                    .where(prompt_uploads.c.id == row.id)).scalar_one()
                try:
                    write_prompt(self.folder, row.path, data)
                except (OSError, OutsideFolder) as exc:
                    log.error("recording %s not copied here: %s", row.path, exc)
                    continue
                written += 1
                log.info("recording %s copied from the database", row.path)
        self._seen = newest
        return written
