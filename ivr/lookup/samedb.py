"""Whether two database URLs reach the same database: what they reach, not how they are spelled.

Menu sources must never read the app's own database through the app's own role. A
string comparison is fooled by `localhost` for `127.0.0.1`, a default port written out,
or another path (a symlink, `..`) to the same SQLite file. Here a SQLite URL is its
file (compared by identity when it exists, else by real path), and a PostgreSQL URL is
its role, database name, port and the set of addresses its host resolves to (a Unix
socket counts as this machine): two URLs are the same when the role, database and port
match and the addresses meet. Another role on the same database is not the same: that
is the documented way to give lookups a role that may only read their tables.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import socket

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

LOCAL = frozenset({"127.0.0.1", "::1", "unix"})


def same_database(first: str, second: str) -> bool:
    """Whether ``first`` and ``second`` reach the same database as the same role."""
    if first == second:
        return True
    try:
        a, b = make_url(first), make_url(second)
    except ArgumentError:
        return False
    kinds = {a.get_backend_name(), b.get_backend_name()}
    if kinds == {"sqlite"}:
        return _same_file(a.database or "", b.database or "")
    if kinds == {"postgresql"}:
        return _server(a) == _server(b) and bool(_addresses(a) & _addresses(b))
    return False


def _same_file(a: str, b: str) -> bool:
    if not a or not b or ":memory:" in (a, b):
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _server(url: URL) -> tuple[str, str, int]:
    """Role, database and port, with libpq's defaults."""
    user = url.username or getpass.getuser()
    try:
        port = url.port or int(str(url.query.get("port") or 5432))
    except ValueError:
        port = 5432
    return user, url.database or user, port


def _addresses(url: URL) -> frozenset[str]:
    """The addresses the URL's host stands for; a socket path or no host is this machine."""
    host = str(url.host or url.query.get("host") or "")
    if not host or host.startswith("/") or host == "localhost":
        return LOCAL
    try:
        found = {str(info[4][0]).split("%", 1)[0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return frozenset({host.lower()})
    if any(ipaddress.ip_address(address).is_loopback for address in found):
        found |= LOCAL  # 127.0.0.1, 127.0.1.1, ::1 and the Unix socket: this machine's server
    return frozenset(found)
