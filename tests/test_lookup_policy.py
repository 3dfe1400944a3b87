"""Menu sources reach only what the operator allows: variables, hosts (checked and run)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.config import ConfigError
from ivr.lookup import FAILED, FOUND
from ivr.lookup.live import LiveLookups
from ivr.lookup.policy import HostRule, NotAllowed, SourcePolicy
from ivr.menu.lint import check_paths
from ivr.menu.loader import load_text
from ivr.menu.model import Menu

SECRETS = ("TWILIO_AUTH_TOKEN", "SECRET_KEY", "DATABASE_URL")
PARAMS = {"id": "100001", "caller": "+15551230000"}


def menu_text(url: str, headers: str = "{}") -> str:
    """A menu whose only lookup reads an http source (url on line 8, headers on line 9)."""
    return f"""menu: leak
languages: {{en: {{locale: en-US, voice: Polly.Joanna}}}}
start: ask
defaults: {{fallback: bye}}
sources:
  api:
    type: http
    url: "{url}"
    headers: {headers}
nodes:
  ask: {{type: lookup, source: api, say: "Your order number?", answer: "It is {{state}}."}}
  bye: {{type: hangup}}
"""


def problems_of(tmp_path: Path, text: str, policy: SourcePolicy,
                environ: dict[str, str] | None = None) -> set[tuple[int, str, str]]:
    """(line, severity, message) of every lookup problem `ivr check` reports."""
    file = tmp_path / "leak.yaml"
    file.write_text(text)
    menu = load_text(text, str(file))
    found = set()
    for declared in menu.sources.values():
        for where, severity, message in policy.problems(declared, environ or {}):
            found.add((where.line, severity, message))
    return found


# ---- `ivr check` refuses what the operator did not allow ------------------------------


@pytest.mark.parametrize("name", SECRETS)
def test_check_refuses_a_server_secret_in_the_url_at_its_line(tmp_path: Path, name: str) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse("api.example.org"),))
    text = menu_text(f"https://api.example.org/orders/{{id}}?t=${{{name}}}")
    assert problems_of(tmp_path, text, policy) == {
        (8, "error", f"source 'api' reads ${{{name}}}, which the operator does not allow: "
                     "sources read only IVR_SOURCE_* variables and those listed in "
                     "IVR_LOOKUP_ENV (the app's own settings never are)")}


def test_check_names_each_refused_header_variable_at_its_line(tmp_path: Path) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse("api.example.org"),),
                          env_names=frozenset({"LIBRARY_TOKEN"}))
    text = menu_text("https://api.example.org/{id}",
                     '{X-Key: SECRET_KEY, X-Lib: LIBRARY_TOKEN,\n'
                     '              X-Db: "db ${DATABASE_URL}", X-Ok: IVR_SOURCE_KEY}')
    found = problems_of(tmp_path, text, policy, {"LIBRARY_TOKEN": "t", "IVR_SOURCE_KEY": "k"})
    assert {(line, name) for line, severity, message in found
            for name in SECRETS if severity == "error" and f"${{{name}}}" in message} == {
        (9, "SECRET_KEY"), (10, "DATABASE_URL")}
    assert len(found) == 2  # LIBRARY_TOKEN is listed, IVR_SOURCE_KEY has the prefix


def test_ivr_check_prints_the_file_line_and_the_variable(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "leak.yaml").write_text(menu_text("https://api.example.org/{id}",
                                                  "{Authorization: TWILIO_AUTH_TOKEN}"))
    monkeypatch.setenv("IVR_LOOKUP_HOSTS", "api.example.org")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "the-real-token")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "leak.yaml")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'leak.yaml'}:9:" in result.output
    assert "error: source 'api' reads ${TWILIO_AUTH_TOKEN}, which the operator does not " \
           "allow" in result.output
    assert "the-real-token" not in result.output


def test_check_refuses_hosts_the_operator_did_not_list(tmp_path: Path) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse("api.example.org"),
                                 HostRule.parse("*.library.example")))
    refused = {"https://evil.example.net/{id}": "evil.example.net",
               "http://localhost/{id}": "localhost",
               "http://127.0.0.1/{id}": "127.0.0.1",
               "https://api.example.org:8443/{id}": "api.example.org:8443",
               "https://library.example/{id}": "library.example"}
    for url, host in refused.items():
        assert problems_of(tmp_path, menu_text(url), policy) == {
            (8, "error", f"source 'api' connects to {host}, which is not in the operator's "
                         "IVR_LOOKUP_HOSTS")}, url
    for url in ("https://api.example.org/{id}", "https://cards.library.example/{id}",
                "https://API.example.org./{id}"):
        assert problems_of(tmp_path, menu_text(url), policy) == set(), url
    # A base URL from the operator's variable is checked once it is known.
    base = menu_text("${IVR_SOURCE_BASE}/{id}")
    assert problems_of(tmp_path, base, policy, {"IVR_SOURCE_BASE": "https://api.example.org"}) \
        == set()
    assert problems_of(tmp_path, base, policy, {"IVR_SOURCE_BASE": "http://10.0.0.7"}) == {
        (8, "error", "source 'api' connects to 10.0.0.7, which is not in the operator's "
                     "IVR_LOOKUP_HOSTS")}


def test_nothing_is_allowed_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IVR_LOOKUP_HOSTS", "IVR_LOOKUP_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    file = tmp_path / "leak.yaml"
    file.write_text(menu_text("http://localhost:5000/{id}"))
    problems, _ = check_paths([file], None)
    assert [(p.where.line, p.message) for p in problems if p.severity == "error"] == [
        (8, "source 'api' connects to localhost:5000, which is not in the operator's "
            "IVR_LOOKUP_HOSTS")]


# ---- the operator's settings ------------------------------------------------------------


@pytest.mark.parametrize("name", [*SECRETS, "SMTP_PASSWORD", "IVR_METRICS_TOKEN",
                                  "IVR_LOOKUP_DB_SHOP", "PGPASSWORD"])
def test_the_operator_cannot_hand_the_apps_own_secrets_to_menus(name: str) -> None:
    with pytest.raises(ConfigError, match=f"IVR_LOOKUP_ENV lists {name}"):
        SourcePolicy.from_settings({"IVR_LOOKUP_ENV": f"LIBRARY_TOKEN, {name}"}, {})


def test_settings_build_the_policy() -> None:
    policy = SourcePolicy.from_settings({
        "IVR_LOOKUP_ENV": "LIBRARY_TOKEN", "IVR_LOOKUP_HOSTS": "api.example.org, [::1]:8080",
        "DATABASE_URL": "postgresql://app@db/ivr",
        "IVR_LOOKUP_DB_SHOP": "postgres://lookup@db/shop"}, {})
    assert policy.allows_env("LIBRARY_TOKEN") and policy.allows_env("IVR_SOURCE_X")
    assert not policy.allows_env("SECRET_KEY") and not policy.allows_env("IVR_SOURCE_")
    assert policy.hosts == (HostRule("api.example.org"), HostRule("::1", 8080))
    assert set(policy.connections) == {"shop"}  # PostgreSQL: no built-in demo connection
    assert policy.connections["shop"].url == "postgresql+psycopg://lookup@db/shop"
    sqlite = SourcePolicy.from_settings({"DATABASE_URL": "sqlite:////srv/ivr.sqlite3"}, {})
    assert sqlite.connections["demo"].tables == {"orders", "library_loans"}
    for settings, message in [
            ({"IVR_LOOKUP_HOSTS": "http://api.example.org"}, "IVR_LOOKUP_HOSTS"),
            ({"IVR_LOOKUP_HOSTS": "api.example.org:99999"}, "no valid port"),
            ({"DATABASE_URL": "sqlite:////srv/a.db", "IVR_LOOKUP_DB_X": "sqlite:////srv/a.db"},
             "IVR_LOOKUP_DB_X is the app's own database"),
            ({"IVR_LOOKUP_DB_X": "mysql://u@h/db"}, "SQLite files")]:
        with pytest.raises(ConfigError, match=message):
            SourcePolicy.from_settings(settings, {})


@pytest.mark.parametrize("url", [
    "http://api.example.org@127.0.0.1/x", "http://127.0.0.1\\@api.example.org/x",
    "ftp://api.example.org/x", "http://api.example.org:8080/x", "http://127.1/x",
    "http://2130706433/x", "http://[::ffff:127.0.0.1]/x", "http://api.example.org.evil.net/x",
    "http://localhost/x", "http://api%2eexample.org/x"])
def test_tricky_urls_are_refused(url: str) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse("api.example.org"),))
    with pytest.raises(NotAllowed):
        policy.rule_for(url)
    assert policy.rule_for("http://api.example.org/x")[:2] == ("api.example.org", 80)


# ---- at run time: refused before any connection ----------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Remembers every request; /moved redirects to another path of the same server."""

    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        Recorder.seen.append((self.path, self.headers.get("Host", "")))
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/orders/100001")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"state": "shipped"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@contextmanager
def recording_server() -> Iterator[int]:
    """A local JSON server that remembers every request; yields its port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    Recorder.seen = []
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server() -> Iterator[int]:
    """A recording server's port."""
    with recording_server() as port:
        yield port


