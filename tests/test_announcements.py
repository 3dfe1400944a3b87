"""Announcements: set with `ivr announce`, heard first on the next call in each language
given, cleared, and ended by themselves at --until by the app's clock; never a new menu
version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.cli import cli
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN, Clock, make_app, shutdown, upgraded
from tests.test_queue import LINE, QUEUE_MENU

# The announcement ends at 18:00 in Paris on 1 January 2099 (17:00 UTC).
UNTIL = "2099-01-01 18:00"
ENDS = datetime(2099, 1, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Clock]]:
    """The CLI's environment and a running app on the same database and menus."""
    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'announce.sqlite3'}"
    upgraded(url)
    for name, value in {"IVR_ENV": "development", "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
                        "DATABASE_URL": url, "IVR_MENUS_DIR": str(menus),
                        "IVR_WORKER_IN_APP": "false"}.items():
        monkeypatch.setenv(name, value)
    clock = Clock(ENDS - timedelta(hours=2))
    app = make_app(url, tmp_path, clock, IVR_MENUS_DIR=str(menus))
    yield app, clock
    shutdown(app)


def first_heard(app: Any) -> list[Any]:
    phone = Phone(FlaskTransport(app), TOKEN, called=LINE)
    return phone.dial()


def announce(*args: str) -> Any:
    return CliRunner().invoke(cli, ["announce", *args])


def test_an_announcement_is_heard_first_in_each_language_then_cleared(setup: Any) -> None:
    app, _ = setup
    versions_before = _count(app, "menu_versions")
    result = announce("desk", "Our website is down until noon.", "--lang", "en", "--by", "root")
    assert result.exit_code == 0, result.output
    result = announce("desk", "Notre site est en panne jusqu'à midi.", "--lang", "fr",
                      "--until", UNTIL, "--by", "root")
    assert result.exit_code == 0, result.output
    assert "until 2099-01-01T18:00:00+01:00" in result.output  # in the menu's time zone
    heard = first_heard(app)
    assert [(h.text, h.locale, h.voice) for h in heard[:2]] == [
        ("Our website is down until noon.", "en-US", "Polly.Joanna"),
        ("Notre site est en panne jusqu'à midi.", "fr-FR", "Polly.Lea")]
    assert heard[2].text == "English 1."  # then the menu, as before
    assert _count(app, "menu_versions") == versions_before  # no new version, no publish
    result = announce("desk", "--clear", "--lang", "en", "--by", "alice")
    assert result.exit_code == 0 and "1 announcement(s) on desk cleared" in result.output
    assert [h.text for h in first_heard(app)][:2] == ["Notre site est en panne jusqu'à midi.",
                                                      "English 1."]
    assert announce("desk", "--clear").exit_code == 0
    assert first_heard(app)[0].text == "English 1."
    history = app.extensions["ivr"].announcements.history("desk")
    assert [(h["lang"], h["set_by"], h["cleared_by"]) for h in history] == [
        ("fr", "root", history[0]["cleared_by"]), ("en", "root", "alice")]
    assert history[0]["cleared_by"].startswith("cli:")


def test_an_announcement_ends_by_itself_at_its_time(setup: Any) -> None:
    app, clock = setup
    assert announce("desk", "Closed at six today.", "--until", UNTIL).exit_code == 0
    clock.now = ENDS - timedelta(seconds=1)
    assert first_heard(app)[0].text == "Closed at six today."  # the menu's first language
    clock.now = ENDS
    assert first_heard(app)[0].text == "English 1."


def test_a_change_made_by_another_process_is_heard_within_seconds(setup: Any) -> None:
    """New calls read the announcements from memory: a row written by another process
    (here straight into the table) is heard once the process's copy is FRESH_FOR old."""
    from ivr.announcements import FRESH_FOR, Announcements, announcements

    app, clock = setup
    ticks = [100.0]
    on_air = Announcements(app.extensions["ivr"].store.engine, monotonic=lambda: ticks[0])
    assert on_air.active("desk", clock.now) == []
    with app.extensions["ivr"].store.engine.begin() as conn:
        conn.execute(announcements.insert().values(
            menu="desk", lang="en", text="Set elsewhere.", set_by="other", set_at=clock.now))
    ticks[0] += FRESH_FOR / 2
    assert on_air.active("desk", clock.now) == []  # still this process's copy
    ticks[0] += FRESH_FOR / 2
    assert [row["text"] for row in on_air.active("desk", clock.now)] == ["Set elsewhere."]
    assert on_air.active("other-line", clock.now) == []
    # A change made in this process is heard at once, without waiting.
    on_air.clear("desk", "alice", clock.now)
    assert on_air.active("desk", clock.now) == []
    on_air.set("desk", "en", "Set here.", "alice", clock.now, until=clock.now + timedelta(hours=1))
    assert [row["text"] for row in on_air.active("desk", clock.now)] == ["Set here."]
    # Its end is checked on every call, whatever the copy's age.
    assert on_air.active("desk", clock.now + timedelta(hours=1)) == []


