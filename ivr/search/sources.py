"""Where catalogue items come from: a CSV file, indexed in memory.

Sources do blocking I/O; ``ivr.search.live`` runs them under the lookup time budget.
They raise ``SourceError`` with a short reason when they fail.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any, Protocol

from ivr.lookup.sources import SourceError
from ivr.search.config import CatalogueConfig
from ivr.search.match import CatalogueIndex

MAX_CSV_BYTES = 50_000_000


class Catalogue(Protocol):
    """Anything that finds items for query words and one item by key."""

    config: CatalogueConfig

    def search(self, words: list[str], limit: int) -> list[dict[str, Any]]:
        """The best ``limit`` items for folded query words, best first."""
        ...

    def item(self, key: str) -> dict[str, Any] | None:
        """One item by its key, None when there is none."""
        ...


class CsvCatalogue:
    """``type: csv``: the file's rows in an in-memory index, rebuilt when the file changes."""

    def __init__(self, config: CatalogueConfig, path: Path) -> None:
        self.config = config
        self.path = path
        self._signature: tuple[int, int] | None = None
        self._index: CatalogueIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> CatalogueIndex:
        """The index of the file as it is now (built at most once per change)."""
        try:
            stat = self.path.stat()
        except OSError:
            raise SourceError("missing_file") from None
        if stat.st_size > MAX_CSV_BYTES:
            raise SourceError("too_large")
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if signature != self._signature or self._index is None:
                self._index = CatalogueIndex(read_rows(self.path, self.config),
                                             self.config.fields, self.config.key)
                self._signature = signature
            return self._index

    def search(self, words: list[str], limit: int) -> list[dict[str, Any]]:
        """The best rows for the query words."""
        return self.index().search(words, limit)

    def item(self, key: str) -> dict[str, Any] | None:
        """The row whose key column equals ``key``."""
        return self.index().get(key)


def read_rows(path: Path, config: CatalogueConfig) -> list[dict[str, str]]:
    """The rows of a catalogue CSV; SourceError when a declared column is missing."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or ())
            if missing := ({config.key, *config.fields} - columns):
                raise SourceError("bad_file:no_column:" + ",".join(sorted(missing)))
            return [{k: (v or "").strip() for k, v in row.items() if k is not None}
                    for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error):
        raise SourceError("bad_file") from None
