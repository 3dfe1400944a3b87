"""What the operator lets menu sources reach: which variables, which hosts, which databases.

Admins write menus, but only the operator (the server's environment) decides what a
source may touch. A source reads ``${NAME}`` only for ``IVR_SOURCE_*`` variables and
the names in ``IVR_LOOKUP_ENV`` (never the app's own settings); an HTTP source connects
only to the hosts in ``IVR_LOOKUP_HOSTS``; an SQL source reads only a connection the
operator declared as ``IVR_LOOKUP_DB_<NAME>`` (or the built-in read-only ``demo`` one).
The same rules serve `ivr check`, the editor, published menus and drafts.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ivr.lookup.actions import ACTION_PREFIX, ActionConfig
from ivr.lookup.config import ENV_REF, SourceConfig
from ivr.lookup.samedb import same_database
from ivr.menu.source import Where

SOURCE_PREFIX = "IVR_SOURCE_"  # variables a menu may read as ${IVR_SOURCE_...}
DB_PREFIX = "IVR_LOOKUP_DB_"  # named SQL connections: IVR_LOOKUP_DB_SHOP=postgresql://...
DEMO = "demo"
DEMO_TABLES = frozenset({"orders", "library_loans"})  # migration 0004, `ivr demo seed`
DEMO_WRITES = frozenset({"library_holds"})  # migration 0015: the demo's holds
RESERVED_PREFIXES = ("IVR_", "TWILIO_", "SMTP_", "DATABASE_", "SECRET_", "FLASK_", "AWS_",
                     "PG")
CONNECTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
HOST_NAME = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
DEFAULT_PORTS = {"http": 80, "https": 443}
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64: the well-known prefix and the local-use one (RFC 6052, RFC 8215).
NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class NotAllowed(Exception):
    """A source asked for something the operator does not allow; ``reason`` names it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = f"not_allowed:{reason}"


@dataclass(frozen=True)
class Connection:
    """A database the operator declared for lookups."""

    name: str
    url: str
    # SQLite: the only tables it may read (an action's: write) (None: all)
    tables: frozenset[str] | None = None


@dataclass(frozen=True)
class HostRule:
    """One entry of IVR_LOOKUP_HOSTS: a host name, ``*.domain`` or IP literal, maybe a port."""

    host: str
    port: int | None = None  # None: the scheme's default port only
    wildcard: bool = False
    private: bool = False  # an exact name the operator lets resolve to private addresses

    def matches(self, host: str, port: int, default: int) -> bool:
        """Whether this entry lets a URL's host and port through."""
        if port != (self.port if self.port is not None else default):
            return False
        if self.wildcard:
            return host.endswith("." + self.host) and _ip(host) is None
        return host == self.host

    @classmethod
    def parse(cls, entry: str) -> HostRule:
        """``api.example.org``, ``*.example.org``, ``10.0.0.5:8080`` or ``[::1]:8080``."""
        text = entry.strip().lower().rstrip(".")
        port: int | None = None
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            if rest:
                port = _port(rest.removeprefix(":"), entry)
        elif text.count(":") == 1:
            host, _, number = text.partition(":")
            port = _port(number, entry)
        else:
            host = text
        if _ip(host) is not None:
            return cls(str(_ip(host)), port)
        if not HOST_NAME.match(host):
            raise ValueError(f"{entry!r} is not a host name, *.domain or IP address")
        if host.startswith("*."):
            return cls(host[2:], port, wildcard=True)
        return cls(host, port)


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{entry!r} has no valid port")
    return int(text)


def _ip(text: str) -> IP | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def reserved(name: str) -> bool:
    """The app's own settings and secrets: no menu reads them, whatever the operator lists."""
    from ivr.config import SETTINGS

    if name.startswith(SOURCE_PREFIX):
        return False
    return name in SETTINGS or name.startswith(RESERVED_PREFIXES)