@pytest.mark.parametrize("args,why", [
    (["desk", "Hello", "--lang", "de"], "'de' is not a language of desk"),
    (["desk", "Hello", "--until", "2001-01-01 10:00"], "is not a time in the future"),
    (["desk", "Hello", "--until", "tomorrow"], "is not a time in the future"),
    (["nowhere", "Hello"], "no menu 'nowhere'"),
    (["desk"], "give the text to say"),
    (["desk", "x" * 601], "give the text to say"),
])
def test_bad_announcements_are_refused_with_the_reason(setup: Any, args: list[str],
                                                       why: str) -> None:
    result = announce(*args)
    assert result.exit_code == 2 and why in result.output
    assert setup[0].extensions["ivr"].announcements.history("desk") == []


def _count(app: Any, table: str) -> int:
    engine = app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


# ---- recorded by phone: the announcement line, the PIN, the draft, the approval -------------

ANNOUNCE_LINE = "+15005550099"
ADMIN_PHONE = "+15551230000"  # the simulator's caller ID
PIN = "73914682"


class FakeDownload:
    """Twilio's recording media, as requests.get answers it (status, chunks)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.urls: list[str] = []
        self.status_code = 200

    def __call__(self, url: str, **kwargs: Any) -> FakeDownload:
        self.urls.append(url)
        assert kwargs["auth"][0].startswith("AC")  # the account's credentials go with it
        return self

    def __enter__(self) -> FakeDownload:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def iter_content(self, size: int) -> Iterator[bytes]:
        yield self.data


@pytest.fixture
def line_app(db_url: str, tmp_path: Path) -> Iterator[tuple[Any, Clock]]:
    """The desk menu, an announcement line, an admin (root, with a phone and a PIN) and an
    agent; recordings land in a prompts folder of the test's own."""
    from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, empty_dashboard_tables

    menus = tmp_path / "menus"
    menus.mkdir()
    (menus / "desk.yaml").write_text(QUEUE_MENU, encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    empty_dashboard_tables(db_url)
    if db_url.startswith("postgresql"):
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE announcements, announce_pins, prompt_uploads "
                                 "RESTART IDENTITY"))
        engine.dispose()
    clock = Clock(ENDS - timedelta(hours=2))
    app = make_app(db_url, tmp_path, clock, IVR_MENUS_DIR=str(menus),
                   IVR_PROMPTS_DIR=str(tmp_path / "prompts"), IVR_ANNOUNCE_NUMBER=ANNOUNCE_LINE,
                   TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    users = app.extensions["dashboard"].users
    root = users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    users.set_phone(root, ADMIN_PHONE)
    alice = users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    users.set_phone(alice, "+15551239999")
    from ivr.recorded_announcements import Pins

    Pins(app.extensions["ivr"].store.engine).set(root, PIN, clock())
    yield app, clock
    shutdown(app)


def call_line(app: Any, caller: str = ADMIN_PHONE) -> Phone:
    return Phone(FlaskTransport(app), TOKEN, called=ANNOUNCE_LINE, caller=caller)


def _rows(app: Any) -> list[dict[str, Any]]:
    engine = app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.text("SELECT * FROM announcements ORDER BY id"))]


def _approve(app: Any, draft_id: int, until: str = "") -> Any:
    from tests.conftest import ADMIN_PASSWORD, csrf_token_of, log_in

    client = app.test_client()
    log_in(client, "root", ADMIN_PASSWORD)
    return client.post(f"/dashboard/announcements/{draft_id}/approve",
                       data={"until": until, "csrf_token": csrf_token_of(client)})


