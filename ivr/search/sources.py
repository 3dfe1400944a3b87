"""Where catalogue items come from: a CSV file, indexed in memory.

Sources do blocking I/O; ``ivr.search.live`` runs them under the lookup time budget.
They raise ``SourceError`` with a short reason when they fail.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ivr.lookup.config import SourceConfig
from ivr.lookup.policy import NotAllowed, SourcePolicy
from ivr.lookup.sources import HttpSource, SourceError, json_path
from ivr.search.config import CatalogueConfig
from ivr.search.match import SPELLED, CatalogueIndex

MAX_CSV_BYTES = 50_000_000
MAX_HTTP_ITEMS = 100


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
                                             self.config.fields, self.config.key,
                                             headings=self.config.headings)
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


class HttpCatalogue:
    """``type: http``: a JSON search endpoint, through the HTTP lookups' rules.

    The search URL gets the caller's folded words as ``{query}``; the answer is a JSON
    object with a list of items (``items``, or the path the menu gives), at most 100,
    ranked here as for a CSV catalogue. ``item_url`` with ``{key}`` answers one item (404:
    none). Hosts, ${ENV} values, no redirects and the answer's size limit are those of
    HTTP lookups (``ivr.lookup.policy``); a host the operator did not allow fails like a
    source that is down. Keys spelled on the keypad are not sent: nothing is found.
    """

    def __init__(self, config: CatalogueConfig, policy: SourcePolicy,
                 environ: Mapping[str, str], timeout: float) -> None:
        self.config = config
        self.policy = policy
        self.environ = environ
        self.timeout = timeout

    def _get(self, url: str, params: Mapping[str, str]) -> dict[str, Any] | None:
        source = HttpSource(SourceConfig("catalogue", "http", self.config.where, url=url,
                                         headers=self.config.headers), self.policy,
                            self.environ)
        try:
            return source.fetch(params, self.timeout)
        except NotAllowed:
            raise SourceError("not_allowed") from None

    def search(self, words: list[str], limit: int) -> list[dict[str, Any]]:
        """The endpoint's items for the words, ranked."""
        said = [w for w in words if "=" not in w and not w.startswith(SPELLED)]
        if not said:
            return []
        answer = self._get(self.config.url, {"query": " ".join(said)})
        if answer is None:
            return []
        try:
            found = json_path(answer, self.config.items)
        except KeyError:
            return []
        if not isinstance(found, list):
            raise SourceError("not_a_list")
        rows = [dict(i) for i in found[:MAX_HTTP_ITEMS] if isinstance(i, Mapping)]
        return CatalogueIndex(rows, self.config.fields, self.config.key,
                              headings=self.config.headings).search(words, limit)

    def item(self, key: str) -> dict[str, Any] | None:
        """One item by key (404: None)."""
        return self._get(self.config.item_url, {"key": key})
