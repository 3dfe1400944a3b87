"""A hold on a searched item: actions (SQL and HTTP), their operator rules, and the flow
search -> details -> 5 -> card -> PIN -> "placed" through signed webhooks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from ivr.lookup import ALREADY, DONE, FAILED, REFUSED
from ivr.lookup.demo import seed
from ivr.lookup.live import LiveLookups
from ivr.lookup.policy import DEMO_WRITES, Connection, HostRule, SourcePolicy
from ivr.lookup.writable import sqlite_writer
from ivr.menu.lint import check_paths, lint
from ivr.menu.loader import MenuError, load_text
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import OPEN_TIME, ROOT, TOKEN, Clock, make_app, shutdown, upgraded
from tests.http_stub import Gate, JsonHandler, serving

NUMBER = "+15005550150"
CARD, PIN = "20001234", "1234"

MENU = """# Test desk for holds: search a small catalogue, then place a hold on a book.
menu: hold
name: Hold test desk
numbers: ["+15005550150"]
languages:
  en: {locale: en-US, voice: Polly.Joanna}
  fr: {locale: fr-FR, voice: Polly.Lea}
  ro: {locale: ro-RO, voice: Polly.Carmen}
start: books
main: books
defaults: {timeout: 5, tries: 2, fallback: agent}
global_keys: {"9": main, "0": agent}
sources:
  members:
    type: sql
    database: demo
    query: >
      SELECT card_number, MIN(pin_sha256) AS pin FROM library_loans
      WHERE card_number = :id GROUP BY card_number
actions:
  hold:
    type: sql
    database: demo
    statement: >
      INSERT INTO library_holds (card_number, item, branch) VALUES (:id, :item, 'Central')
nodes:
  books:
    type: search
    say: {en: "Say a title or an author.", fr: "Dites un titre.", ro: "Spuneți un titlu."}
    catalogue: {type: csv, file: data/books.csv, fields: {title: 3, author: 2}}
    result: "{title}, by {author}"
    details:
      en: "{title}, by {author}. Shelf mark {shelf}."
      fr: "{title}, de {author}. Cote {shelf}."
      ro: "{title}, de {author}. Cota {shelf}."
    refine:
      audiobook:
        field: formats
        contains: audiobook
        key: "7"
        label: {en: only audiobooks, fr: seulement les livres audio, ro: doar cărțile audio}
        say: {en: [only audiobooks], fr: [livre audio], ro: [carte audio]}
    hold:
      node: place_hold
      key: "5"
      label: {en: place a hold on it, fr: le réserver, ro: a-l rezerva}
      say: {en: [place a hold], fr: [réserver], ro: [rezervare, vreau să rezerv]}
    next: books
  place_hold:
    type: lookup
    source: members
    action: hold
    digits: 8
    say:
      en: "Enter your card number."
      fr: "Saisissez votre numéro de carte."
      ro: "Introduceți numărul cardului."
    verify:
      by: pin
      field: pin
      digits: 4
      say: {en: "Now enter your PIN.", fr: "Saisissez votre code.", ro: "Introduceți codul PIN."}
    answer:
      en: "Your hold on {title} is placed. We will call you when it is ready at Central."
      fr: "Votre réservation de {title} est enregistrée."
      ro: "Rezervarea pentru {title} a fost înregistrată."
    already:
      en: "You already have a hold on {title}."
      fr: "Vous avez déjà réservé {title}."
      ro: "Aveți deja o rezervare pentru {title}."
    next: books
  agent:
    type: message
    say: "A librarian will help you."
    next: bye
  bye:
    type: hangup
    say: "Goodbye."
