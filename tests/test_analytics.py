"""Analytics from generated journeys, checked against figures counted by hand.

Nine calls to the mini menu (Europe/Bucharest, UTC+2 in November) over three local days:
C1 hears an answer (contained), C2 says something not understood and hangs up
(abandoned), C3 is transferred and answered (in French), C4's transfer is not answered
and it leaves a voicemail, C5 asks to be called back (a ``callback`` node, known only
from the journey), C6 finds its order (a lookup: contained), C7 says "no" at a
confirmation and hangs up, C8 is not understood and hangs up (both abandoned), C9
falls back to the goodbye after three silences, at 00:30 local time on the third day.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.analytics import report
from ivr.analytics.phrases import PhraseError, add_phrase
from ivr.analytics.retention import REMOVED, purge_utterances, set_utterance_days, utterance_days
from ivr.analytics.wording import group, missed, ranking
from ivr.data.facts import summarize
from ivr.data.rollup import call_facts, call_nodes, rebuild
from ivr.data.store import Store
from ivr.data.tables import journey_steps
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import TOKEN, Clock, make_app, shutdown

ZONE = ZoneInfo("Europe/Bucharest")
DAY1 = datetime(2026, 11, 23, tzinfo=UTC)


def line(node: str, event: str, input: str = "", outcome: str = "", entered: str = "",
         kind: str = "", lang: str = "en") -> dict[str, Any]:
    """One journey line as the webhooks write it."""
    return {"node": node, "event": event, "input": input, "outcome": outcome, "lang": lang,
            "kind": kind, "entered": entered}


def opening(key: str = "1", lang: str = "en") -> list[dict[str, Any]]:
    """The call comes in and chooses a language: the caller is at the main menu."""
    return [line("welcome", "call", outcome="menu:mini", entered="welcome/language",
                 kind="language"),
            line("welcome", "language", key, f"lang:{lang}", "main/menu", "language", lang)]


CALLS: dict[str, tuple[datetime, int | None, list[dict[str, Any]]]] = {
    "C1": (DAY1 + timedelta(hours=8), 40, [
        *opening(),
        line("main", "choice", "1", "go:hours_info", "hours_info/message", "menu"),
        line("hours_info", "done", "", "go:back", "main/menu", "message")]),
    "C2": (DAY1 + timedelta(hours=8, minutes=30), 30, [
        *opening(),
        line("main", "speech", "blah blah", "nothing | hours_info=0.31,returns=0.20", kind="menu"),
        line("main", "nothing_found", "blah blah", "try 1/3", "main/menu", "menu")]),
    "C3": (DAY1 + timedelta(hours=9), 300, [
        *opening("2", "fr"),
        line("main", "key", "0", "global:desk", kind="menu", lang="fr"),
        line("desk", "hours", "", "open:go:agent", kind="hours", lang="fr"),
        line("agent", "transfer", "", "dial:+1*******06", "desk/hours,agent/transfer",
             "transfer", "fr"),
        line("agent", "dial", "completed", "hangup", kind="transfer", lang="fr")]),
    "C4": (DAY1 + timedelta(hours=10), 120, [
        *opening(),
        line("main", "key", "0", "global:desk", kind="menu"),
        line("desk", "hours", "", "open:go:agent", kind="hours"),
        line("agent", "transfer", "", "dial:+1*******06", "desk/hours,agent/transfer", "transfer"),
        line("agent", "dial", "no-answer", "go:leave_message", "leave_message/voicemail",
             "transfer"),
        line("leave_message", "voicemail", "#", "recorded:RE1:15s", kind="voicemail")]),
    "C5": (DAY1 + timedelta(hours=11), 60, [
        *opening(),
        line("main", "speech", "call me back please",
             "jump:call_me_back:0.80 | call_me_back=0.80", "call_me_back/callback", "menu"),
        line("call_me_back", "callback", "", "requested", kind="callback")]),
    "C6": (DAY1 + timedelta(days=1, hours=7), 90, [
        *opening(),
        line("main", "choice", "4", "go:order_status", "order_status/lookup", "menu"),
        line("order_status", "lookup_entry", "10****1", "entered", kind="lookup"),
        line("order_status", "lookup", "10****1", "found:go:main", "main/menu", "lookup")]),
    "C7": (DAY1 + timedelta(days=1, hours=8), 35, [
        *opening(),
        line("main", "speech", "where is my stuff",
             "confirm:hours_info:0.35:asr=0.50 | hours_info=0.35,returns=0.30", kind="menu"),
        line("main", "confirm", "no", "no", kind="menu")]),
    "C8": (DAY1 + timedelta(days=1, hours=9), 25, [
        *opening(),
        line("main", "speech", "Where is my stuff?", "nothing | returns=0.25", kind="menu")]),
    "C9": (DAY1 + timedelta(days=1, hours=22, minutes=30), None, [
        *opening(),
        line("main", "silence", "", "try 1/3", "main/menu", "menu"),
        line("main", "silence", "", "try 2/3", "main/menu", "menu"),
        line("main", "silence", "", "try 3/3", kind="menu"),
        line("main", "fallback", "", "go:goodbye", kind="menu"),
        line("goodbye", "hangup", "", "", "goodbye/hangup", "hangup")]),
}


def write_calls(store: Store, calls: dict[str, Any] = CALLS) -> None:
    """Write the calls as the journey writer does: starts, lines (10 s apart), statuses."""
    for sid, (start, duration, lines) in calls.items():
        starts = [{"call_sid": sid, "account_sid": "AC1", "from_number": "+40721234567",
                   "to_number": "+15005550001", "menu": "mini", "started_at": start}]
        steps = [{"call_sid": sid, "at": start + timedelta(seconds=10 * i), "menu": "mini",
                  "request_token": f"{sid}-{i}", "part": 0, **row} for i, row in enumerate(lines)]
        statuses = [] if duration is None else [
            {"call_sid": sid, "status": "completed", "status_seq": 9, "duration": duration,
             "updated_at": start + timedelta(seconds=duration)}]
        store.write_batch(starts, steps, statuses)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The journeys' store on an empty, migrated database."""
    found = Store(db_url)
    with found.engine.begin() as conn:
        for table in ("call_edges", "call_nodes", "call_facts", "journey_steps", "calls",
                      "analytics_settings"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    yield found
    found.dispose()


PERIOD = report.Period(date(2026, 11, 23), date(2026, 11, 25), ZONE, "mini")


def test_overview_matches_the_hand_count(store: Store) -> None:
    write_calls(store)
    figures = report.overview(store.engine, PERIOD)
    t = figures.total
    assert (t.calls, t.contained, t.transferred, t.transfers_answered, t.voicemails,
            t.callbacks, t.abandoned) == (9, 2, 2, 1, 1, 1, 3)
    # C9 started at 22:30 UTC on the 24th: 00:30 on the 25th in Bucharest.
    assert [d.calls for d in figures.by_day.values()] == [5, 3, 1]
    assert [d.abandoned for d in figures.by_day.values()] == [1, 2, 0]
    expected_hours = [0] * 24
    for hour in (10, 10, 11, 12, 13, 9, 10, 11, 0):
        expected_hours[hour] += 1
    assert figures.by_hour == expected_hours
    assert dict(figures.by_language) == {"en": 8, "fr": 1}
    assert (figures.keys, figures.spoken) == (14, 5)
    # 25 30 35 40 60 60 90 120 300 (C9 has no status: 60 s from its first to last line).
    assert figures.average_seconds == pytest.approx(760 / 9)
    assert figures.p90_seconds == 300
    assert (figures.lookups_found, figures.lookups_not_found, figures.lookups_failed) == (1, 0, 0)
    out = figures.as_dict()
    assert out["by_menu"]["mini"]["calls"] == 9 and out["callbacks"] == 1
    assert out["transfers_not_answered"] == 1 and out["containment"] == round(2 / 9, 4)


def test_a_range_and_another_menu_leave_calls_out(store: Store) -> None:
    write_calls(store)
    first_day = report.Period(date(2026, 11, 23), date(2026, 11, 23), ZONE, "mini")
    assert report.overview(store.engine, first_day).total.calls == 5
    assert report.overview(store.engine, report.Period(
        date(2026, 11, 23), date(2026, 11, 25), ZONE, "shop")).total.calls == 0
    everything = report.Period(date(2026, 11, 23), date(2026, 11, 25), ZONE)
    assert report.overview(store.engine, everything).total.calls == 9
    with pytest.raises(report.RangeError):
        report.Period(date(2026, 11, 25), date(2026, 11, 23), ZONE)


def test_rollups_are_exact_when_lines_repeat_or_arrive_late(store: Store) -> None:
    write_calls(store)
    write_calls(store)  # a replayed spool: nothing counts twice
    sid = "C9"
    start, _, lines = CALLS[sid]
    # C9's status arrives later with Twilio's own duration: its length follows.
    store.write_batch([], [], [{"call_sid": sid, "status": "completed", "status_seq": 9,
                                "duration": 75, "updated_at": start}])
    figures = report.overview(store.engine, PERIOD)
    assert figures.total.calls == 9 and figures.total.abandoned == 3
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(call_facts.c.seconds).where(
            call_facts.c.call_sid == sid)).scalar_one() == 75
        conn.execute(sa.text("SELECT 1"))
    with store.engine.begin() as conn:
        conn.execute(call_facts.delete())
        conn.execute(call_nodes.delete())
    assert rebuild(store.engine) == 9
    assert report.overview(store.engine, PERIOD).total.contained == 2


