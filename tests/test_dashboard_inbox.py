"""The inbox and a voicemail's page, as an agent works through the day's messages."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from ivr.dashboard.store import voicemail_notes
from tests.conftest import OPEN_TIME, add_voicemail, csrf_token_of, log_in, wav_bytes


@pytest.fixture
def agent(dashboard_app: Any) -> Any:
    """A test client logged in as the agent alice."""
    client = dashboard_app.test_client()
    assert log_in(client).status_code == 302
    return client


def _voicemail(app: Any, voicemail_id: int) -> dict[str, Any]:
    found: dict[str, Any] = app.extensions["dashboard"].voicemails.get(voicemail_id)
    return found


def _alice_id(app: Any) -> int:
    return int(app.extensions["dashboard"].users.user_by_name("alice")["id"])


def _listed(page: str) -> list[int]:
    """The voicemail ids an inbox page lists, top to bottom."""
    return [int(i) for i in re.findall(r'<tr class="vm [^"]*" data-id="(\d+)"', page)]


def test_tabs_show_new_in_progress_and_done(dashboard_app: Any, agent: Any) -> None:
    first = add_voicemail(dashboard_app, from_number="+40721000001")
    second = add_voicemail(dashboard_app, from_number="+40721000002")
    working = add_voicemail(dashboard_app, status="in_progress")
    closed = add_voicemail(dashboard_app, status="done")
    page = agent.get("/dashboard/inbox")
    assert page.status_code == 200
    assert _listed(page.text) == [second, first]
    assert len(re.findall(r"data-new-count[^>]*>2<", page.text)) == 2  # the header and the tab
    assert "<title>(2) Voicemail · New" in page.text
    assert _listed(agent.get("/dashboard/inbox?status=in_progress").text) == [working]
    assert _listed(agent.get("/dashboard/inbox?status=done").text) == [closed]
    assert agent.get("/dashboard/inbox?status=deleted").status_code == 400


def test_filters_and_search(dashboard_app: Any, agent: Any) -> None:
    english = add_voicemail(dashboard_app, lang="en", transcript="My invoice is wrong")
    french = add_voicemail(dashboard_app, lang="fr", transcript="Ma facture est fausse",
                           from_number="+33612345678")
    other_line = add_voicemail(dashboard_app, menu="sales", transcript="Please call me back")
    older = add_voicemail(dashboard_app, created_at=OPEN_TIME - timedelta(days=3),
                          transcript="Old invoice question")
    untranscribed = add_voicemail(dashboard_app, transcript=None, transcript_status="not_transcribed")

    def ids(query: str) -> list[int]:
        response = agent.get(f"/dashboard/inbox?{query}")
        assert response.status_code == 200
        return _listed(response.text)

    assert ids("lang=fr") == [french]
    assert ids("menu=sales") == [other_line]
    assert ids("q=invoice") == [older, english]
    assert ids("q=INVOICE&lang=en") == [older, english]
    assert ids("q=612345") == [french]
    day = OPEN_TIME.date().isoformat()
    assert ids(f"date_from={day}&date_to={day}") == [untranscribed, other_line, french, english]
    before = (OPEN_TIME - timedelta(days=1)).date().isoformat()
    assert ids(f"date_to={before}") == [older]
    assert "No voicemail matches these filters." in agent.get("/dashboard/inbox?q=zebra").text
    assert agent.get("/dashboard/inbox?date_from=yesterday").status_code == 400
    assert "Not transcribed" in agent.get("/dashboard/inbox").text


def test_keyset_pages(dashboard_app: Any, agent: Any) -> None:
    ids = [add_voicemail(dashboard_app, call_sid=f"CA{i}") for i in range(120)]
    first = agent.get("/dashboard/inbox")
    assert _listed(first.text) == ids[::-1][:50]
    older = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert older is not None
    assert older.group(1) == f"/dashboard/inbox?status=new&amp;before={ids[70]}"
    second = agent.get(older.group(1).replace("&amp;", "&"))
    assert _listed(second.text) == ids[::-1][50:100]
    third = agent.get(f"/dashboard/inbox?status=new&before={ids[20]}")
    assert _listed(third.text) == ids[::-1][100:]
    assert 'rel="next"' not in third.text
    assert "← Newest" in third.text


def test_updates_give_what_arrived_after_the_latest_seen(dashboard_app: Any, agent: Any) -> None:
    seen = add_voicemail(dashboard_app)
    answer = agent.get(f"/dashboard/inbox/updates?status=new&after={seen}")
    assert answer.status_code == 200
    assert answer.json == {"latest_id": seen, "new_count": 1, "rows": [], "more": False}
    fresh = add_voicemail(dashboard_app, from_number="+40700111222", lang="ro")
    answer = agent.get(f"/dashboard/inbox/updates?status=new&after={seen}")
    assert answer.json["latest_id"] == fresh and answer.json["new_count"] == 2
    assert len(answer.json["rows"]) == 1
    assert f'data-id="{fresh}"' in answer.json["rows"][0]
    assert "+40700111222" in answer.json["rows"][0]
    # Filters apply to the updates too.
    answer = agent.get(f"/dashboard/inbox/updates?status=new&lang=fr&after={seen}")
    assert answer.json["rows"] == [] and answer.json["latest_id"] == fresh


def test_a_voicemail_page(dashboard_app: Any, agent: Any) -> None:
    store = dashboard_app.extensions["ivr"].store
    steps = [
        {"call_sid": "CA77", "at": OPEN_TIME, "menu": "mini", "node": "welcome", "event": "enter",
         "input": "", "outcome": "", "lang": "en", "request_token": "t1", "part": 0},
        {"call_sid": "CA77", "at": OPEN_TIME + timedelta(seconds=8), "menu": "mini", "node": "main",
         "event": "choice", "input": "2", "outcome": "go:refunds", "lang": "en",
         "request_token": "t2", "part": 0},
    ]
    store.write_batch([], steps, [])
    vm = add_voicemail(dashboard_app, call_sid="CA77", from_number="+40721555666",
                       transcript="Where is my refund?")
    page = agent.get(f"/dashboard/voicemails/{vm}")
    assert page.status_code == 200
    # No recording stored here (the demo, the simulator): no silent 0:00 player, a reason.
    assert f'src="/dashboard/voicemails/{vm}/audio"' not in page.text
    assert 'data-recording-state="missing"' in page.text
    assert "has not been downloaded from Twilio yet" in page.text
    # "Call back" goes through the app (the agent's phone, then the caller), not a tel: link.
    assert f'action="/dashboard/voicemails/{vm}/call"' in page.text
    assert "Call back +40721555666" in page.text and "tel:" not in page.text
    assert 'href="/dashboard/callers/+40721555666"' in page.text
    assert "Where is my refund?" in page.text
    timeline = page.text.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.index("welcome") < timeline.index("main menu")  # nodes named in words
    # Times in the menu's zone (Europe/Bucharest, UTC+2 in November).
    assert "Pressed 2" in timeline and "sent to: refund" in timeline and "10:00:08" in timeline

    saved = [{"node": "lost_card", "event": "speech", "input": "my card is gone",
              "outcome": "voicemail", "at": "2026-11-23 08:01:30+00:00"}]
    kept = add_voicemail(dashboard_app, call_sid="CA77", journey=json.dumps(saved),
                         audio=wav_bytes())
    page = agent.get(f"/dashboard/voicemails/{kept}").text
    assert f'src="/dashboard/voicemails/{kept}/audio"' in page
    timeline = page.split('class="timeline"', 1)[1]
    assert "lost card" in timeline and "Said \u2018my card is gone\u2019" in timeline
    assert "10:01:30" in timeline and "welcome" not in timeline.split("</ol>", 1)[0]

    silent = add_voicemail(dashboard_app, transcript=None, transcript_status="not_transcribed",
                           call_sid="CA78")
    page = agent.get(f"/dashboard/voicemails/{silent}")
    assert "Not transcribed" in page.text and "No path was recorded" in page.text
    assert agent.get("/dashboard/voicemails/999999").status_code == 404


def test_marking_in_progress_and_done_changes_the_row(dashboard_app: Any, agent: Any) -> None:
    vm = add_voicemail(dashboard_app)
    token = csrf_token_of(agent)
    response = agent.post(f"/dashboard/voicemails/{vm}/status",
                          data={"status": "in_progress", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dashboard/voicemails/{vm}"
    assert _voicemail(dashboard_app, vm)["status"] == "in_progress"
    agent.post(f"/dashboard/voicemails/{vm}/status", data={"status": "done", "csrf_token": token})
    assert _voicemail(dashboard_app, vm)["status"] == "done"
    response = agent.post(f"/dashboard/voicemails/{vm}/status",
                          data={"status": "archived", "csrf_token": token})
    assert response.status_code == 400
    response = agent.post(f"/dashboard/voicemails/{vm}/status", data={"status": "new"})
    assert response.status_code == 400  # no CSRF token
    assert _voicemail(dashboard_app, vm)["status"] == "done"
    assert agent.post("/dashboard/voicemails/999999/status",
                      data={"status": "done", "csrf_token": token}).status_code == 404


def test_assign_to_me_and_back(dashboard_app: Any, agent: Any) -> None:
    vm = add_voicemail(dashboard_app)
    token = csrf_token_of(agent)
    response = agent.post(f"/dashboard/voicemails/{vm}/assign", data={"to": "me", "csrf_token": token})
    assert response.status_code == 302
    assert _voicemail(dashboard_app, vm)["assigned_to"] == _alice_id(dashboard_app)
    assert "Unassign me" in agent.get(f"/dashboard/voicemails/{vm}").text
    assert "alice" in agent.get("/dashboard/inbox").text.split("<tbody", 1)[1]
    agent.post(f"/dashboard/voicemails/{vm}/assign", data={"to": "nobody", "csrf_token": token})
    assert _voicemail(dashboard_app, vm)["assigned_to"] is None
    response = agent.post(f"/dashboard/voicemails/{vm}/assign", data={"to": "root", "csrf_token": token})
    assert response.status_code == 400


def test_notes_are_added_with_their_author(dashboard_app: Any, agent: Any, clock: Any) -> None:
    vm = add_voicemail(dashboard_app)
    token = csrf_token_of(agent)
    response = agent.post(f"/dashboard/voicemails/{vm}/notes",
                          data={"body": "  Called back, left a message.  ", "csrf_token": token})
    assert response.status_code == 302
    engine = dashboard_app.extensions["ivr"].store.engine
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(voicemail_notes))]
    assert [(r["voicemail_id"], r["user_id"], r["body"]) for r in rows] == [
        (vm, _alice_id(dashboard_app), "Called back, left a message.")]
    assert response.headers["Location"] == f"/dashboard/voicemails/{vm}#note-{rows[0]['id']}"
    page = agent.get(f"/dashboard/voicemails/{vm}").text
    assert "Called back, left a message." in page and "alice" in page
    assert agent.post(f"/dashboard/voicemails/{vm}/notes",
                      data={"body": "   ", "csrf_token": token}).status_code == 400
    assert agent.post(f"/dashboard/voicemails/{vm}/notes",
                      data={"body": "x"}).status_code == 400
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(voicemail_notes)).scalar() == 1


def test_the_recording_is_served_with_its_type_and_byte_ranges(dashboard_app: Any, agent: Any) -> None:
    audio = wav_bytes(0.5)
    vm = add_voicemail(dashboard_app, audio=audio)
    whole = agent.get(f"/dashboard/voicemails/{vm}/audio")
    assert whole.status_code == 200
    assert whole.mimetype == "audio/wav"
    assert whole.data == audio and whole.headers["Accept-Ranges"] == "bytes"
    part = agent.get(f"/dashboard/voicemails/{vm}/audio", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.data == audio[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(audio)}"
    assert agent.get(f"/dashboard/voicemails/{add_voicemail(dashboard_app)}/audio").status_code == 404


def test_rows_name_the_line_show_local_times_and_transcript_states_that_end(
        dashboard_app: Any, agent: Any, clock: Any) -> None:
    done = add_voicemail(dashboard_app)
    waiting = add_voicemail(dashboard_app, transcript=None, transcript_status="pending")
    french = add_voicemail(dashboard_app, transcript=None, transcript_status="not_transcribed",
                           lang="fr")
    failed = add_voicemail(dashboard_app, transcript=None, transcript_status="failed")

    def row(page: str, voicemail_id: int) -> str:
        return page.split(f'data-id="{voicemail_id}"', 1)[1].split("</tr>", 1)[0]

    page = agent.get("/dashboard/inbox").text
    # The Line column says the name the Line filter lists, not the menu id.
    assert '<option value="mini" >Mini test desk</option>' in page
    assert "Mini test desk" in row(page, done) and ">mini<" not in row(page, done)
    # 08:00 UTC is 10:00 in Bucharest (the menu's zone), written one way everywhere.
    assert "2026-11-23 10:00 EET" in row(page, done)
    assert 'data-transcript-state="pending">Transcript pending<' in row(page, waiting)
    assert "Not transcribed (language)" in row(page, french)
    assert "Transcription failed" in row(page, failed)
    assert "Transcribing" not in page
    # Half an hour later the wait has ended: it says so instead of "pending" for ever.
    clock.now = OPEN_TIME + timedelta(minutes=31)
    later = agent.get("/dashboard/inbox").text
    assert 'data-transcript-state="overdue">No transcript arrived<' in row(later, waiting)
    detail = agent.get(f"/dashboard/voicemails/{waiting}").text
    assert "Twilio was asked for one at 2026-11-23 10:00 EET and has not sent it" in detail
    assert "Twilio transcribes American English only, and this message is in" in \
        agent.get(f"/dashboard/voicemails/{french}").text
    # The date filter is typed yyyy-mm-dd (not the browser's mm/dd/yyyy date picker).
    assert 'name="date_from" type="text"' in page and 'placeholder="e.g. 2026-11-24"' in page


def test_the_date_filter_counts_days_in_the_menus_zone(dashboard_app: Any, agent: Any) -> None:
    # 23:30 UTC on the 22nd is already 01:30 on the 23rd in Bucharest.
    late = add_voicemail(dashboard_app, created_at=OPEN_TIME - timedelta(hours=8, minutes=30))
    assert _listed(agent.get("/dashboard/inbox?date_from=2026-11-23&date_to=2026-11-23").text) \
        == [late]
    assert _listed(agent.get("/dashboard/inbox?date_to=2026-11-22").text) == []
