"""The `actions:` section of a menu: named writes (a hold on a book), checked with file:line.

Actions are the write counterpart of sources (``ivr.lookup.config``) under the same
rules: credentials never appear in the YAML, an SQL action writes through a connection
the operator declared (``database: demo`` for IVR_ACTION_DB_DEMO) with bound parameters
only, and an HTTP action posts JSON to a host the operator allows. A lookup node with
``action: <name>`` runs one once the caller is identified (``ivr.nodes.lookup``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

from ivr.lookup.config import (
    ENV_REF,
    MAX_TIMEOUT,
    SQL_PARAM,
    URL_PARAM,
    bound_only,
    connection_name,
    parse_headers,
)
from ivr.menu.source import Fields, Problems, Value, Where

KINDS = ("sql", "http")
# What an action passes: the identified member's identifier, the chosen item's key and the
# caller's number. Any other name is a field of the member's record (the lookup's source).
PARAMS = ("id", "item", "caller")
ACTION_PREFIX = "IVR_ACTION_DB_"
# The table one INSERT INTO / UPDATE writes ("INSERT OR REPLACE" would delete rows: refused).
WRITES = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE)\s+("?[A-Za-z_][A-Za-z0-9_]*"?'
                    r'(?:\."?[A-Za-z_][A-Za-z0-9_]*"?)?)(?=[\s(]|$)', re.IGNORECASE)
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_BODY_DEPTH = 3
MAX_BODY_FIELDS = 30


@dataclass(frozen=True)
class ActionConfig:
    """One named action: where it writes and what it sends."""

    name: str
    kind: str
    where: Where
    timeout: float | None = None  # seconds; None = IVR_LOOKUP_TIMEOUT
    statement: str = ""  # sql: one INSERT or UPDATE with bound parameters
    table: str = ""  # sql: the table it writes (lower case, no quotes)
    database: str = ""  # sql: a connection the operator declared (IVR_ACTION_DB_<NAME>)
    url: str = ""  # http: URL template with {id} / {item} / {caller} and ${ENV}
    url_where: Where | None = None  # where the url (sql: the database) is written
    env_refs: tuple[tuple[str, Where], ...] = ()  # each ${NAME} and where it is written
    headers: Mapping[str, str] = field(default_factory=dict)  # http: name -> "... ${ENV}"
    body: Mapping[str, Any] = field(default_factory=dict)  # http: JSON body of templates

    def env_names(self) -> list[str]:
        """Every environment variable this action reads."""
        return [name for name, _ in self.env_refs]

    def record_fields(self) -> set[str]:
        """Fields of the member's record the action sends (besides id, item and caller)."""
        if self.kind == "sql":
            names = set(SQL_PARAM.findall(self.statement))
        else:
            names = set(URL_PARAM.findall(ENV_REF.sub("", self.url)))
            names |= {n for text in _strings(self.body) for n in template_names(text)}
        return names - set(PARAMS)


def template_names(text: str) -> list[str]:
    """The ``{name}`` placeholders of a body value; ValueError for a malformed one."""
    names = []
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        raise ValueError("") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not FIELD.match(name):
            raise ValueError(name)
        names.append(name)
    return names


def fill(text: str, values: Mapping[str, str]) -> str:
    """A body value with its placeholders replaced (``{{`` and ``}}`` are literal braces)."""
    out = []
    for literal, name, _, _ in Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


def _strings(body: Any) -> list[str]:
    if isinstance(body, Mapping):
        return [s for v in body.values() for s in _strings(v)]
    return [body] if isinstance(body, str) else []


def parse_actions(value: Value | None, problems: Problems,
                  declared: set[str] | None = None) -> dict[str, ActionConfig]:
    """``actions: {name: {type: sql|http, ...}}``; ``declared`` gets every name written."""
    out: dict[str, ActionConfig] = {}
    if value is None:
        return out
    for key, item in value.pairs():
        name = str(key.node.value)
        if declared is not None:
            declared.add(name)  # a broken action is reported once, not at every use
        if not re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", name):
            key.error(f"action name {name!r} must be letters, digits, _ or - (starting with a "
                      "letter)")
            continue
        if not item.is_mapping:
            item.error(f"action {name!r} must be a mapping with a 'type' (sql or http)")
            continue
        fields = item.fields(f"action {name!r}")
        kind_value = fields.require("type", "sql or http")
        kind = kind_value.text("an action type") if kind_value else None
        if kind_value is not None and kind is not None and kind not in KINDS:
            kind_value.error(f"unknown action type {kind!r} (expected one of: "
                             f"{', '.join(KINDS)})")
            kind = None
        args: dict[str, Any] = {}
        if (v := fields.get("timeout")) is not None:
            args["timeout"] = v.number(f"timeout (seconds, at most {MAX_TIMEOUT:g})", 0.1,
                                       MAX_TIMEOUT)
        if kind == "sql":
            args.update(_sql(fields))
        elif kind == "http":
            args.update(_http(fields))
        fields.done()
        if kind is not None:
            out[name] = ActionConfig(name, kind, key.where,
                                     **{k: v for k, v in args.items() if v is not None})
    return out