def test_dropoff_visits_hang_ups_and_edge_shares(store: Store) -> None:
    write_calls(store)
    drop = report.dropoff(store.engine, PERIOD)
    main = drop.nodes["main"]
    # Everyone reached the main menu; C1, C2, C6, C7 and C8 hung up there.
    assert (main.calls, main.ended_here) == (9, 5)
    assert drop.nodes["goodbye"].ended_here == 0  # the menu ended C9, nobody hung up there
    assert drop.nodes["call_me_back"].kind == "callback"
    # Moves out of main: hours_info 1, desk 2, call_me_back 1, order_status 1, goodbye 1.
    assert drop.edges[("main", "desk")] == 2
    assert drop.edge_share("main", "desk") == pytest.approx(2 / 6)
    assert drop.worst(3)[0].node == "main"
    top = [n.node for n in report.destinations(drop)]
    assert top[:3] == ["agent", "desk", "call_me_back"]  # 2, 2, 1 calls (ties by name)
    assert [n.node for n in report.lookups(drop)] == ["order_status"]


def test_not_understood_groups_similar_wordings_with_candidates(store: Store) -> None:
    write_calls(store)
    groups = group(missed(report.spoken_steps(store.engine, PERIOD)))
    # C7 and C8 said it alike (case and punctuation aside): one group, first wording first.
    assert [(g.wording, g.count) for g in groups][:1] == [("where is my stuff", 2)]
    stuff = groups[0]
    assert set(stuff.wordings) == {"where is my stuff", "Where is my stuff?"}
    assert stuff.candidates[0][:2] == ("returns", 2) and stuff.candidates[0][2] == 0.30
    assert sorted(stuff.reasons) == ["nothing found", "\u201cno\u201d at the confirmation"]
    blah = groups[1]
    assert (blah.wording, blah.count, blah.node) == ("blah blah", 1, "main")
    assert "call me back please" not in {g.wording for g in groups}  # understood: a jump


