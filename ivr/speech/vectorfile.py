"""Phrase vectors kept on disk between restarts, so a worker that starts embeds only what is new.

A menu version embeds every phrase and piece of evidence when it loads: several seconds of
CPU per worker for the demo menus, paid again at every restart, deploy and `ivr call`. The
vectors depend only on the model and the text, so they are kept in a folder (by default
``vectors/`` in the instance folder; ``IVR_EMBED_CACHE``): one sub-folder per model
identity (its name and the SHA-256 of its weights, so other weights never reuse them), each
holding ``.npz`` files of texts and unit vectors. A process writes the vectors it made in a
new file of its own (written under a temporary name, then renamed), so workers starting
together never write into one file; the files are merged into one when they grow many.

Only menus' own texts are kept (phrases, labels, answers): never what a caller said. A
file that cannot be read is skipped and its texts embedded again; a folder that cannot be
written leaves the cache off for the process. Nothing here can fail a menu load or a call.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MERGE_AT = 16  # files in a model's folder before they are merged into one
MAX_VECTORS = 100_000  # kept per model, the newest first (384 floats: ~150 MB at the cap)


class VectorFolder:
    """The vectors of one model identity, kept in a folder of ``.npz`` files."""

    def __init__(self, root: Path, identity: str) -> None:
        self.folder = root / hashlib.sha256(identity.encode()).hexdigest()[:24]
        self._broken = False

    def _files(self) -> list[Path]:
        try:
            return sorted(self.folder.glob("*.npz"))  # named by the time written: oldest first
        except OSError:
            return []

    def get(self, texts: Iterable[str]) -> dict[str, Any]:
        """The vectors kept for those of ``texts`` this folder has. The files are read
        again each time (a menu version loads rarely) rather than held in memory, where
        the encoder keeps the ones it uses."""
        wanted = set(texts)
        found: dict[str, Any] = {}
        for path in self._files():
            found.update((t, v) for t, v in _read_one(path).items() if t in wanted)
        return found

    def put(self, vectors: Mapping[str, Any]) -> None:
        """Keep new vectors (in a file of their own); never raises."""
        if not vectors or self._broken:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.folder, list(vectors), [vectors[t] for t in vectors])
            if len(self._files()) >= MERGE_AT:
                self._merge()
        except OSError as exc:
            self._broken = True
            log.warning("embedding cache: cannot write in %s (%s); it stays off", self.folder, exc)

    def _merge(self) -> None:
        """Many small files into one (the newest vectors win; at most MAX_VECTORS kept)."""
        files = self._files()
        merged: dict[str, Any] = {}
        for path in files:
            for text, vec in _read_one(path).items():
                merged.pop(text, None)  # a text written again counts as new
                merged[text] = vec
        texts = list(merged)[-MAX_VECTORS:]
        _write(self.folder, texts, [merged[t] for t in texts])
        for path in files:  # another process may have merged them already: that is fine
            path.unlink(missing_ok=True)


def _read_one(path: Path) -> dict[str, Any]:
    """The vectors of one file; none (with a warning) when it is torn or not ours."""
    import numpy as np

    try:
        with open(path, "rb") as raw, np.load(raw, allow_pickle=False) as data:
            texts, vecs = data["texts"], data["vecs"]
            if vecs.ndim != 2 or len(texts) != len(vecs):
                raise ValueError("texts and vectors do not match")
            return dict(zip((str(t) for t in texts), vecs, strict=True))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        if not isinstance(exc, FileNotFoundError):  # merged away by another process
            log.warning("embedding cache: skipping %s (%s)", path.name, exc)
        return {}


def _write(folder: Path, texts: Sequence[str], vecs: Sequence[Any]) -> None:
    import numpy as np

    descriptor, temporary = tempfile.mkstemp(prefix=".part-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as out:
            np.savez(out, texts=np.asarray(texts, dtype=str),
                     vecs=np.asarray(np.stack(vecs), dtype=np.float32))
        os.replace(temporary, folder / f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(4).hex()}.npz")
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _from_environment() -> Path | None:
    """IVR_EMBED_CACHE for a process that builds no app (a benchmark); create_app sets its own."""
    value = os.environ.get("IVR_EMBED_CACHE", "").strip()
    return Path(value).expanduser() if value and value.lower() != "off" else None


_root: Path | None = _from_environment()
_folders: dict[str, VectorFolder] = {}
_folders_lock = threading.Lock()


def keep_vectors_in(root: str | Path | None) -> None:
    """Where phrase vectors are kept between restarts (None: nowhere)."""
    global _root
    with _folders_lock:
        _root = Path(root).expanduser() if root else None
        _folders.clear()


def folder_for(identity: str | None) -> VectorFolder | None:
    """The folder of a model identity, or None when the cache is off or the model unnamed."""
    if identity is None:
        return None
    with _folders_lock:
        if _root is None:
            return None
        found = _folders.get(identity)
        if found is None:
            found = _folders[identity] = VectorFolder(_root, identity)
        return found


__all__ = ["VectorFolder", "folder_for", "keep_vectors_in"]
