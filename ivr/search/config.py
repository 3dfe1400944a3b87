"""A search node's ``catalogue:``: where items come from and which fields are searched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.lookup.config import MAX_TIMEOUT
from ivr.menu.source import Value, Where

KINDS = ("csv", "sql", "http")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_WEIGHT = 10


@dataclass(frozen=True)
class CatalogueConfig:
    """One catalogue: a CSV file in the menus folder, or a named catalogue in SQL."""

    kind: str
    where: Where = field(compare=False)  # moving a node in its file keeps its index
    fields: Mapping[str, int] = field(default_factory=dict)  # searched field -> weight
    key: str = "id"  # the field that identifies an item
    file: str = ""  # csv: path relative to the menus folder
    name: str = ""  # sql: the catalogue's name in the app's catalogue_items table
    timeout: float | None = None  # seconds; None = IVR_LOOKUP_TIMEOUT
    url: str = ""  # http: the search URL, with {query} (and ${ENV})
    item_url: str = ""  # http: one item's URL, with {key}
    items: str = "items"  # http: where the list is in the search answer
    headers: Mapping[str, str] = field(default_factory=dict)  # http: name -> "... ${ENV}"
    headings: frozenset[str] = frozenset()  # searched fields of subject headings
    # What callers may ask for that every result read must have: attribute -> its columns
    # (the first holds the value; the others name it in other languages: colour_fr, ...).
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    terms: str = ""  # a terms file per language, with {lang}: terms/shop.{lang}.yaml
    # A column empty (or "-") for an item none of which is in stock: items in stock are
    # read first; when none that answers is, the caller hears so before they are read.
    in_stock: str = ""

    @property
    def cache_key(self) -> str:
        """Which index this is, whichever node uses it."""
        return f"{self.kind}:{self.file or self.name or self.url}"


def parse_catalogue(value: Value) -> CatalogueConfig | None:
    """``{type: csv, file: data/catalogue.csv, fields: {title: 3, author: 2}}`` (and
    ``headings: [subjects]``: fields of subject headings, ``ivr.search.match.heading_words``),
    ``{type: sql, name: library, fields: ...}`` or ``{type: http, url: ..., item_url: ...,
    fields: ...}``."""
    if not value.is_mapping:
        value.error("catalogue must be a mapping with a 'type' (csv, sql or http)")
        return None
    fields = value.fields("catalogue")
    kind = None
    if (v := fields.require("type", "csv, sql or http")) is not None:
        kind = v.text("a catalogue type")
        if kind is not None and kind not in KINDS:
            v.error(f"unknown catalogue type {kind!r} (expected one of: {', '.join(KINDS)})")
            kind = None
    args: dict[str, object] = {}
    if (v := fields.require("fields", "the searched fields, e.g. {title: 3, author: 2, "
                            "subject: 1}")) is not None:
        args["fields"] = _fields(v)
    if (v := fields.get("headings")) is not None:
        searched: Mapping[str, int] = args.get("fields") or {}  # type: ignore[assignment]
        named = [item.text("a searched field") or "" for item in v.items()]
        if unknown := [n for n in named if n not in searched]:
            v.error(f"headings names searched fields of subject headings, e.g. [subjects]; "
                    f"not in fields: {', '.join(unknown)}")
        else:
            args["headings"] = frozenset(named)
    if (v := fields.get("key")) is not None:
        key = v.text("a column name") or ""
        if not COLUMN.match(key):
            v.error(f"key {key!r} must be a column name (letters, digits and _)")
        else:
            args["key"] = key
    if (v := fields.get("attributes")) is not None:
        args["attributes"] = _attributes(v)
    if (v := fields.get("in_stock")) is not None:
        column = v.text("a column name") or ""
        if not COLUMN.match(column):
            v.error(f"in_stock {column!r} must be a column name (letters, digits and _), the "
                    "one empty for an item out of stock: sizes_in_stock")
        else:
            args["in_stock"] = column
    if (v := fields.get("terms")) is not None:
        terms = v.text("a file path with {lang}") or ""
        if terms.startswith("/") or ".." in Path(terms).parts or "{lang}" not in terms:
            v.error("terms must be a path inside the menus folder with {lang}, like "
                    "terms/shop.{lang}.yaml")
        else:
            args["terms"] = terms
    if (v := fields.get("timeout")) is not None:
        args["timeout"] = v.number(f"timeout (seconds, at most {MAX_TIMEOUT:g})", 0.1, MAX_TIMEOUT)
    if kind == "csv" and (v := fields.require("file", "a CSV file relative to the menus "
                                              "folder")) is not None:
        file = v.text("a file path") or ""
        if file.startswith("/") or ".." in Path(file).parts:
            v.error("file must be a path inside the menus folder, like data/catalogue.csv")
        else:
            args["file"] = file
    if kind == "sql" and (v := fields.require("name", "the catalogue's name, as given to "
                                              "`ivr catalogue import`")) is not None:
        name = v.text("a catalogue name") or ""
        if not NAME.match(name):
            v.error(f"catalogue name {name!r} must be letters, digits, _ or -")
        else:
            args["name"] = name
    if kind == "http":
        for name, needs, what in (("url", "{query}", "the search URL, with {query}: "
                                   "https://shop.example/api/search?q={query}"),
                                  ("item_url", "{key}", "one item's URL, with {key}: "
                                   "https://shop.example/api/items/{key}")):
            if (v := fields.require(name, what)) is not None:
                url = v.text("a URL") or ""
                if not url.startswith(("https://", "http://", "${")) or needs not in url:
                    v.error(f"{name} must be an http(s) URL with {needs}")
                else:
                    args[name] = url
        if (v := fields.get("items")) is not None:
            args["items"] = v.text("the path of the list in the answer, e.g. data.items") or ""
        if (v := fields.get("headers")) is not None:
            args["headers"] = {str(k.node.value): h.text("a header value") or ""
                               for k, h in v.pairs()}
    fields.done()
    if kind is None or not args.get("fields"):
        return None
    if not args.get({"csv": "file", "sql": "name", "http": "item_url"}[kind]) or (
            kind == "http" and not args.get("url")):
        return None
    return CatalogueConfig(kind, value.where, **{k: v for k, v in args.items()  # type: ignore[arg-type]
                                                 if v is not None})


def _attributes(value: Value) -> dict[str, tuple[str, ...]]:
    """``{colour: [colour, colour_fr, colour_ro], size: sizes_in_stock}``."""
    out: dict[str, tuple[str, ...]] = {}
    if not value.is_mapping:
        value.error("attributes is a mapping of attribute -> its column(s): {colour: colour}")
        return out
    for key, item in value.pairs():
        name = str(key.node.value)
        columns = tuple(item.text_list("a column name"))
        if not NAME.match(name):
            key.error(f"{name!r} is not an attribute name (letters, digits, _ or -)")
        elif not columns or not all(COLUMN.match(c) for c in columns):
            item.error(f"attribute {name!r} needs its column(s): letters, digits and _")
        else:
            out[name] = columns
    return out


def _fields(value: Value) -> dict[str, int]:
    """``[title, author]`` (weight 1 each) or ``{title: 3, author: 2}``."""
    out: dict[str, int] = {}
    if value.is_mapping:
        for key, item in value.pairs():
            name = str(key.node.value)
            weight = item.integer(f"the weight of {name!r}", 1, MAX_WEIGHT)
            if not COLUMN.match(name):
                key.error(f"{name!r} is not a column name (letters, digits and _)")
            elif weight is not None:
                out[name] = weight
    else:
        for item in value.items():
            name = item.text("a column name") or ""
            if not COLUMN.match(name):
                item.error(f"{name!r} is not a column name (letters, digits and _)")
            else:
                out[name] = 1
    if not out:
        value.error("fields lists at least one searched column")
    return out
