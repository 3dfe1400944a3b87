"""The `sources:` section of a menu: named data sources, checked with file:line errors.

Credentials never appear in the YAML: a source names what the operator declared
(``database: shop`` for IVR_LOOKUP_DB_SHOP, ``Authorization: "Bearer
${IVR_SOURCE_LIBRARY_TOKEN}"``); ``ivr.lookup.policy`` decides what may be read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.menu.source import Fields, Problems, Value, Where

KINDS = ("sql", "http", "csv")
PARAMS = ("id", "caller")  # what a lookup passes: the identifier and the caller's number
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]{0,127})\}")
URL_PARAM = re.compile(r"\{([^{}]*)\}")
SQL_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
FIELD_PATH = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
FIXED_HEADERS = ("host", "content-length", "transfer-encoding", "connection")
MAX_TIMEOUT = 10.0  # well under Twilio's 15 s for the whole webhook


@dataclass(frozen=True)
class SourceConfig:
    """One named source: where records come from and how to read them."""

    name: str
    kind: str
    where: Where
    timeout: float | None = None  # seconds; None = IVR_LOOKUP_TIMEOUT
    query: str = ""  # sql: SELECT with :id / :caller bound parameters
    database: str = ""  # sql: a connection the operator declared (IVR_LOOKUP_DB_<NAME>)
    url: str = ""  # http: URL template with {id} / {caller} and ${ENV}
    url_where: Where | None = None  # where the url (sql: the database) is written
    env_refs: tuple[tuple[str, Where], ...] = ()  # each ${NAME} and where it is written
    headers: Mapping[str, str] = field(default_factory=dict)  # http: name -> "... ${ENV}"
    record: str = ""  # http: path of the record in the JSON answer (default: all of it)
    fields: Mapping[str, str] = field(default_factory=dict)  # http: name -> path in the record
    file: str = ""  # csv: path relative to the menus folder
    key: str = ""  # csv: the column matched against the identifier

    def env_names(self) -> list[str]:
        """Every environment variable this source reads."""
        return [name for name, _ in self.env_refs]


def _timeout(value: Value) -> float | None:
    return value.number(f"timeout (seconds, at most {MAX_TIMEOUT:g})", 0.1, MAX_TIMEOUT)


def parse_sources(value: Value | None, problems: Problems,
                  declared: set[str] | None = None) -> dict[str, SourceConfig]:
    """``sources: {name: {type: sql|http|csv, ...}}``; ``declared`` gets every name written."""
    out: dict[str, SourceConfig] = {}
    if value is None:
        return out
    for key, item in value.pairs():
        name = str(key.node.value)
        if declared is not None:
            declared.add(name)  # a broken source is reported once, not at every use
        if not re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", name):
            key.error(f"source name {name!r} must be letters, digits, _ or - (starting with a "
                      "letter)")
            continue
        if not item.is_mapping:
            item.error(f"source {name!r} must be a mapping with a 'type' (one of "
                       f"{', '.join(KINDS)})")
            continue
        fields = item.fields(f"source {name!r}")
        kind_value = fields.require("type", "one of " + ", ".join(KINDS))
        kind = kind_value.text("a source type") if kind_value else None
        if kind_value is not None and kind is not None and kind not in KINDS:
            kind_value.error(f"unknown source type {kind!r} (expected one of: {', '.join(KINDS)})")
            kind = None
        args: dict[str, object] = {}
        if (v := fields.get("timeout")) is not None:
            args["timeout"] = _timeout(v)
        if kind == "sql":
            args.update(_sql(fields))
        elif kind == "http":
            args.update(_http(fields))
        elif kind == "csv":
            args.update(_csv(fields))
        fields.done()
        if kind is not None:
            out[name] = SourceConfig(name, kind, key.where,
                                     **{k: v for k, v in args.items() if v is not None})  # type: ignore[arg-type]
    return out


def bound_only(value: Value, sql: str, names: str, what: str) -> None:
    """Parameters are bound by the driver: nothing pasted into the SQL, no ${NAME}."""
    if re.search(r"\{[A-Za-z_]\w*\}|%\(|%s", sql):
        value.error(f"write parameters as {names} (they are bound, never pasted into the SQL)")
    if ENV_REF.search(sql):
        value.error(f"{what} reads no ${{NAME}} variables: the operator's connection holds "
                    "whatever the database needs")


def connection_name(fields: Fields, prefix: str) -> tuple[str, Where] | None:
    """``database: <name>``: a connection the operator declared as ``<prefix><NAME>``."""
    if (value := fields.get("database")) is None:
        return None
    name = value.text("a connection name")
    if not name:
        return None
    if not re.match(r"^[A-Za-z][A-Za-z0-9_]{0,31}$", name):
        value.error(f"database names a connection the operator declared (like shop for "
                    f"{prefix}SHOP), not a URL: found {name[:20]!r}")
        return None
    return name.lower(), value.where


def _sql(fields: Fields) -> dict[str, object]:
    out: dict[str, object] = {}
    query_value = fields.require("query", "a SELECT with :id")
    if query_value is not None and (query := query_value.text("an SQL query")):
        first = query.lstrip().split(None, 1)[0].upper() if query.strip() else ""
        if first not in ("SELECT", "WITH"):
            query_value.error("a lookup query must be a SELECT (it only reads)")
        elif ";" in query.strip().rstrip(";"):
            query_value.error("a lookup query is one statement (no ';' inside)")
        names = set(SQL_PARAM.findall(query))
        if unknown := sorted(names - set(PARAMS)):
            query_value.error(f"unknown parameter(s) {', '.join(':' + n for n in unknown)}; a "
                              f"lookup passes {', '.join(':' + p for p in PARAMS)}")
        bound_only(query_value, query, ":id or :caller", "a query")
        out["query"] = query.strip().rstrip(";")
    # Menus written before sources needed the operator's consent named no database (the
    # app's own) or a url_env: they keep loading, and their lookups apologise and fall back.
    if (old := fields.get("url_env")) is not None:
        old.problems.warning(old.where, "url_env is replaced by 'database: <name>': the "
                             "operator declares the connection as IVR_LOOKUP_DB_<NAME> (menus "
                             "never name variables for it); until then its lookups apologise "
                             "and fall back")
    if fields.get("database") is None:
        if old is None:
            fields.value.problems.warning(
                fields.value.where, "a sql source names its database: 'database: <name>', a "
                "connection the operator declared as IVR_LOOKUP_DB_<NAME> (the demo menus use "
                "'database: demo'); until then its lookups apologise and fall back")
    elif (named := connection_name(fields, "IVR_LOOKUP_DB_")) is not None:
        out["database"], out["url_where"] = named
    return out


def _http(fields: Fields) -> dict[str, object]:
    out: dict[str, object] = {}
    refs: list[tuple[str, Where]] = []
    if (url_value := fields.require("url", "an https URL with {id}")) is not None:
        url = url_value.text("a URL") or ""
        without_env = ENV_REF.sub("", url)
        if not re.match(r"^https?://", url) and not url.startswith("${"):
            url_value.error("url must start with http:// or https:// (or an ${ENV} base)")
        for name in URL_PARAM.findall(without_env):
            if name not in PARAMS:
                url_value.error(f"unknown parameter {{{name}}} in url; a lookup passes "
                                f"{', '.join('{' + p + '}' for p in PARAMS)}")
        if re.search(r"(?i)(token|key|secret|password|passwd|auth)=[^${&]+", without_env):
            url_value.error("the url seems to contain a credential: take it from the "
                            "environment, e.g. ?key=${IVR_SOURCE_LIBRARY_KEY}")
        out["url"] = url
        out["url_where"] = url_value.where
        refs += [(name, url_value.where) for name in ENV_REF.findall(url)]
    headers: dict[str, str] = {}
    if (h := fields.get("headers")) is not None:
        headers = parse_headers(h, refs)
    out["headers"] = headers
    out["env_refs"] = tuple(refs)
    if (r := fields.get("record")) is not None and (path := r.text("a path like data.order")):
        if not FIELD_PATH.match(path):
            r.error(f"record path {path!r} should look like data.order or items.0")
        out["record"] = path
    paths: dict[str, str] = {}
    if (f := fields.get("fields")) is not None:
        for key, item in f.pairs():
            path = item.text("a path in the JSON record") or ""
            if not FIELD_PATH.match(path):
                item.error(f"field path {path!r} should look like status or delivery.eta")
                continue
            paths[str(key.node.value)] = path
    out["fields"] = paths
    return out


def parse_headers(value: Value, refs: list[tuple[str, Where]]) -> dict[str, str]:
    """``headers: {Authorization: "Bearer ${IVR_SOURCE_X}", X-Key: IVR_SOURCE_KEY}``: values
    come from the environment only; each ${NAME} read is added to ``refs``."""
    headers: dict[str, str] = {}
    for key, item in value.pairs():
        text = item.text("an environment variable name, or text with ${NAME}") or ""
        if ENV_NAME.match(text):
            text = "${" + text + "}"
        if not ENV_REF.search(text):
            item.error(f"header {key.node.value!r}: credentials come from the environment; "
                       "write the variable's name (IVR_SOURCE_LIBRARY_TOKEN) or "
                       '"Bearer ${IVR_SOURCE_LIBRARY_TOKEN}"')
            continue
        if str(key.node.value).lower() in FIXED_HEADERS:
            key.error(f"header {key.node.value!r} is set by the connection itself")
            continue
        headers[str(key.node.value)] = text
        refs += [(name, item.where) for name in ENV_REF.findall(text)]
    return headers


def _csv(fields: Fields) -> dict[str, object]:
    out: dict[str, object] = {}
    if (v := fields.require("file", "a CSV file relative to the menus folder")) is not None:
        file = v.text("a file path") or ""
        if file.startswith("/") or ".." in Path(file).parts:
            v.error("file must be a path inside the menus folder, like data/orders.csv")
        else:
            out["file"] = file
    if (v := fields.require("key", "the column that holds the identifier")) is not None:
        out["key"] = v.text("a column name") or ""
    return out