def source_menu(url: str, headers: str = "{}") -> Menu:
    """The menu as the loader accepts it (the policy is not the loader's business)."""
    return load_text(menu_text(url, headers), "leak.yaml")


def find(policy: SourcePolicy, menu: Menu, environ: dict[str, str],
         tmp_path: Path) -> tuple[str, str]:
    lookups = LiveLookups(menus_dir=tmp_path, policy=policy, secret="s", environ=environ)
    try:
        result = lookups.find(menu, "api", PARAMS)
    finally:
        lookups.close()
    return result.status, result.reason


SECRET_ENV = {"TWILIO_AUTH_TOKEN": "tok", "SECRET_KEY": "key", "DATABASE_URL": "postgresql://x",
              "IVR_SOURCE_KEY": "fine"}


@pytest.mark.parametrize("name", SECRETS)
def test_a_secret_is_never_sent_even_to_an_allowed_host(server: int, tmp_path: Path,
                                                        name: str) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse(f"127.0.0.1:{server}"),))
    in_url = source_menu(f"http://127.0.0.1:{server}/orders/{{id}}?t=${{{name}}}")
    in_header = source_menu(f"http://127.0.0.1:{server}/orders/{{id}}", f"{{X-Key: {name}}}")
    assert find(policy, in_url, SECRET_ENV, tmp_path) == (FAILED, "not_allowed")
    assert find(policy, in_header, SECRET_ENV, tmp_path) == (FAILED, "not_allowed")
    assert Recorder.seen == []
    fine = source_menu(f"http://127.0.0.1:{server}/orders/{{id}}?k=${{IVR_SOURCE_KEY}}")
    assert find(policy, fine, SECRET_ENV, tmp_path) == (FOUND, "")
    assert Recorder.seen == [("/orders/100001?k=fine", f"127.0.0.1:{server}")]