def written_table(statement: str) -> str:
    """The table an INSERT INTO / UPDATE writes, lower case without quotes ("" if none)."""
    found = WRITES.match(statement)
    return found.group(1).replace('"', "").lower() if found else ""


def _sql(fields: Fields) -> dict[str, Any]:
    out: dict[str, Any] = {}
    value = fields.require("statement", "one INSERT or UPDATE with :id and :item")
    if value is not None and (statement := value.text("an SQL statement")):
        statement = statement.strip().rstrip(";").strip()
        first = statement.split(None, 1)[0].upper() if statement else ""
        if first not in ("INSERT", "UPDATE"):
            value.error("an action is one INSERT or UPDATE statement (it writes one row)")
        elif not (table := written_table(statement)):
            value.error("write 'INSERT INTO <table> ...' or 'UPDATE <table> ...' (no OR "
                        "REPLACE, no comments before the table)")
        elif ";" in statement:
            value.error("an action is one statement (no ';' inside)")
        else:
            out["table"] = table
        bound_only(value, statement, ":id, :item or :caller", "a statement")
        for name in sorted(set(SQL_PARAM.findall(statement)) - set(PARAMS)):
            if not FIELD.match(name):
                value.error(f"parameter :{name} is neither :id, :item, :caller nor a field name")
        out["statement"] = statement
    if fields.get("database") is None:
        fields.value.error("a sql action names its database: 'database: <name>', a writable "
                           f"connection the operator declared as {ACTION_PREFIX}<NAME> (the "
                           "demo menus use 'database: demo')")
    elif (named := connection_name(fields, ACTION_PREFIX)) is not None:
        out["database"], out["url_where"] = named
    return out


def _http(fields: Fields) -> dict[str, Any]:
    out: dict[str, Any] = {}
    refs: list[tuple[str, Where]] = []
    if (url_value := fields.require("url", "an https URL; the JSON body goes in 'body'")) \
            is not None:
        url = url_value.text("a URL") or ""
        without_env = ENV_REF.sub("", url)
        if not re.match(r"^https?://", url) and not url.startswith("${"):
            url_value.error("url must start with http:// or https:// (or an ${ENV} base)")
        for name in URL_PARAM.findall(without_env):
            if not FIELD.match(name):
                url_value.error(f"{{{name}}} in url is neither {{id}}, {{item}}, {{caller}} "
                                "nor a field name")
        if re.search(r"(?i)(token|key|secret|password|passwd|auth)=[^${&]+", without_env):
            url_value.error("the url seems to contain a credential: take it from the "
                            "environment, e.g. ?key=${IVR_SOURCE_LIBRARY_KEY}")
        out["url"], out["url_where"] = url, url_value.where
        refs += [(name, url_value.where) for name in ENV_REF.findall(url)]
    if (h := fields.get("headers")) is not None:
        out["headers"] = parse_headers(h, refs)
    if (b := fields.require("body", 'the JSON sent, e.g. {card: "{id}", item: "{item}"}')) \
            is not None:
        count = [0]
        out["body"] = _body(b, 1, count)
    out["env_refs"] = tuple(refs)
    return out


def _body(value: Value, depth: int, count: list[int]) -> dict[str, Any]:
    """A mapping of text templates (``"{id}"``) and nested mappings; values are filled
    and JSON-encoded when the action runs, never pasted into JSON text."""
    if not value.is_mapping:
        value.error('body is a mapping of names to text: {card: "{id}", item: "{item}"}')
        return {}
    out: dict[str, Any] = {}
    for key, item in value.pairs():
        name = str(key.node.value)
        count[0] += 1
        if count[0] > MAX_BODY_FIELDS:
            key.error(f"a body has at most {MAX_BODY_FIELDS} fields")
            break
        if item.is_mapping:
            if depth >= MAX_BODY_DEPTH:
                item.error(f"a body nests at most {MAX_BODY_DEPTH} levels")
                continue
            out[name] = _body(item, depth + 1, count)
            continue
        text = item.text("text, with {id}, {item}, {caller} or a field of the record")
        if text is None:
            continue
        if ENV_REF.search(text):
            item.error("a body reads no ${NAME} variables: credentials go in 'headers'")
            continue
        try:
            template_names(text)
        except ValueError as exc:
            what = f"{{{exc.args[0]}}}" if exc.args and exc.args[0] else repr(text)
            item.error(f"{what} is neither {{id}}, {{item}}, {{caller}} nor a field name "
                       "(write literal braces as {{ and }})")
            continue
        out[name] = text
    return out
