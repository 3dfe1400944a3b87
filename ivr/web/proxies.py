"""Which peers' X-Forwarded-* headers count: the proxy's own addresses, nobody else's.

werkzeug's ProxyFix believes the last N proxies' headers from whoever sends them. The
Procfile binds gunicorn where platforms need it (0.0.0.0), so a client that reaches
gunicorn directly could otherwise name its own address (and slip past the per-address
login limit) or the URL the app believes it has. Like gunicorn's own
``forwarded_allow_ips``, the headers are applied only when the connection comes from
one of IVR_PROXY_ADDRESSES; from anywhere else they are removed before the app sees them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.config import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Every header a proxy may use to tell the app about the client or the URL.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED",
                     "HTTP_X_REAL_IP")


def parse_addresses(value: str) -> list[Network] | None:
    """IVR_PROXY_ADDRESSES: comma-separated addresses or networks; ``*`` (None) is anyone."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if "*" in items:
        return None
    networks: list[Network] = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"IVR_PROXY_ADDRESSES: {item!r} is not an address or a network "
                              "(like 127.0.0.1, 10.0.0.0/8 or *)") from None
    if not networks:
        raise ConfigError("IVR_PROXY_ADDRESSES is empty: name the proxy's address "
                          "(127.0.0.1 when nginx runs on the same machine)")
    return networks


def is_proxy(address: str | None, networks: Iterable[Network] | None) -> bool:
    """Whether a connection from ``address`` is one of the proxies'."""
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class TrustedProxies:
    """WSGI middleware: ProxyFix for the proxies' connections, forwarded headers dropped for others."""

    def __init__(self, app: Any, count: int, addresses: str) -> None:
        self.direct = app
        self.fixed = ProxyFix(app, x_for=count, x_proto=count, x_host=count, x_port=count,
                              x_prefix=count)
        self.networks = parse_addresses(addresses)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Apply the headers when the peer is a proxy; otherwise forget them."""
        if is_proxy(environ.get("REMOTE_ADDR"), self.networks):
            return self.fixed(environ, start_response)
        for name in FORWARDED_HEADERS:
            environ.pop(name, None)
        return self.direct(environ, start_response)