def test_a_host_not_listed_is_never_contacted(server: int, tmp_path: Path) -> None:
    menu = source_menu(f"http://127.0.0.1:{server}/orders/{{id}}")
    for hosts in ((), (HostRule.parse("localhost"),), (HostRule.parse("127.0.0.1"),),
                  (HostRule.parse("*.example.org"),)):
        assert find(SourcePolicy(hosts=hosts), menu, {}, tmp_path) == (FAILED, "not_allowed")
    assert Recorder.seen == []


def test_a_listed_name_is_resolved_once_and_keeps_its_host_header(server: int,
                                                                  tmp_path: Path) -> None:
    policy = SourcePolicy(hosts=(replace(HostRule.parse(f"localhost:{server}"), private=True),))
    menu = source_menu(f"http://localhost:{server}/orders/{{id}}")
    assert find(policy, menu, {}, tmp_path) == (FOUND, "")
    assert Recorder.seen == [("/orders/100001", f"localhost:{server}")]


def test_a_redirect_is_never_followed_even_to_an_allowed_host(server: int,
                                                              tmp_path: Path) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse(f"127.0.0.1:{server}"),))
    menu = source_menu(f"http://127.0.0.1:{server}/moved/{{id}}")
    assert find(policy, menu, {}, tmp_path) == (FAILED, "http")
    assert [path for path, _ in Recorder.seen] == ["/moved/100001"]