"""


def menus_dir(tmp_path: Path, text: str = MENU) -> Path:
    folder = tmp_path / "menus"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "tests" / "menus" / "data" / "books.csv", folder / "data" / "books.csv")
    (folder / "hold.yaml").write_text(text, encoding="utf-8")
    return folder


def holds(db_url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT card_number, item, branch FROM library_holds "
                                    "ORDER BY id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


@pytest.fixture
def connections(demo_connection: dict[str, str]) -> dict[str, str]:
    """Lookups read and actions write the demo tables: built in on SQLite, roles on PG."""
    return demo_connection


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock,
        connections: dict[str, str]) -> Iterator[Any]:
    engine = sa.create_engine(db_url)
    seed(engine, OPEN_TIME.date())
    engine.dispose()
    application = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus_dir(tmp_path)),
                           **connections)
    yield application
    application.extensions["ivr"].lookups.close()
    shutdown(application)


def text(heard: list[Any]) -> str:
    return " ".join(h.text for h in heard)


def journey(app: Any, phone: Phone) -> list[tuple[str, str, str, str]]:
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    return [(s["node"], s["event"], s["input"], s["outcome"])
            for s in svc.store.journey(phone.call_sid)]


def to_details(app: Any) -> Phone:
    phone = Phone(FlaskTransport(app), TOKEN, called=NUMBER)
    phone.dial()
    phone.say("victor hugo")
    heard = text(phone.press("2"))  # Notre-Dame de Paris
    assert heard.startswith("Notre-Dame de Paris, by Victor Hugo. Shelf mark 843 HUG.")
    return phone


# ---- the flow through webhooks -------------------------------------------------------------


def test_search_details_hold_card_pin_placed_and_a_repeat_places_nothing(
        app: Any, db_url: str) -> None:
    phone = to_details(app)
    assert "To place a hold on it, press 5 or say place a hold. To hear about another result" \
        in text(phone.heard[-1:])
    action = phone.listening.get("action") if phone.listening is not None else ""
    pending = parse_qs(urlsplit(action or "").query)["c"][0]
    assert pending.startswith("search:d:B01,B02~victor-hugo~~")  # the results, then
    assert "B02" not in pending.rsplit("~", 1)[1]  # the item heard, sealed
    heard = text(phone.press("5"))
    assert heard == "Enter your card number."
    assert phone.node == "place_hold"
    assert parse_qs(urlsplit(phone.listening.get("action") or "").query)["c"][0] \
        .startswith("lookup:ask:")
    assert text(phone.press(CARD)).startswith("You entered 2 0 0 0 1 2 3 4.")
    assert text(phone.press("1")) == "Now enter your PIN."
    heard = text(phone.press(PIN))
    assert heard.startswith("Your hold on Notre-Dame de Paris is placed. We will call you when "
                            "it is ready at Central.")
    assert phone.node == "books"
    assert holds(db_url) == [(CARD, "B02", "Central")]
    # Twilio (or a second worker) sends the last webhook again: still one hold.
    last = phone.exchanges[-1] if "Digits" in phone.exchanges[-1].params else \
        next(e for e in reversed(phone.exchanges) if e.params.get("Digits") == PIN)
    phone.request(last.url, dict(last.params))
    assert holds(db_url) == [(CARD, "B02", "Central")]
    steps = journey(app, phone)
    assert ("books", "hold", "B02", "go:place_hold") in steps
    assert ("place_hold", "action", "******34", "done:B02") in steps
    assert ("place_hold", "action", "******34", "already:B02") in steps
    flat = json.dumps(steps)
    assert CARD not in flat and f'"{PIN}"' not in flat


def test_a_second_try_hears_it_is_already_on_hold(app: Any, db_url: str) -> None:
    for expected in ("Your hold on Notre-Dame de Paris is placed.",
                     "You already have a hold on Notre-Dame de Paris."):
        phone = to_details(app)
        phone.say("place a hold please")  # by voice
        phone.press(CARD)
        phone.press("1")
        assert text(phone.press(PIN)).startswith(expected)
    assert holds(db_url) == [(CARD, "B02", "Central")]


def test_a_wrong_pin_places_nothing(app: Any, db_url: str) -> None:
    phone = to_details(app)
    phone.press("5")
    phone.press(CARD)
    phone.press("1")
    heard = text(phone.press("9999"))
    assert heard.startswith("Sorry, those details don't match our records. Now enter your PIN.")
    heard = text(phone.press("9998"))  # the second miss of two: the fallback
    assert "A librarian will help you." in heard
    assert holds(db_url) == []
    assert ("place_hold", "verify", "", "pin:mismatch") in journey(app, phone)


def test_a_forged_item_places_no_hold(app: Any, db_url: str) -> None:
    phone = to_details(app)
    assert phone.listening is not None
    url = phone.listening.get("action") or ""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    pending = query["c"]
    assert pending.startswith("search:d:")
    # An item key pasted in place of the sealed token, and a token for another item.
    for forged in (pending.rsplit("~", 1)[0] + "~B01", pending[:-2] + "AA"):
        query["c"] = forged
        forged_url = urlunsplit(parts._replace(query=urlencode(query)))
        phone._run(phone.request(phone._absolute(forged_url), {"Digits": "5"}))
        heard = text(phone.new())
        assert "Enter your card number." not in heard
    assert holds(db_url) == []
    assert ("books", "hold", "", "bad_state") in journey(app, phone)


def test_an_item_gone_from_the_catalogue_is_not_held(app: Any, db_url: str,
                                                     tmp_path: Path) -> None:
    phone = to_details(app)
    phone.press("5")
    phone.press(CARD)
    phone.press("1")
    books = tmp_path / "menus" / "data" / "books.csv"
    lines = books.read_text(encoding="utf-8").splitlines(keepends=True)
    books.write_text("".join(line for line in lines if not line.startswith("B02,")),
                     encoding="utf-8")
    heard = text(phone.press(PIN))
    assert heard.startswith("Sorry, that cannot be done for this item.")
    assert holds(db_url) == []
    assert ("place_hold", "action", "******34", "refused:unknown_item:B02") in journey(app, phone)


def test_french_and_romanian_callers(app: Any, db_url: str) -> None:
    for lang, offer, placed in (
            ("fr", "Pour le réserver, tapez 5 ou dites réserver.",
             "Votre réservation de Notre-Dame de Paris est enregistrée."),
            ("ro", "Pentru a-l rezerva, apăsați 5 sau spuneți rezervare.",
             "Aveți deja o rezervare pentru Notre-Dame de Paris.")):
        phone = Phone(FlaskTransport(app), TOKEN, called=NUMBER)
        phone.dial()
        assert phone.listening is not None
        parts = urlsplit(phone.listening.get("action") or "")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["l"] = lang  # as a language node would have set it
        phone.listening.set("action", urlunsplit(parts._replace(query=urlencode(query))))
        phone.say("victor hugo")
        assert offer in text(phone.press("2"))
        phone.say({"fr": "je voudrais réserver", "ro": "vreau să rezerv"}[lang])
        phone.press(CARD)
        phone.press("1")
        assert text(phone.press(PIN)).startswith(placed)
    assert holds(db_url) == [(CARD, "B02", "Central")]


def test_an_action_that_cannot_write_apologises_and_falls_back(
        tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    engine = sa.create_engine(url)
    seed(engine, OPEN_TIME.date())
    engine.dispose()
    broken = MENU.replace("INSERT INTO library_holds (card_number, item, branch) VALUES "
                          "(:id, :item, 'Central')",
                          "INSERT INTO library_holds (card_number, item, branch) SELECT "
                          "username, :item, :id FROM users")
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus_dir(tmp_path, broken)))
    try:
        phone = to_details(app)
        phone.press("5")
        phone.press(CARD)
        phone.press("1")
        heard = text(phone.press(PIN))
        assert heard.startswith("Sorry, we can't do that right now.")
        assert "A librarian will help you." in heard
        assert holds(url) == []
        assert ("place_hold", "action", "******34", "failed:sql") in journey(app, phone)
    finally:
        app.extensions["ivr"].lookups.close()
        shutdown(app)


# ---- the YAML: parsing and `ivr check` -----------------------------------------------------


def problems_of(text_: str) -> list[str]:
    try:
        load_text(text_, "hold.yaml")
    except MenuError as exc:
        return [str(p) for p in exc.problems]
    return []


def line_of(needle: str, text_: str = MENU, nth: int = 0) -> int:
    return [i for i, line in enumerate(text_.splitlines(), 1) if needle in line][nth]


@pytest.mark.parametrize(("old", "new", "at", "message"), [
    ('key: "5"', 'key: "3"', 'key: "3"', "the hold's key is one of 4, 5, 6, 7, 8"),
    ('key: "5"', 'key: "7"', 'key: "7"', "key 7 is already refinement 'audiobook''s"),
    ("action: hold", "action: reserve", "action: reserve",
     "unknown action 'reserve' (defined under 'actions': hold)"),
    ("      INSERT INTO library_holds (card_number, item, branch) VALUES (:id, :item, 'Central')",
     "      DELETE FROM library_holds WHERE card_number = :id", "statement:",
     "an action is one INSERT or UPDATE statement"),
    ("VALUES (:id, :item, 'Central')", "VALUES (:id, :item, 'Central'); DROP TABLE users",
     "statement:", "an action is one statement (no ';' inside)"),
    ("VALUES (:id, :item, 'Central')", "VALUES ('{id}', :item, 'Central')", "statement:",
     "write parameters as :id, :item or :caller (they are bound, never pasted into the SQL)"),
    ("VALUES (:id, :item, 'Central')", "VALUES (:id, :item, '${IVR_SOURCE_BRANCH}')",
     "statement:", "a statement reads no ${NAME} variables"),
    ("INSERT INTO library_holds", "INSERT OR REPLACE INTO library_holds", "statement:",
     "write 'INSERT INTO <table> ...' or 'UPDATE <table> ...'"),
])
def test_yaml_mistakes_point_at_their_line(old: str, new: str, at: str, message: str) -> None:
    assert old in MENU
    broken = MENU.replace(old, new, 1)
    found = problems_of(broken)
    line = max(i for i, text_ in enumerate(broken.splitlines(), 1) if at in text_)
    assert any(f"hold.yaml:{line}:" in p and message in p for p in found), found


def test_already_needs_an_action_and_actions_need_a_database() -> None:
    found = problems_of(MENU.replace("    action: hold\n", ""))
    assert any("'already' is what an action says: this node has no 'action'" in p
               for p in found), found
    found = problems_of(MENU.replace("    database: demo\n    statement:", "    statement:"))
    assert any(f"hold.yaml:{line_of('    type: sql', nth=1)}:" in p and
               "a sql action names its database"
               in p for p in found), found


def test_check_refuses_what_the_operator_does_not_allow(tmp_path: Path) -> None:
    db = tmp_path / "ivr.sqlite3"
    policy = SourcePolicy.from_settings({"DATABASE_URL": f"sqlite:///{db}"}, environ={})
    assert policy.actions["demo"].tables == DEMO_WRITES
    users = MENU.replace("INSERT INTO library_holds (card_number, item, branch)",
                         "INSERT INTO users (username, password_hash, role)")
    folder = menus_dir(tmp_path, users)
    found, _ = check_paths([folder / "hold.yaml"], None, policy)
    database_line = line_of("    database: demo", users, nth=1)
    assert any(p.severity == "error" and p.where.line == database_line and
               "action 'hold' writes table 'users', which connection 'demo' may not write "
               "(only library_holds)" in p.message for p in found), found
    # The clean menu passes; on PostgreSQL without IVR_ACTION_DB_DEMO, a warning says so.
    (folder / "hold.yaml").write_text(MENU, encoding="utf-8")
    found, _ = check_paths([folder / "hold.yaml"], None, policy)
    assert [p for p in found if p.severity == "error"] == []
    pg = SourcePolicy.from_settings({"DATABASE_URL": "postgresql://ivr@db/ivr"}, environ={})
    found, _ = check_paths([folder / "hold.yaml"], None, pg)
    assert any(p.severity == "warning" and "IVR_ACTION_DB_DEMO" in p.message for p in found)
    # An HTTP action to a host the operator did not list.
    http = MENU.replace("""    type: sql
    database: demo
    statement: >
      INSERT INTO library_holds (card_number, item, branch) VALUES (:id, :item, 'Central')""",
                        """    type: http
    url: "https://holds.example.org/holds"
    body: {card: "{id}", item: "{item}"}""")
    (folder / "hold.yaml").write_text(http, encoding="utf-8")
    found, _ = check_paths([folder / "hold.yaml"], None, policy)
    assert any(p.severity == "error" and p.where.line == line_of("holds.example.org", http)
               and "action 'hold' connects to holds.example.org, which is not in the "
               "operator's IVR_LOOKUP_HOSTS" in p.message for p in found), found


def test_a_hold_must_lead_to_a_lookup_node_with_an_action() -> None:
    broken = MENU.replace("      node: place_hold", "      node: agent")
    menu = load_text(broken, "hold.yaml")
    found = [str(p) for p in lint(menu, None, SourcePolicy())]
    assert any(f"hold.yaml:{line_of('node: agent', broken)}:" in p and "'books' hold goes to "
               "'agent', which is not a lookup node with an 'action'" in p for p in found), found


def test_the_operator_cannot_point_actions_at_the_apps_database(tmp_path: Path) -> None:
    from ivr.config import ConfigError

    app_db = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    with pytest.raises(ConfigError, match="IVR_ACTION_DB_DEMO is the app's own database"):
        SourcePolicy.from_settings({"DATABASE_URL": app_db, "IVR_ACTION_DB_DEMO": app_db},
                                   environ={})


# ---- SQL actions: the demo authorizer --------------------------------------------------------


def sql_menu(statement: str) -> Any:
    return load_text(MENU.replace(
        "      INSERT INTO library_holds (card_number, item, branch) VALUES (:id, :item, 'Central')",
        "      " + statement), "hold.yaml")


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgraded(url)
    return url


def test_the_demo_connection_writes_library_holds_and_nothing_else(
        demo_db: str, tmp_path: Path) -> None:
    policy = SourcePolicy.from_settings({"DATABASE_URL": demo_db}, environ={})
    lookups = LiveLookups(menus_dir=tmp_path, policy=policy, secret="s")
    params = {"id": CARD, "item": "B02", "caller": "+15551230000"}
    try:
        menu = sql_menu("INSERT INTO library_holds (card_number, item, branch) "
                        "VALUES (:id, :item, 'Central')")
        assert lookups.act(menu, "hold", params).status == DONE
        assert lookups.act(menu, "hold", params).status == ALREADY
        # Another table: refused before connecting, and by the authorizer anyway.
        menu = sql_menu("INSERT INTO users (username, password_hash, role) "
                        "VALUES (:id, :item, 'admin')")
        result = lookups.act(menu, "hold", params)
        assert (result.status, result.reason) == (FAILED, "not_allowed")
        menu = sql_menu("INSERT INTO library_holds (card_number, item, branch) "
                        "SELECT username, :item, :id FROM users")
        result = lookups.act(menu, "hold", params)
        assert (result.status, result.reason) == (FAILED, "sql")
        menu = sql_menu("UPDATE library_holds SET branch = 'North' WHERE card_number = :id "
                        "AND item = 'none'")
        assert lookups.act(menu, "hold", params).status == REFUSED  # no row written
    finally:
        lookups.close()
    assert holds(demo_db) == [(CARD, "B02", "Central")]


def test_the_write_authorizer_itself(demo_db: str) -> None:
    engine = sqlite_writer(sa.engine.make_url(demo_db).database or "", DEMO_WRITES, 1.0)
    try:
        for statement in ("INSERT INTO users (username, password_hash, role) "
                          "VALUES ('x', 'y', 'admin')",
                          "DELETE FROM library_holds",
                          "DROP TABLE library_holds",
                          "ATTACH DATABASE 'other.db' AS other",
                          "PRAGMA writable_schema = ON"):
            with pytest.raises(sa.exc.DatabaseError, match="not authorized"), \
                    engine.begin() as conn:
                conn.execute(sa.text(statement))
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO library_holds (card_number, item, branch) "
                                 "VALUES ('1', 'B01', 'Central')"))
    finally:
        engine.dispose()
    assert holds(demo_db) == [("1", "B01", "Central")]


def test_postgres_role_may_insert_holds_only(postgres_url: str,
                                             postgres_action_url: str,
                                             tmp_path: Path) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE library_holds"))
    engine.dispose()
    policy = SourcePolicy(actions={"demo": Connection("demo", postgres_action_url)})
    lookups = LiveLookups(menus_dir=tmp_path, policy=policy, secret="s")
    params = {"id": CARD, "item": "B03", "caller": "+15551230000"}
    try:
        menu = sql_menu("INSERT INTO library_holds (card_number, item, branch) "
                        "VALUES (:id, :item, 'Central')")
        assert lookups.act(menu, "hold", params).status == DONE
        assert lookups.act(menu, "hold", params).status == ALREADY
        menu = sql_menu("INSERT INTO users (username, password_hash, role) "
                        "VALUES (:id, :item, 'admin')")
        result = lookups.act(menu, "hold", params)
        assert (result.status, result.reason) == (FAILED, "sql")  # the role's grants
    finally:
        lookups.close()
    assert holds(postgres_url) == [(CARD, "B03", "Central")]


# ---- HTTP actions against a local server ------------------------------------------------------


class HoldApi(JsonHandler):
    """Holds over HTTP: 201, 409, 422, 500, a slow answer and a redirect."""

    received: list[tuple[str, dict[str, str], Any]] = []
    slow = Gate()

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        HoldApi.received.append((self.path, dict(self.headers), body))
        kind = self.path.split("?")[0].split("/")[1]
        if kind == "slow":
            HoldApi.slow.hold()  # answers only when the test is done: past any budget
        if self.headers.get("Authorization") != "Bearer s3cret":
            return self._send(401)
        code = {"holds": 201, "dup": 409, "nope": 422, "down": 500, "slow": 201,
                "moved": 302}.get(kind, 404)
        return self._send(code, **({"Location": "http://127.0.0.1:9/elsewhere"}
                                   if code == 302 else {}))


@pytest.fixture
def api() -> Iterator[str]:
    HoldApi.received, HoldApi.slow = [], Gate()
    with serving(HoldApi) as base:
        yield base
        HoldApi.slow.open()


def http_menu(path: str, timeout: str = "") -> Any:
    return load_text(MENU.replace("""    type: sql
    database: demo
    statement: >
      INSERT INTO library_holds (card_number, item, branch) VALUES (:id, :item, 'Central')""",
                                  f"""    type: http
    url: "${{IVR_SOURCE_HOLDS}}/{path}?card={{id}}"
    headers: {{Authorization: "Bearer ${{IVR_SOURCE_HOLDS_TOKEN}}"}}
    body: {{card: "{{id}}", item: "{{item}}", member: {{name: "{{name}}", note: "{{{{x}}}}"}}}}
    {timeout}"""), "hold.yaml")


def http_lookups(api: str, tmp_path: Path, hosts: str | None = None) -> LiveLookups:
    policy = SourcePolicy(hosts=(HostRule.parse(hosts or api.split("//", 1)[1]),))
    return LiveLookups(menus_dir=tmp_path, policy=policy, secret="s", breaker_failures=10,
                       environ={"IVR_SOURCE_HOLDS": api, "IVR_SOURCE_HOLDS_TOKEN": "s3cret"})


PARAMS = {"id": "2000 1234", "item": "B02", "caller": "+15551230000", "name": 'Ann "Nan" O\'Neil'}


@pytest.mark.parametrize(("path", "status", "reason"), [
    ("holds", DONE, ""), ("dup", ALREADY, ""), ("nope", REFUSED, ""),
    ("down", FAILED, "http"), ("moved", FAILED, "http"),
])
def test_http_actions(api: str, tmp_path: Path, path: str, status: str, reason: str) -> None:
    lookups = http_lookups(api, tmp_path)
    try:
        result = lookups.act(http_menu(path), "hold", PARAMS)
    finally:
        lookups.close()
    assert (result.status, result.reason) == (status, reason)
    sent_path, headers, body = HoldApi.received[0]
    assert sent_path == f"/{path}?card=2000%201234"
    assert headers["Content-Type"] == "application/json"
    # Values are JSON-encoded, never pasted: quotes in a record field stay data.
    assert body == {"card": "2000 1234", "item": "B02",
                    "member": {"name": 'Ann "Nan" O\'Neil', "note": "{x}"}}
    assert len(HoldApi.received) == 1  # a redirect is not followed, nothing is sent twice


def test_http_action_timeout_and_breaker(api: str, tmp_path: Path) -> None:
    lookups = LiveLookups(menus_dir=tmp_path, policy=SourcePolicy(
        hosts=(HostRule.parse(api.split("//", 1)[1]),)), secret="s", breaker_failures=2,
        environ={"IVR_SOURCE_HOLDS": api, "IVR_SOURCE_HOLDS_TOKEN": "s3cret"})
    menu = http_menu("slow", "timeout: 0.3")
    try:
        result = lookups.act(menu, "hold", PARAMS)
        assert (result.status, result.reason) == (FAILED, "timeout")
        assert HoldApi.slow.answered == 0  # cut at its 0.3 s budget while the answer was held
        lookups.act(menu, "hold", PARAMS)
        before = len(HoldApi.received)
        result = lookups.act(menu, "hold", PARAMS)  # two failures: skipped now
        assert (result.status, result.reason) == (FAILED, "circuit_open")
        assert len(HoldApi.received) == before
    finally:
        lookups.close()


def test_http_action_to_a_host_not_allowed_sends_nothing(api: str, tmp_path: Path) -> None:
    lookups = http_lookups(api, tmp_path, hosts="holds.example.org")
    try:
        result = lookups.act(http_menu("holds"), "hold", PARAMS)
    finally:
        lookups.close()
    assert (result.status, result.reason) == (FAILED, "not_allowed")
    assert HoldApi.received == []


def test_http_action_missing_record_field_fails_without_sending(api: str,
                                                                 tmp_path: Path) -> None:
    lookups = http_lookups(api, tmp_path)
    try:
        result = lookups.act(http_menu("holds"), "hold",
                             {k: v for k, v in PARAMS.items() if k != "name"})
    finally:
        lookups.close()
    assert (result.status, result.reason) == (FAILED, "missing_field")
    assert HoldApi.received == []