@dataclass(frozen=True)
class SourcePolicy:
    """The operator's rules for every source of every menu (and draft)."""

    env_names: frozenset[str] = frozenset()  # IVR_LOOKUP_ENV: more names menus may read
    hosts: tuple[HostRule, ...] = ()  # IVR_LOOKUP_HOSTS
    connections: Mapping[str, Connection] = field(default_factory=dict)
    actions: Mapping[str, Connection] = field(default_factory=dict)  # IVR_ACTION_DB_<NAME>

    # ---- variables ------------------------------------------------------------------

    def allows_env(self, name: str) -> bool:
        """Whether a source may read the variable ``name``."""
        if name.startswith(SOURCE_PREFIX):
            return len(name) > len(SOURCE_PREFIX)
        return name in self.env_names and not reserved(name)

    def env_value(self, name: str, environ: Mapping[str, str]) -> str:
        """The value of an allowed, set variable; NotAllowed or LookupError otherwise."""
        if not self.allows_env(name):
            raise NotAllowed(f"env:{name}")
        value = environ.get(name, "")
        if not value:
            raise LookupError(name)
        return value

    # ---- hosts ----------------------------------------------------------------------

    def rule_for(self, url: str) -> tuple[str, int, HostRule]:
        """The host, port and entry that allow ``url``; NotAllowed names what is refused."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise NotAllowed("url") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise NotAllowed(f"scheme:{scheme or '?'}")
        if "@" in parts.netloc or "\\" in url:
            raise NotAllowed("url")  # user info and backslashes parse differently elsewhere
        host = (parts.hostname or "").rstrip(".")
        default = DEFAULT_PORTS[scheme]
        port = port if port is not None else default
        if _ip(host) is not None:
            host = str(_ip(host))
        elif not HOST_NAME.match(host) or host.startswith("*"):
            raise NotAllowed("host")
        for rule in self.hosts:
            if rule.matches(host, port, default):
                return host, port, rule
        raise NotAllowed(f"host:{host}" + (f":{port}" if port != default else ""))

    def addresses(self, host: str, port: int, rule: HostRule) -> list[str]:
        """The addresses to connect to, resolved once here (never again by the client)."""
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise LookupError(host) from None
        addresses: list[str] = []
        for *_, sockaddr in found:
            address = _ip(str(sockaddr[0]))
            if address is None or not _reachable(address, rule):
                raise NotAllowed(f"address:{host}")  # one bad answer spoils the name
            if str(address) not in addresses:
                addresses.append(str(address))
        return addresses

    # ---- databases ------------------------------------------------------------------

    def connection(self, name: str) -> Connection:
        """The operator's connection ``name``; NotAllowed when there is none."""
        found = self.connections.get(name.lower())
        if found is None:
            raise NotAllowed(f"database:{name}")
        return found

    def action_connection(self, name: str) -> Connection:
        """The operator's writable connection ``name``; NotAllowed when there is none."""
        found = self.actions.get(name.lower())
        if found is None:
            raise NotAllowed(f"database:{name}")
        return found

    # ---- what `ivr check` says ------------------------------------------------------

    def problems(self, config: SourceConfig | ActionConfig,
                 environ: Mapping[str, str] | None = None) -> list[tuple[Where, str, str]]:
        """(where, severity, message) for everything this source (or action) asks that is
        refused."""
        environ = os.environ if environ is None else environ
        out: list[tuple[Where, str, str]] = []
        where = config.where
        what = "action" if isinstance(config, ActionConfig) else "source"
        for name, at in config.env_refs:
            if not self.allows_env(name):
                listed = " (the app's own settings never are)" if reserved(name) else ""
                out.append((at, "error", f"{what} {config.name!r} reads ${{{name}}}, which the "
                            f"operator does not allow: {what}s read only {SOURCE_PREFIX}* "
                            f"variables and those listed in IVR_LOOKUP_ENV{listed}"))
            elif not environ.get(name):
                uses = "actions" if what == "action" else "lookups"
                out.append((where, "warning", f"{what} {config.name!r} reads ${name}, which is "
                            f"not set here: its {uses} will apologise and fall back"))
        if config.kind == "http":
            out += self._host_problem(config, environ)
        if isinstance(config, ActionConfig):
            return out + self._action_db_problem(config)
        if config.kind == "sql" and config.database and \
                config.database.lower() not in self.connections:
            out.append((config.url_where or where, "warning",
                        f"source {config.name!r} reads database {config.database!r}, which the "
                        f"operator has not declared ({DB_PREFIX}{config.database.upper()}): "
                        "its lookups will apologise and fall back"))
        return out

    def _action_db_problem(self, config: ActionConfig) -> list[tuple[Where, str, str]]:
        if config.kind != "sql" or not config.database:
            return []
        at = config.url_where or config.where
        connection = self.actions.get(config.database.lower())
        if connection is None:
            return [(at, "warning", f"action {config.name!r} writes to database "
                     f"{config.database!r}, which the operator has not declared "
                     f"({ACTION_PREFIX}{config.database.upper()}): it will apologise and fall "
                     "back")]
        table = config.table.rsplit(".", 1)[-1]
        if connection.tables is not None and table and table not in connection.tables:
            return [(at, "error", f"action {config.name!r} writes table {table!r}, which "
                     f"connection {connection.name!r} may not write (only "
                     f"{', '.join(sorted(connection.tables))})")]
        return []

    def _host_problem(self, config: SourceConfig | ActionConfig,
                      environ: Mapping[str, str]) -> list[tuple[Where, str, str]]:
        base = ENV_REF.match(config.url)
        if base and not (self.allows_env(base.group(1)) and environ.get(base.group(1))):
            return []  # reported above; the host is checked once the base is known

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return (environ.get(name) if self.allows_env(name) else "") or "x"

        url = ENV_REF.sub(value, config.url)
        try:
            self.rule_for(re.sub(r"\{[A-Za-z_]\w*\}", "1", url))
        except NotAllowed as exc:
            what = exc.reason.split(":", 2)
            detail = {"host": f"connects to {':'.join(what[2:]) or 'a host'}, which is not "
                              "in the operator's IVR_LOOKUP_HOSTS",
                      "scheme": "must use http or https",
                      "url": "has a URL the operator's rules cannot check (no user:password@, "
                             "no backslashes)"}.get(what[1], "is refused")
            kind = "action" if isinstance(config, ActionConfig) else "source"
            return [(config.url_where or config.where, "error",
                     f"{kind} {config.name!r} {detail}")]
        return []

    # ---- from the server's settings --------------------------------------------------

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any],
                      environ: Mapping[str, str] | None = None) -> SourcePolicy:
        """The policy from settings and environment; ConfigError names a bad value."""
        from ivr.config import ConfigError, database_url, instance_dir

        environ = os.environ if environ is None else environ
        merged = {**environ, **{k: str(v) for k, v in settings.items() if isinstance(v, str)}}
        names = {n.strip() for n in str(merged.get("IVR_LOOKUP_ENV") or "").split(",")
                 if n.strip()}
        for name in sorted(names):
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise ConfigError(f"IVR_LOOKUP_ENV: {name!r} is not a variable name")
            if reserved(name):
                raise ConfigError(f"IVR_LOOKUP_ENV lists {name}: menu sources never read the "
                                  "app's own settings or secrets; give the source its own "
                                  f"variable ({SOURCE_PREFIX}...)")
        hosts: list[HostRule] = []
        for entry in str(merged.get("IVR_LOOKUP_HOSTS") or "").split(","):
            if entry.strip():
                try:
                    hosts.append(HostRule.parse(entry))
                except ValueError as exc:
                    raise ConfigError(f"IVR_LOOKUP_HOSTS: {exc}") from None
        private = {n.strip().lower().rstrip(".") for n in
                   str(merged.get("IVR_LOOKUP_PRIVATE_HOSTS") or "").split(",") if n.strip()}
        for name in sorted(private):
            if name.startswith("*") or not any(r.host == name and not r.wildcard for r in hosts):
                raise ConfigError(f"IVR_LOOKUP_PRIVATE_HOSTS: {name!r} is not a name listed "
                                  "exactly in IVR_LOOKUP_HOSTS (wildcards reach public "
                                  "addresses only)")
        hosts = [replace(rule, private=True) if rule.host in private and not rule.wildcard
                 else rule for rule in hosts]
        app_db = database_url(str(merged.get("DATABASE_URL") or ""), instance_dir(environ))
        connections: dict[str, Connection] = {}
        if app_db.startswith("sqlite:///"):
            # The demo menus work out of the box: the app's own SQLite file, read-only,
            # and only the two demo tables (an operator's IVR_LOOKUP_DB_DEMO replaces it).
            connections[DEMO] = Connection(DEMO, app_db, DEMO_TABLES)
        for key, value in merged.items():
            if not key.startswith(DB_PREFIX) or not value:
                continue
            name = key[len(DB_PREFIX):]
            if not CONNECTION_NAME.match(name):
                raise ConfigError(f"{key}: a connection name is letters, digits and _")
            url = database_url(str(value), Path.cwd())
            if same_database(url, app_db):
                raise ConfigError(f"{key} is the app's own database: give lookups their own "
                                  "database, or a role that may only read the tables they "
                                  "need (docs/lookups.md)")
            if not url.startswith(("sqlite:///", "postgresql")):
                raise ConfigError(f"{key}: lookups read SQLite files (sqlite:///path) or "
                                  "PostgreSQL (postgresql://...)")
            connections[name.lower()] = Connection(name.lower(), url)
        return cls(frozenset(names), tuple(hosts), connections,
                   _action_connections(merged, app_db))