def fake_dns(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """Every name resolves to ``address`` (as a hostile or careless DNS would answer)."""
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_wildcard_name_resolving_to_a_private_address_is_refused(
        server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, "127.0.0.1")
    menu = source_menu(f"http://api.example.org:{server}/orders/{{id}}")
    wildcard = SourcePolicy(hosts=(HostRule.parse(f"*.example.org:{server}"),))
    assert find(wildcard, menu, {}, tmp_path) == (FAILED, "not_allowed")
    assert Recorder.seen == []
    # A name the operator listed exactly and allowed private addresses for may be internal:
    # reached at the address resolved.
    exact = SourcePolicy(hosts=(replace(HostRule.parse(f"api.example.org:{server}"), private=True),))
    assert find(exact, menu, {}, tmp_path) == (FOUND, "")
    assert Recorder.seen == [("/orders/100001", f"api.example.org:{server}")]


def test_no_listed_name_reaches_the_cloud_metadata_address(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, "169.254.169.254")
    policy = SourcePolicy(hosts=(HostRule.parse("api.example.org"),))
    menu = source_menu("http://api.example.org/latest/meta-data/{id}")
    assert find(policy, menu, {}, tmp_path) == (FAILED, "not_allowed")


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An HTTPS server with a certificate for localhost, trusted as if a CA had signed it."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    original = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context",
                        lambda *a, **k: original(cafile=str(cert)))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(str(cert), str(key))
    httpd.socket = server_side.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    Recorder.seen = []
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def test_https_to_a_checked_address_still_verifies_the_name(
        tls_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = SourcePolicy(hosts=(replace(HostRule.parse(f"localhost:{tls_server}"), private=True),
                                 replace(HostRule.parse(f"api.example.org:{tls_server}"),
                                         private=True)))
    good = source_menu(f"https://localhost:{tls_server}/orders/{{id}}")
    assert find(policy, good, {}, tmp_path) == (FOUND, "")
    assert Recorder.seen == [("/orders/100001", f"localhost:{tls_server}")]
    # The address is pinned, the certificate is not waived: it must be for the name asked.
    fake_dns(monkeypatch, "127.0.0.1")
    wrong = source_menu(f"https://api.example.org:{tls_server}/orders/{{id}}")
    assert find(policy, wrong, {}, tmp_path) == (FAILED, "unreachable")
    assert len(Recorder.seen) == 1


def test_a_header_value_cannot_smuggle_another_header(server: int, tmp_path: Path) -> None:
    policy = SourcePolicy(hosts=(HostRule.parse(f"127.0.0.1:{server}"),))
    menu = source_menu(f"http://127.0.0.1:{server}/orders/{{id}}", "{X-Key: IVR_SOURCE_KEY}")
    environ = {"IVR_SOURCE_KEY": "k\r\nHost: evil.example"}
    assert find(policy, menu, environ, tmp_path) == (FAILED, "bad_request")
    assert Recorder.seen == []


def fake_dns6(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """Every name resolves to the IPv6 ``address``."""
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("address", ["2002:7f00:1::1", "2002:a00:1::1", "::ffff:10.0.0.1",
                                     "::ffff:127.0.0.1"])
def test_private_addresses_wrapped_in_ipv6_are_refused(
        address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns6(monkeypatch, address)
    menu = source_menu("http://api.example.org/orders/{id}")
    for hosts in ("*.example.org", "api.example.org"):
        policy = SourcePolicy.from_settings({"IVR_LOOKUP_HOSTS": hosts, "DATABASE_URL": ""}, {})
        assert find(policy, menu, {}, tmp_path) == (FAILED, "not_allowed"), hosts


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::a00:1"])
def test_nat64_addresses_wrapping_a_private_ipv4_are_refused(
        address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns6(monkeypatch, address)
    menu = source_menu("http://api.example.org/orders/{id}")
    for hosts in ("*.example.org", "api.example.org"):
        policy = SourcePolicy.from_settings({"IVR_LOOKUP_HOSTS": hosts, "DATABASE_URL": ""}, {})
        assert find(policy, menu, {}, tmp_path) == (FAILED, "not_allowed"), hosts


def test_an_exact_name_reaches_a_private_address_only_when_the_operator_allows_it(
        server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, "127.0.0.1")
    menu = source_menu(f"http://api.example.org:{server}/orders/{{id}}")
    listed = {"IVR_LOOKUP_HOSTS": f"api.example.org:{server}", "DATABASE_URL": ""}
    assert find(SourcePolicy.from_settings(listed, {}), menu, {}, tmp_path) == \
        (FAILED, "not_allowed")
    assert Recorder.seen == []
    allowed = SourcePolicy.from_settings({**listed, "IVR_LOOKUP_PRIVATE_HOSTS": "api.example.org"},
                                         {})
    assert find(allowed, menu, {}, tmp_path) == (FOUND, "")
    assert Recorder.seen == [("/orders/100001", f"api.example.org:{server}")]