def test_an_admin_records_by_phone_and_it_is_heard_only_once_approved(line_app: Any) -> None:
    app, clock = line_app
    phone = call_line(app)
    heard = phone.dial()
    assert heard[-1].text == "Announcement line. Enter your PIN, then press the pound key."
    heard = phone.press(PIN, "#")
    assert "say the announcement in" in heard[-1].text  # the desk's first language
    heard, english = phone.record(duration=6, digits="#")
    assert "say the announcement in" in heard[-1].text  # the second language
    heard, _ = phone.record(duration=0, digits="*")  # French skipped
    heard, romanian = phone.record(duration=4, digits="#")
    assert "2 recordings of Queue test desk wait for an admin's approval" in heard[-1].text
    assert phone.ended and not phone.problems
    # Twilio's recordingStatusCallback, after the action for one and again (a retry).
    for details in (english, romanian, english):
        assert phone.recording_status(details) == 204
    rows = _rows(app)
    assert [(r["lang"], r["status"], r["set_by"], r["recording_sid"]) for r in rows] == [
        ("en", "draft", "root", english["RecordingSid"]),
        ("ro", "draft", "root", romanian["RecordingSid"])]
    assert rows[0]["recording_url"] == english["RecordingUrl"]
    # A draft is never heard, nor approved before its audio is here.
    assert first_heard(app)[0].text == "English 1."
    assert _approve(app, rows[0]["id"]).status_code == 409
    download = FakeDownload(b"ID3 an mp3")
    app.extensions["ivr"].announce_fetcher.http_get = download
    assert app.extensions["ivr"].announce_fetcher.fetch_due() == 2
    assert download.urls[0] == english["RecordingUrl"] + ".mp3"
    audio = f"announcements/desk/{english['RecordingSid']}.mp3"
    assert _rows(app)[0]["audio"] == audio
    assert (Path(app.extensions["ivr"].prompts_dir) / audio).read_bytes() == b"ID3 an mp3"
    # The dashboard lists the drafts; an admin approves the English one until 18:00 Paris.
    client = app.test_client()
    from tests.conftest import ADMIN_PASSWORD, log_in

    log_in(client, "root", ADMIN_PASSWORD)
    page = client.get("/dashboard/live").get_data(as_text=True)
    assert "waiting for approval" in page and f"/prompts/{audio}" in page
    assert _approve(app, rows[0]["id"], "2099-01-01T18:00").status_code == 302
    heard = first_heard(app)
    assert heard[0].kind == "play" and heard[0].url.endswith(f"/prompts/{audio}")
    assert heard[1].text == "English 1."  # then the menu; Romanian is still a draft
    assert [(r["status"], r["approved_by"]) for r in _rows(app)] == [("live", "root"),
                                                                      ("draft", None)]
    assert _approve(app, rows[0]["id"]).status_code == 409  # approved once
    clock.now = ENDS  # its end, given on approval
    assert first_heard(app)[0].text == "English 1."


def test_the_status_callback_may_come_first_and_a_failed_recording_is_never_heard(
        line_app: Any) -> None:
    app, _ = line_app
    phone = call_line(app)
    phone.dial()
    phone.press(PIN, "#")
    _, english = phone.record(duration=5)
    status = {**english, "status_url": english["status_url"]}
    assert phone.recording_status(status, "failed") == 204
    assert [r["status"] for r in _rows(app)] == ["failed"]
    app.extensions["ivr"].announce_fetcher.http_get = FakeDownload(b"x")
    assert app.extensions["ivr"].announce_fetcher.fetch_due() == 0
    # Another call: the status callback arrives before the action.
    phone = call_line(app)
    phone.dial()
    phone.press(PIN, "#")
    assert phone.recording is not None
    record = phone.recording
    sid = "RE" + "1" * 32
    details = {"RecordingSid": sid, "RecordingDuration": "3",
               "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}",
               "status_url": phone._absolute(record.get("recordingStatusCallback") or "")}
    assert phone.recording_status(details) == 204
    phone.record(duration=3, recording_sid=sid)
    found = [r for r in _rows(app) if r["recording_sid"] == sid]
    assert [(r["status"], r["set_by"], r["lang"]) for r in found] == [("draft", "root", "en")]