def _action_connections(merged: Mapping[str, str], app_db: str) -> dict[str, Connection]:
    """Writable connections for actions: IVR_ACTION_DB_<NAME>, and the built-in demo one."""
    from ivr.config import ConfigError, database_url

    actions: dict[str, Connection] = {}
    if app_db.startswith("sqlite:///"):
        # The demo's holds work out of the box: the app's SQLite file, and an authorizer
        # that lets the statement write library_holds and touch nothing else.
        actions[DEMO] = Connection(DEMO, app_db, DEMO_WRITES)
    for key, value in merged.items():
        if not key.startswith(ACTION_PREFIX) or not value:
            continue
        name = key[len(ACTION_PREFIX):]
        if not CONNECTION_NAME.match(name):
            raise ConfigError(f"{key}: a connection name is letters, digits and _")
        url = database_url(str(value), Path.cwd())
        if same_database(url, app_db):
            raise ConfigError(f"{key} is the app's own database: give actions a role that may "
                              "only write the tables they need (docs/lookups.md)")
        if not url.startswith(("sqlite:///", "postgresql")):
            raise ConfigError(f"{key}: actions write SQLite files (sqlite:///path) or "
                              "PostgreSQL (postgresql://...)")
        actions[name.lower()] = Connection(name.lower(), url)
    return actions


def _embedded_ipv4(address: IP) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, NAT64, Teredo)."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    found = [v4 for v4 in (address.ipv4_mapped, address.sixtofour) if v4 is not None]
    if address.teredo is not None:
        found += list(address.teredo)
    if any(address in network for network in NAT64):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _reachable(address: IP, rule: HostRule) -> bool:
    """Where a resolved name may lead: public addresses, and private ones only where allowed.

    An IP literal the operator listed is reached as listed. A name reaches public
    addresses; a private or loopback one only when the operator listed the name exactly
    and named it in IVR_LOOKUP_PRIVATE_HOSTS. An IPv6 address wrapping an IPv4 one
    (IPv4-mapped, 6to4, NAT64, Teredo) is judged by the IPv4 address too.
    """
    if str(address) == rule.host:
        return True  # an IP literal the operator listed
    for candidate in [address, *_embedded_ipv4(address)]:
        if candidate.is_link_local or candidate.is_multicast or candidate.is_unspecified or \
                candidate.is_reserved:
            return False  # e.g. 169.254.169.254, the cloud's metadata service
        if not candidate.is_global and not (rule.private and not rule.wildcard):
            return False
    return True