def test_ranking_and_masked_wordings() -> None:
    assert ranking("refine:a=0.51,b=0.49 | a=0.51,b=0.49,c=0.1") == (
        ("a", 0.51), ("b", 0.49), ("c", 0.1))
    assert ranking("unsure:a:0.41") == (("a", 0.41),)
    said = missed([{"call_sid": "X", "event": "speech", "input": "call me on +40721234567",
                    "outcome": "nothing", "lang": "en", "node": "main"}])
    assert said[0].text == "call me on +4072****567"


def test_callback_counts_from_the_journey_alone() -> None:
    start = DAY1
    lines = [dict(row, at=start + timedelta(seconds=i)) for i, row in enumerate(CALLS["C5"][2])]
    facts = summarize("C5", lines)
    assert facts.callback and not facts.contained and not facts.abandoned
    lines[-2]["entered"] = ""  # even without the path: the line's own node kind counts
    assert summarize("C5", lines).callback


def test_utterances_past_retention_are_removed(store: Store) -> None:
    write_calls(store)
    assert utterance_days(store.engine) == 90
    set_utterance_days(store.engine, 5)
    with pytest.raises(ValueError):
        set_utterance_days(store.engine, 0)
    removed = purge_utterances(store.engine, DAY1 + timedelta(days=6))  # day 1 is 6 days old
    # Day 1's spoken words: C2's twice and C5's; keys stay.
    assert removed == 3
    with store.engine.connect() as conn:
        inputs = dict(conn.execute(sa.select(journey_steps.c.call_sid, journey_steps.c.input)
                                   .where(journey_steps.c.event == "speech")).all())
    assert inputs["C2"] == REMOVED and inputs["C7"] == "where is my stuff"
    assert report.overview(store.engine, PERIOD).spoken == 5  # the figures do not change