def test_three_failed_calls_lock_the_pin_with_an_alert(line_app: Any,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    app, _ = line_app
    caplog.set_level("ERROR")
    for call in range(3):
        phone = call_line(app)
        assert "Enter your PIN" in phone.dial()[-1].text
        for _attempt in range(3):
            heard = phone.press("11112222", "#")
            assert heard[0].text.startswith("That PIN is not right.")
        assert phone.ended, call
    heard = call_line(app).dial()
    assert "locked" in heard[-1].text
    assert any("ALERT" in r.getMessage() and "root" in r.getMessage() for r in caplog.records)
    # Locked: even the right PIN is refused until an admin unlocks it.
    from ivr.recorded_announcements import Pins

    pins = Pins(app.extensions["ivr"].store.engine)
    root = app.extensions["dashboard"].users.user_by_name("root")
    assert pins.check(int(root["id"]), PIN, "CA-another", app.extensions["ivr"].clock()) == \
        "locked"
    from tests.conftest import ADMIN_PASSWORD, csrf_token_of, log_in

    client = app.test_client()
    log_in(client, "root", ADMIN_PASSWORD)
    page = client.get("/dashboard/live").get_data(as_text=True)
    assert "data-locked-pins" in page and "is locked after failed calls" in page
    client.post(f"/dashboard/announcements/pins/{root['id']}/unlock",
                data={"csrf_token": csrf_token_of(client)})
    phone = call_line(app)
    phone.dial()
    assert "say the announcement in" in phone.press(PIN, "#")[-1].text


def test_a_right_pin_resets_the_count_of_failed_calls(line_app: Any) -> None:
    app, _ = line_app
    for _ in range(2):
        phone = call_line(app)
        phone.dial()
        phone.press("11112222", "#")
        phone.hang_up()
    phone = call_line(app)
    phone.dial()
    assert "say the announcement in" in phone.press(PIN, "#")[-1].text
    for _ in range(2):
        phone = call_line(app)
        phone.dial()
        phone.press("11112222", "#")
        phone.hang_up()
    assert "Enter your PIN" in call_line(app).dial()[-1].text  # two failed calls, not four


def test_only_admins_calling_from_their_phone_reach_the_line(line_app: Any) -> None:
    app, _ = line_app
    stranger = call_line(app, caller="+15557654321")
    assert "cannot record announcements" in stranger.dial()[-1].text and stranger.ended
    agent = call_line(app, caller="+15551239999")  # alice's phone, but she is an agent
    assert "cannot record announcements" in agent.dial()[-1].text
    # The step after the PIN, reached without it (no token): nothing is kept.
    phone = call_line(app)
    phone.dial()
    body = phone.request("http://localhost/voice/announce/recorded?m=desk&i=0&k=0&t=" + "0" * 32,
                         {"RecordingSid": "RE" + "2" * 32, "RecordingDuration": "9",
                          "RecordingUrl": "https://api.twilio.com/x", "Digits": "#"})
    assert "Goodbye." in body and "<Record" not in body
    assert _rows(app) == []
    # A forged signature is refused.
    forged = app.test_client().post("/voice/announce/pin", data={"CallSid": "CA1",
                                                                 "From": ADMIN_PHONE,
                                                                 "Digits": PIN},
                                    headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403


def test_the_pin_is_stored_hashed_and_set_on_the_account_page(line_app: Any) -> None:
    from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, csrf_token_of, log_in

    app, _ = line_app
    engine = app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT pin_hash FROM announce_pins")).scalar_one()
    assert PIN not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    client = app.test_client()
    log_in(client, "root", ADMIN_PASSWORD)
    for pin, code in (("1234567", 400), ("11111111", 400), ("12345678", 400)):
        answer = client.post("/dashboard/account/announce-pin",
                             data={"pin": pin, "current": ADMIN_PASSWORD,
                                   "csrf_token": csrf_token_of(client)})
        assert answer.status_code == code, pin
    answer = client.post("/dashboard/account/announce-pin",
                         data={"pin": "58203917", "current": "wrong password",
                               "csrf_token": csrf_token_of(client)})
    assert answer.status_code == 400
    answer = client.post("/dashboard/account/announce-pin",
                         data={"pin": "58203917", "current": ADMIN_PASSWORD,
                               "csrf_token": csrf_token_of(client)})
    assert answer.status_code == 200 and "Your announcement PIN is set." in answer.get_data(
        as_text=True)
    phone = call_line(app)
    phone.dial()
    assert "say the announcement in" in phone.press("58203917", "#")[-1].text
    agent = app.test_client()
    log_in(agent, "alice", AGENT_PASSWORD)
    assert agent.post("/dashboard/account/announce-pin",
                      data={"pin": "58203917", "current": AGENT_PASSWORD,
                            "csrf_token": csrf_token_of(agent)}).status_code == 403


def test_the_cli_sets_and_unlocks_a_pin(line_app: Any, monkeypatch: pytest.MonkeyPatch,
                                        db_url: str, tmp_path: Path) -> None:
    app, _ = line_app
    for name, value in {"IVR_ENV": "development", "DATABASE_URL": db_url,
                        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
                        "IVR_MENUS_DIR": str(tmp_path / "menus"),
                        "IVR_WORKER_IN_APP": "false"}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    result = runner.invoke(cli, ["user", "announce-pin", "root", "--pin-stdin"], input="1234\n")
    assert result.exit_code == 1 and "8 to 16 digits" in result.output
    result = runner.invoke(cli, ["user", "announce-pin", "alice", "--pin-stdin"],
                           input="48290175\n")
    assert result.exit_code == 1 and "no admin called 'alice'" in result.output
    result = runner.invoke(cli, ["user", "announce-pin", "root", "--pin-stdin"],
                           input="48290175\n")
    assert result.exit_code == 0, result.output
    phone = call_line(app)
    phone.dial()
    assert "say the announcement in" in phone.press("48290175", "#")[-1].text
