"""Retention covers every store holding callers' data: what is older than its limit goes,
what is younger stays, an unhandled voicemail stays unless a setting says so, and the
analytics figures of purged calls do not change."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.answer.callbacks import callback_requests
from ivr.answer.calls import call_attempts
from ivr.answer.texts import texts
from ivr.data.rollup import call_facts, rebuild
from ivr.data.tables import calls, journey_steps
from ivr.notify import outbox
from ivr.online.activity import online_steps
from ivr.online.conversations import text_conversations
from ivr.privacy.retention import Limits, purge, purge_all
from ivr.queues.store import queue_calls
from ivr.transcripts.store import transcript_parts, transcripts
from ivr.voicemail.store import voicemails
from tests.conftest import ROOT, TOKEN, Clock, make_app, shutdown
from tests.test_privacy import ALICE, BOB, leave_voicemail

CAROL = "+40722222222"
# table -> the column each test row is tagged in
TAGGED = {texts: "key", callback_requests: "call_sid", call_attempts: "whisper",
          transcripts: "call_sid", queue_calls: "call_sid", online_steps: "session",
          text_conversations: "number", outbox: "key"}


def add_rows(engine: sa.Engine, tag: str, when: datetime) -> None:
    """One row tagged ``tag`` in every store the webhooks are not used for here, dated ``when``."""
    stamps = {"created_at": when, "updated_at": when}
    with engine.begin() as conn:
        conn.execute(texts.insert().values(key=tag, purpose="text_me", kind="call", ref=tag,
                                           to_number=ALICE, body="hello", encoding="GSM-7",
                                           segments=1, status="delivered", **stamps))
        conn.execute(callback_requests.insert().values(call_sid=tag, number=ALICE,
                                                       number_source="caller_id", due_from=when,
                                                       status="done", **stamps))
        conn.execute(call_attempts.insert().values(item_kind="callback", item_id=1, user_id=1,
                                                   agent_phone="+33600000000",
                                                   caller_number=ALICE,
                                                   from_number="+15005550001", whisper=tag,
                                                   **stamps))
        tid = conn.execute(transcripts.insert().values(
            call_sid=tag, node="n", target="voicemail", locale="en-US", engine="whisper",
            **stamps)).inserted_primary_key[0]
        conn.execute(transcript_parts.insert().values(transcript_id=tid, sequence=0, text="words"))
        conn.execute(queue_calls.insert().values(call_sid=tag, menu="m", node="q", queue="q",
                                                 from_number=ALICE, joined_at=when,
                                                 status="answered"))
        conn.execute(online_steps.insert().values(channel="sms", session=tag, at=when, menu="m",
                                                  node="n", event="question", input="my order"))
        conn.execute(text_conversations.insert().values(menu="m", number=tag, lang="en",
                                                        updated_at=when))
        conn.execute(outbox.insert().values(key=tag, channel="email", payload="{}",
                                            status="sent", next_attempt_at=when,
                                            created_at=when))


def tags_left(engine: sa.Engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        return {table.name: {str(v) for v in conn.execute(sa.select(table.c[column])).scalars()
                             if str(v) in ("old", "young", "old-open")}
                for table, column in TAGGED.items()}


def count(engine: sa.Engine, table: sa.Table, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
                   .scalar_one())


def test_every_store_loses_what_is_older_than_its_limit_and_keeps_the_rest(
        app: Any, clock: Clock) -> None:
    svc = app.extensions["ivr"]
    engine = svc.store.engine
    start = clock.now
    # Old: two voicemails through the real webhooks, one handled, one still new.
    handled, unhandled = leave_voicemail(app, ALICE), leave_voicemail(app, CAROL)
    handled_id = svc.voicemails.by_recording(handled["RecordingSid"])["id"]
    svc.voicemails.store_media(handled_id, b"ID3-audio", "audio/mpeg", clock())
    with engine.begin() as conn:
        conn.execute(voicemails.update().where(voicemails.c.id == handled_id).values(status="done"))
    add_rows(engine, "old", start)
    with engine.begin() as conn:  # an old callback request nobody has called back yet
        conn.execute(callback_requests.insert().values(
            call_sid="old-open", number=ALICE, number_source="caller_id", due_from=start,
            status="queued", created_at=start, updated_at=start))
    facts_before_young = count(engine, call_facts)
    assert facts_before_young >= 2

    clock.now = start + timedelta(days=400)
    young = leave_voicemail(app, BOB)
    add_rows(engine, "young", clock.now - timedelta(days=10))
    facts = count(engine, call_facts)
    assert facts == facts_before_young + 1

    # The worker's job, as `ivr worker` runs it, with the app's clock.
    job = next(j for j in svc.worker.jobs if getattr(j, "__name__", "") == "purge_old_data")
    assert job() > 0

    assert tags_left(engine) == {
        "texts": {"young"}, "callback_requests": {"young", "old-open"},
        "call_attempts": {"young"}, "transcripts": {"young"}, "queue_calls": {"young"},
        "online_steps": {"young"}, "text_conversations": {"young"}, "outbox": {"young"}}
    assert svc.voicemails.by_recording(handled["RecordingSid"]) is None
    assert svc.voicemails.by_recording(unhandled["RecordingSid"]) is not None, \
        "a voicemail still new is never purged by default"
    assert svc.voicemails.by_recording(young["RecordingSid"]) is not None
    for old in (handled, unhandled):
        assert svc.store.journey(old["CallSid"]) == []
        assert count(engine, calls, calls.c.call_sid == old["CallSid"]) == 0
    assert svc.store.journey(young["CallSid"])
    assert count(engine, calls, calls.c.call_sid == young["CallSid"]) == 1
    assert count(engine, transcript_parts) == 1  # the young transcript's part
    # The analytics figures stay, even after a rebuild from the journeys that are left.
    assert count(engine, call_facts) == facts
    rebuild(engine)
    assert count(engine, call_facts) == facts

    # Once allowed, unhandled items go too; a second run finds nothing else.
    counts = purge(engine, Limits.from_settings({"IVR_RETENTION_PURGE_UNHANDLED": "true"}),
                   clock())
    assert counts["voicemails"] == 1 and counts["callback_requests"] == 1
    assert svc.voicemails.by_recording(unhandled["RecordingSid"]) is None
    again = purge(engine, Limits.from_settings({"IVR_RETENTION_PURGE_UNHANDLED": "true"}),
                  clock())
    assert not any(again.values()), again


def test_each_kind_follows_its_own_setting_and_zero_keeps_forever(
        db_url: str, tmp_path: Path, clock: Clock) -> None:
    app = make_app(db_url, tmp_path, clock, IVR_TEXT_RETENTION_DAYS="0",
                   IVR_ONLINE_RETENTION_DAYS="30", IVR_CALL_RETENTION_DAYS="500")
    try:
        svc = app.extensions["ivr"]
        engine = svc.store.engine
        call = leave_voicemail(app, ALICE)
        add_rows(engine, "old", clock.now)
        clock.now += timedelta(days=60)
        counts = purge(engine, Limits.from_settings(dict(app.config)), clock())
        left = tags_left(engine)
        assert left["texts"] == {"old"}  # 0: kept forever
        assert left["online_steps"] == set() and left["text_conversations"] == set()  # 30 days
        assert left["queue_calls"] == {"old"} and svc.store.journey(call["CallSid"])  # 500 days
        assert left["callback_requests"] == {"old"}  # 365 by default
        assert counts["online_steps"] == 1 and counts.get("journey_steps", 0) == 0
    finally:
        shutdown(app)


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_retention_that_is_not_a_number_of_days_is_refused_by_name(value: str) -> None:
    with pytest.raises(ValueError, match="IVR_CALL_RETENTION_DAYS"):
        Limits.from_settings({"IVR_CALL_RETENTION_DAYS": value})


def test_the_command_purges_and_says_how_much(app: Any, db_url: str, tmp_path: Path) -> None:
    from ivr.cli import cli

    engine = app.extensions["ivr"].store.engine
    long_ago = datetime(2001, 1, 1, tzinfo=clock_zone(app))  # older than any limit, at any date
    add_rows(engine, "old", long_ago)
    env = {"IVR_ENV": "test", "DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": TOKEN,
           "IVR_INSTANCE_DIR": str(tmp_path / "cli-instance"), "IVR_SPOOL_DIR": str(tmp_path / "spool"),
           "IVR_MENUS_DIR": str(ROOT / "tests" / "menus"), "IVR_WORKER_IN_APP": "false"}
    result = CliRunner().invoke(cli, ["privacy", "purge"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 texts" in result.output and "1 online_steps" in result.output
    assert tags_left(engine)["texts"] == set()
    from ivr.config import ConfigError

    refused = CliRunner().invoke(cli, ["privacy", "purge"],
                                 env={**env, "IVR_TEXT_RETENTION_DAYS": "a year"})
    assert isinstance(refused.exception, ConfigError)  # `ivr` prints it as one line
    assert "IVR_TEXT_RETENTION_DAYS='a year'" in str(refused.exception)


def clock_zone(app: Any) -> Any:
    return app.extensions["ivr"].clock().tzinfo


def test_a_callback_reason_goes_with_its_request_and_a_journey_without_its_call_goes_too(
        app: Any, clock: Clock) -> None:
    engine = app.extensions["ivr"].store.engine
    old = clock.now - timedelta(days=400)
    stamps = {"created_at": old, "updated_at": old}
    with engine.begin() as conn:
        for sid, status in (("CAdone", "done"), ("CAopen", "queued")):
            conn.execute(callback_requests.insert().values(
                call_sid=sid, number=ALICE, number_source="caller_id", due_from=old,
                status=status, reason_recording_sid=f"RE{sid}", **stamps))
            conn.execute(voicemails.insert().values(recording_sid=f"RE{sid}", call_sid=sid,
                                                    purpose="callback",
                                                    recording_status="deleted", **stamps))
        # A journey replayed from the journal whose call row never came.
        conn.execute(journey_steps.insert().values(call_sid="CAorphan", at=old, node="n",
                                                   event="key", input="1"))
        conn.execute(journey_steps.insert().values(call_sid="CAyoung", at=clock.now, node="n",
                                                   event="key", input="1"))
    counts = purge(engine, Limits.from_settings({}), clock())
    with engine.connect() as conn:
        reasons = set(conn.execute(sa.select(voicemails.c.recording_sid)).scalars())
        journeys = set(conn.execute(sa.select(journey_steps.c.call_sid)).scalars())
    assert reasons == {"RECAopen"}  # the open request keeps its recorded reason
    assert journeys == {"CAyoung"}
    assert counts["callback_requests"] == 1 and counts["journey_steps"] == 1


@responses.activate
def test_a_message_stays_while_twilio_keeps_its_recording(app: Any, clock: Clock) -> None:
    from twilio.rest import Client

    svc = app.extensions["ivr"]
    account = "AC" + "0" * 32
    svc.media.client_factory = lambda: Client(account, "token")
    left = leave_voicemail(app, ALICE)
    vid = svc.voicemails.by_recording(left["RecordingSid"])["id"]
    with svc.store.engine.begin() as conn:
        conn.execute(voicemails.update().where(voicemails.c.id == vid).values(status="done"))
    url = f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{left['RecordingSid']}.json"
    responses.delete(url, status=500, json={"code": 20500, "message": "down", "status": 500})
    clock.now += timedelta(days=400)
    settings = dict(app.config)

    counts = purge_all(svc, settings, clock())
    assert counts["recordings"] == 0 and counts.get("voicemails", 0) == 0
    assert svc.voicemails.by_recording(left["RecordingSid"]) is not None

    responses.replace(responses.DELETE, url, status=204)
    counts = purge_all(svc, settings, clock())
    assert counts["recordings"] == 1 and counts["voicemails"] == 1
    assert svc.voicemails.by_recording(left["RecordingSid"]) is None