def test_add_phrase_keeps_comments_and_layout() -> None:
    text = ("nodes:\n  a:   # the answer\n    type: message\n    phrases:\n      en:\n"
            "        - one   # first\n      fr: [un, deux]\n    next: b\n  b:\n    type: hangup\n")
    added = add_phrase(text, "a", "en", "two, please")
    assert added == text.replace("# first\n", "# first\n        - \"two, please\"\n")
    assert add_phrase(text, "a", "fr", "trois") == text.replace("[un, deux]", "[un, deux, trois]")
    assert add_phrase(text, "b", "en", "bye") == text + "    phrases: {en: [bye]}\n"
    with pytest.raises(PhraseError):
        add_phrase(text, "nowhere", "en", "x")


# -- through the app -------------------------------------------------------------------------


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app on the mini menu, with an admin and an agent."""
    from tests.conftest import empty_dashboard_tables

    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock)
    users = application.extensions["dashboard"].users
    users.add_user("alice", "agent-password-1", "agent", clock())
    users.add_user("root", "admin-password-1", "admin", clock())
    yield application
    shutdown(application)


def test_real_calls_record_the_path_and_kinds(app: Any) -> None:
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("1")
    phone.press("1")  # opening hours: an answer
    svc = app.extensions["ivr"]
    assert svc.recorder.flush()
    steps = svc.store.journey(phone.call_sid)
    path = [p for s in steps for p in s["entered"].split(",") if p]
    assert path[:3] == ["welcome/language", "main/menu", "hours_info/message"]
    assert {s["kind"] for s in steps} >= {"language", "menu"}
    facts = summarize(phone.call_sid, steps)
    assert facts.answered and facts.contained and facts.keys == 2


class CarrierTransport(FlaskTransport):
    """Posts as Twilio's requests arrive: without the in-process simulator's mark."""

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        parts = urllib.parse.urlsplit(url)
        response = self.client.post(parts.path + (f"?{parts.query}" if parts.query else ""),
                                    data=params, headers=headers,
                                    base_url=f"{parts.scheme}://{parts.netloc}")
        return response.status_code, response.get_data(as_text=True)


def test_simulated_calls_are_left_out_of_figures_unless_asked_for(app: Any) -> None:
    svc = app.extensions["ivr"]
    sids = {}
    for name, transport in (("simulated", FlaskTransport(app)), ("real", CarrierTransport(app))):
        phone = Phone(transport, TOKEN, called="+15005550001")
        phone.dial()
        phone.press("1")
        phone.say("zebra crossing umbrella")  # not understood
        sids[name] = phone.call_sid
    assert svc.recorder.flush()
    assert svc.store.call(sids["simulated"])["simulated"] is True
    assert svc.store.call(sids["real"])["simulated"] is False
    assert svc.store.journey(sids["simulated"])  # the journey is kept for the admin who tried
    with svc.store.engine.connect() as conn:
        facts = dict(conn.execute(sa.select(call_facts.c.call_sid, call_facts.c.simulated)).all())
        nodes = dict(conn.execute(sa.select(call_nodes.c.call_sid, call_nodes.c.simulated)).all())
    assert facts == {sids["real"]: False, sids["simulated"]: True}  # marked, kept apart
    assert nodes == {sids["real"]: False, sids["simulated"]: True}
    today = svc.clock().astimezone(ZONE).date()
    period = report.Period(today - timedelta(days=1), today + timedelta(days=1), ZONE)
    tried = report.Period(period.start, period.end, ZONE, simulated=True)
    assert report.overview(svc.store.engine, period).total.calls == 1
    assert report.overview(svc.store.engine, tried).total.calls == 2
    assert sum(n.calls for n in report.dropoff(svc.store.engine, period).nodes.values()) \
        < sum(n.calls for n in report.dropoff(svc.store.engine, tried).nodes.values())
    said = {step["call_sid"] for step in report.spoken_steps(svc.store.engine, period)}
    assert said == {sids["real"]}
    said = {step["call_sid"] for step in report.spoken_steps(svc.store.engine, tried)}
    assert said == {sids["real"], sids["simulated"]}
    assert rebuild(svc.store.engine) == 2  # a rebuild keeps the simulated call apart too
    assert report.overview(svc.store.engine, period).total.calls == 1
    assert report.overview(svc.store.engine, tried).total.calls == 2


def _login(client: Any, name: str, password: str) -> None:
    from tests.conftest import log_in

    assert log_in(client, name, password).status_code == 302


def test_pages_csv_and_one_click_phrase(app: Any, clock: Clock) -> None:
    from tests.conftest import csrf_token_of

    write_calls(app.extensions["ivr"].store)
    clock.now = DAY1 + timedelta(days=2, hours=12)
    client = app.test_client()
    _login(client, "alice", "agent-password-1")
    query = "?menu=mini&from=2026-11-23&to=2026-11-25"
    page = client.get("/dashboard/analytics/" + query)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'data-figure="calls">9<' in body and "+40721234567" not in body
    assert client.get("/dashboard/analytics/not-understood" + query).status_code == 403
    csv_text = client.get("/dashboard/analytics/" + query + "&csv=days").get_data(as_text=True)
    assert csv_text.splitlines()[1:] == ["2026-11-23,5,1,2,1,1,1,1", "2026-11-24,3,1,0,0,0,0,2",
                                         "2026-11-25,1,0,0,0,0,0,0"]
    admin = app.test_client()
    _login(admin, "root", "admin-password-1")
    for path in ("dropoff", "destinations", "not-understood"):
        assert admin.get(f"/dashboard/analytics/{path}{query}").status_code == 200, path
    words = admin.get("/dashboard/analytics/not-understood" + query).get_data(as_text=True)
    assert "where is my stuff" in words.lower()
    answer = admin.post("/dashboard/analytics/phrase", data={
        "menu": "mini", "node": "returns", "lang": "en", "wording": "where is my stuff",
        "csrf_token": csrf_token_of(admin)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        "/admin/menus/mini.yaml/diff/draft")
    versions = app.extensions["ivr"].versions
    draft = versions.draft("mini.yaml")
    assert draft is not None and "phrases: {en: [where is my stuff]}" in draft.text
    assert versions.live("mini.yaml").text != draft.text  # nothing is published
    diff = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "+    phrases: {en: [where is my stuff]}" in diff
    assert "where is my stuff" in " ".join(
        versions.menu_of("mini.yaml", draft.text).nodes["returns"].own_phrases("en"))


def test_report_command_prints_the_same_figures(db_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.cli import cli
    from tests.conftest import ROOT

    store = Store(db_url)
    with store.engine.begin() as conn:
        for table in ("call_edges", "call_nodes", "call_facts", "journey_steps", "calls"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    write_calls(store)
    store.dispose()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("IVR_MENUS_DIR", str(ROOT / "tests" / "menus"))
    monkeypatch.setenv("IVR_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("IVR_ENV", "test")
    runner = CliRunner()
    args = ["report", "--from", "2026-11-23", "--to", "2026-11-25", "--menu", "mini"]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["calls"], data["contained"], data["transferred"], data["voicemails"],
            data["callbacks"], data["abandoned"]) == (9, 2, 2, 1, 1, 3)
    assert data["by_language"] == {"en": 8, "fr": 1} and data["time_zone"] == "Europe/Bucharest"
    text = runner.invoke(cli, args)
    assert text.exit_code == 0 and "abandoned        3" in text.output
    bad = runner.invoke(cli, ["report", "--from", "2026-11-25", "--to", "2026-11-23"])
    assert bad.exit_code == 2 and "ends before it starts" in bad.output


def test_a_rollup_failure_never_costs_a_journey_line(store: Store,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import ivr.data.rollup as rollup

    def broken(conn: Any, sids: Any, added: Any = None) -> int:
        # Half done, then a failure: the rows written so far are undone with it.
        conn.execute(rollup.call_facts.insert().values(call_sid="C1", steps=99))
        raise RuntimeError("analytics bug")

    with monkeypatch.context() as patched:
        patched.setattr(rollup, "refresh_calls", broken)
        write_calls(store, {"C1": CALLS["C1"]})
    assert len(store.journey("C1")) == 4  # every line is in
    assert report.overview(store.engine, PERIOD).total.calls == 0  # the rollup is behind
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rollup.call_facts)).scalar() == 0
    store.write_batch([], [], [{"call_sid": "C1", "status": "completed", "status_seq": 10,
                                "duration": 41, "updated_at": DAY1}])  # the next status
    assert report.overview(store.engine, PERIOD).total.contained == 1


def test_a_batch_that_another_worker_deadlocked_is_written_again(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL ends one of two workers' transactions to break a deadlock: that batch runs
    again (its lines are keyed, so nothing is written twice); other failures are raised."""

    class Refused(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    real = Store._write_batch
    failures = ["40P01"]

    def sometimes(self: Store, *args: Any) -> None:
        if failures:
            raise sa.exc.OperationalError("INSERT ...", {}, Refused(failures.pop(0)))
        real(self, *args)

    monkeypatch.setattr(Store, "_write_batch", sometimes)
    write_calls(store, {"C1": CALLS["C1"]})
    assert len(store.journey("C1")) == 4 and failures == []
    assert report.overview(store.engine, PERIOD).total.calls == 1
    failures.append("23505")  # a unique violation is no deadlock: the writer must know
    with pytest.raises(sa.exc.OperationalError):
        write_calls(store, {"C2": CALLS["C2"]})
    assert store.journey("C2") == []


def test_csv_cells_are_masked_and_never_formulas() -> None:
    from ivr.dashboard.analytics import _cell

    assert _cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _cell("+40721234567") == "'+4072****567"
    assert _cell("where is my parcel") == "where is my parcel" and _cell(3) == 3
