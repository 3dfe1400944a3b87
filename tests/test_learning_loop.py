"""The learning loop of the *Not understood* page: suggestions by label, many wordings
accepted at once into a draft, the draft published as usual, and callers then routed by
what they said."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ivr.analytics.phrases import add_phrase
from ivr.analytics.suggest import destinations, lands, place_name, suggest
from ivr.menu.loader import load_menu
from ivr.simulator import FlaskTransport, Phone
from tests.conftest import ROOT, TOKEN, Clock, csrf_token_of, log_in, make_app, shutdown
from tests.test_analytics import line, opening, write_calls

DAY1 = datetime(2026, 11, 23, tzinfo=UTC)
QUERY = "?menu=mini&from=2026-11-23&to=2026-11-25"
PLUMBING = ("closed", "agent", "goodbye", "welcome")  # reached only by hours, no answer...
# Three callers the mini menu did not understand, at its main menu.
MISSED = {
    "L1": "get my dosh back",  # corrected to refunds where the first guess is another
    "L2": "can I swing by",  # chosen from every destination: opening hours
    "L3": "get my dosh back",
    "L4": "where is my stuff",
}


def _calls() -> dict[str, Any]:
    calls: dict[str, Any] = {}
    for i, (sid, said) in enumerate(MISSED.items()):
        ranking = " | returns=0.25,hours_info=0.20" if sid == "L4" else ""
        calls[sid] = (DAY1 + timedelta(hours=8 + i), 30, [
            *opening(),
            line("main", "speech", said, f"nothing{ranking}", kind="menu"),
            line("main", "nothing_found", said, "try 1/3", "main/menu", "menu")])
    calls["L5"] = (DAY1 + timedelta(hours=13), 30, [  # offered a few, the caller chose one
        *opening(),
        line("main", "speech", "where is my stuff", "refine:desk=0.2,returns=0.18", kind="menu"),
        line("main", "refine", "2", "go:returns", "returns/menu", "menu")])
    return calls


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The mini menu's app with an agent and an admin, and the missed wordings written."""
    from tests.conftest import empty_dashboard_tables

    empty_dashboard_tables(db_url)
    application = make_app(db_url, tmp_path, clock)
    users = application.extensions["dashboard"].users
    users.add_user("alice", "agent-password-1", "agent", clock())
    users.add_user("root", "admin-password-1", "admin", clock())
    write_calls(application.extensions["ivr"].store, _calls())
    clock.now = DAY1 + timedelta(days=1, hours=12)
    yield application
    shutdown(application)


def _client(app: Any, name: str, password: str) -> Any:
    client = app.test_client()
    assert log_in(client, name, password).status_code == 302
    return client


def _rows(page: str) -> dict[str, int]:
    """The row index of each wording on the page."""
    found = re.findall(r'name="wording-(\d+)" value="([^"]*)"', page)
    return {wording: int(i) for i, wording in found}


def test_suggestions_name_destinations_by_label_and_never_plumbing() -> None:
    menu = load_menu(ROOT / "tests" / "menus" / "mini.yaml")
    for lang in menu.languages:
        listed = dict(destinations(menu, lang))
        assert set(listed) == {"desk", "hours_info", "refunds", "returns", "return_how"}
        assert not set(listed) & set(PLUMBING)
        assert all(name for name in listed.values())
    assert dict(destinations(menu, "en")) == {"desk": "a person", "hours_info": "opening hours",
                                             "refunds": "refunds", "returns": "returns",
                                             "return_how": "starting a return"}
    assert dict(destinations(menu, "fr"))["refunds"] == "les remboursements"
    picks = suggest(menu, "main", "en", "I want my money back")
    assert 1 <= len(picks) <= 3 and set(picks) <= {t for t, _ in destinations(menu, "en")}
    # Nothing of the menu's words: the candidates the journey recorded, still in the menu.
    assert suggest(menu, "main", "en", "zebra crossing umbrella", ["gone_node", "agent", "returns"]) \
        == ["returns"]
    assert place_name(menu, "main", "en") == "main menu"
    assert place_name(menu, "returns", "en") == "returns"


def test_phrases_go_after_a_block_text_into_the_right_node() -> None:
    text = ("nodes:\n  a:\n    type: message\n    say:\n      en: >-\n        Hello there\n"
            "        and more.\n\n  b:\n    type: message\n    say: {en: hi}\n")
    twice = add_phrase(add_phrase(text, "a", "en", "one"), "a", "en", "two")
    assert twice == text.replace("and more.\n", "and more.\n    phrases: {en: [one, two]}\n")
    listed = ("nodes:\n  c:\n    phrases:\n      en:\n        - |\n          x\n\n"
              "        - z   # kept\n    type: message\n")
    assert add_phrase(listed, "c", "en", "w") == listed.replace("# kept\n", "# kept\n        - w\n")


def test_words_yaml_reads_as_booleans_or_null_stay_text() -> None:
    from ivr.menu.loader import load_text

    text = (ROOT / "tests" / "menus" / "mini.yaml").read_text(encoding="utf-8")
    for word in ("yes", "No", "null", "on", "true story", "O'Brien", "a: b", "#hash"):
        menu = load_text(add_phrase(text, "refunds", "en", word), "mini.yaml", "mini")
        assert menu.nodes["refunds"].own_phrases("en") == (word,), word


def test_accept_many_then_publish_routes_callers_there(app: Any) -> None:
    admin = _client(app, "root", "admin-password-1")
    page = admin.get("/dashboard/analytics/not-understood" + QUERY).get_data(as_text=True)
    rows = _rows(page)
    assert set(rows) == {"get my dosh back", "can I swing by", "where is my stuff"}
    money = rows["get my dosh back"]
    assert re.search(r"dosh back\u201d <span [^>]*aria-label=\"2 times\"", page)  # grouped
    # Every destination listed is named by its label, and no plumbing is ever offered.
    choosers = re.findall(r'<select name="go-\d+">(.*?)</select>', page, re.S)
    assert len(choosers) == 3
    values = {v for c in choosers for v in re.findall(r'<option value="([^"]*)"', c)} - {""}
    assert values == {"desk", "hours_info", "refunds", "returns", "return_how"}
    assert not re.search(r">\s*(closed|agent|goodbye|hours_info|return_how)\s*<", page)
    assert "said at main menu (" in page
    stuff_group = page[page.index("\u201cwhere is my stuff\u201d"):]
    assert re.search(r'<li data-target="returns">returns <span class="muted">\(chosen by 1 caller '
                     r'when offered\)</span></li>', stuff_group.split("</ol>")[0])
    first = re.search(r'<ol [^>]*><li data-target="([^"]+)"', stuff_group)
    assert first is not None and first.group(1) == "returns"  # the callers' own choice first
    menu = app.extensions["ivr"].catalog.menus["mini"]
    first = suggest(menu, "main", "en", "get my dosh back")[0]
    for said, where in (("get my dosh back", "refunds"), ("can I swing by", "hours_info"),
                        ("where is my stuff", "returns")):
        assert lands(menu, "main", "en", said) != where  # not understood yet
    assert re.search(rf'name="go-{money}">\s*<optgroup label="Suggested"><option value="{first}" selected',
                     page)
    versions = app.extensions["ivr"].versions
    live_before = versions.live("mini.yaml").text
    come, stuff = rows["can I swing by"], rows["where is my stuff"]
    answer = admin.post("/dashboard/analytics/accept", data={
        "menu": "mini", "csrf_token": csrf_token_of(admin), "from": "2026-11-23",
        "accept": [str(money), str(come), str(stuff)],
        **{f"lang-{i}": "en" for i in rows.values()}, **{f"at-{i}": "main" for i in rows.values()},
        f"wording-{money}": "get my dosh back", f"go-{money}": "refunds",  # corrected
        f"wording-{come}": "can I swing by", f"go-{come}": "hours_info",  # chosen
        f"wording-{stuff}": "  where is   my stuff ", f"go-{stuff}": "returns"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/menus/mini.yaml/diff/draft")
    draft = versions.draft("mini.yaml")
    assert draft is not None and versions.live("mini.yaml").text == live_before  # live untouched
    drafted = versions.menu_of("mini.yaml", draft.text)
    assert "get my dosh back" in drafted.nodes["refunds"].own_phrases("en")
    assert "can I swing by" in drafted.nodes["hours_info"].own_phrases("en")
    assert "where is my stuff" in drafted.nodes["returns"].own_phrases("en")
    assert lands(drafted, "main", "en", "get my dosh back") == "refunds"
    diff = admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "3 wordings added to the draft of mini.yaml; 3 now lead where chosen" in diff
    assert "+    phrases: {en: [get my dosh back]}" in diff
    # Before publishing, a caller saying it is still not understood.
    caller = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    caller.dial()
    caller.press("1")
    assert "five days" not in " ".join(h.text for h in caller.say("get my dosh back"))
    assert admin.get("/dashboard/analytics/not-understood" + QUERY).status_code == 200
    published = admin.post("/dashboard/admin/menus/mini.yaml/publish", data={
        "text": draft.text, "note": "wordings callers used", "csrf_token": csrf_token_of(admin)})
    assert published.status_code == 200 and published.get_json()["ok"]
    app.extensions["ivr"].catalog.reload()  # what every worker does within seconds
    for said, heard in (("get my dosh back", "Refunds take five days."),
                        ("can I swing by", "We are open Monday to Friday"),
                        ("where is my stuff", "To start a return, press 1")):
        caller = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
        caller.dial()
        caller.press("1")
        assert heard in " ".join(h.text for h in caller.say(said)), said
    # Accepted again: already a phrase there, so nothing new is drafted.
    again = admin.post("/dashboard/analytics/accept", data={
        "menu": "mini", "csrf_token": csrf_token_of(admin), "accept": "0", "lang-0": "en",
        "at-0": "main", "wording-0": "get my dosh back", "go-0": "refunds"},
        follow_redirects=True).get_data(as_text=True)
    assert "Nothing was added" in again and "already a phrase there" in again
    assert versions.draft("mini.yaml") is None


def test_accepting_is_for_admins_with_limits(app: Any) -> None:
    agent = _client(app, "alice", "agent-password-1")
    row = {"menu": "mini", "accept": "0", "lang-0": "en", "at-0": "main",
           "wording-0": "can I swing by", "go-0": "hours_info"}
    assert agent.get("/dashboard/analytics/not-understood" + QUERY).status_code == 403
    assert agent.post("/dashboard/analytics/accept",
                      data={**row, "csrf_token": csrf_token_of(agent)}).status_code == 403
    admin = _client(app, "root", "admin-password-1")
    assert admin.post("/dashboard/analytics/accept", data=row).status_code == 400  # no CSRF
    token = csrf_token_of(admin)
    refused = [
        {**row, "go-0": "closed"},  # plumbing
        {**row, "go-0": "goodbye"},  # a hang-up
        {**row, "lang-0": "de"},  # not one of the menu's languages
        {**row, "at-0": "nowhere"},
        {**row, "wording-0": "x" * 101},  # longer than a phrase may be
        {**row, "accept": ["0", "0"]},
        {**row, "accept": [str(i) for i in range(101)]},  # more than at once
        {**row, "accept": "first"},
    ]
    for data in refused:
        assert admin.post("/dashboard/analytics/accept",
                          data={**data, "csrf_token": token}).status_code == 400, data
    assert app.extensions["ivr"].versions.draft("mini.yaml") is None
    nothing = admin.post("/dashboard/analytics/accept", data={
        **row, "go-0": "", "csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Tick the wordings to accept" in nothing
    assert app.extensions["ivr"].versions.draft("mini.yaml") is None


def test_the_benchmark_loop_learns_what_an_admin_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from learning_loop import learn, split

    menu = load_menu(ROOT / "tests" / "menus" / "mini.yaml")
    text = (ROOT / "tests" / "menus" / "mini.yaml").read_text(encoding="utf-8")
    rows = [{"at": "main", "lang": "en", "text": "zebra crossing umbrella", "expect": "refunds"},
            {"at": "main", "lang": "en", "text": "quokka pineapple", "expect": "_none"},
            {"at": "main", "lang": "en", "text": "opening hours", "expect": "hours_info"},
            {"at": "main", "lang": "fr", "text": "girafe trombone", "expect": "hours_info"}]
    assert lands(menu, "main", "en", "zebra crossing umbrella") is None
    new_text, done = learn(menu, text, rows)
    after = load_menu_text(new_text)
    assert "zebra crossing umbrella" in after.nodes["refunds"].own_phrases("en")
    assert "girafe trombone" in after.nodes["hours_info"].own_phrases("fr")
    assert lands(after, "main", "en", "zebra crossing umbrella") == "refunds"
    assert "quokka pineapple" not in new_text  # meant for nothing in the menu: left alone
    assert new_text.count("opening hours") == text.count("opening hours")  # understood already
    figures = done.record()
    assert figures["fed"] == 4 and figures["listed"] == 3 and figures["left_alone"] == 1
    assert figures["chosen_from_list"] == 2  # no suggestion: chosen from every destination
    first, second = split(list(range(9)), 21)
    assert len(first) == 5 and sorted(first + second) == list(range(9))
    assert split(list(range(9)), 21) == (first, second) != split(list(range(9)), 22)


def load_menu_text(text: str) -> Any:
    from ivr.menu.loader import load_text

    return load_text(text, "mini.yaml", default_id="mini")


@pytest.mark.slow  # the benchmark runs in a new process and loads the speech models
def test_bench_menus_learn_reports_before_and_after(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    (tmp_path / "dev").mkdir()
    said = ["zebra crossing umbrella", "quokka pineapple", "where is my parcel", "opening hours"]
    lines = [json.dumps({"menu": "shop", "lang": "en", "at": "main", "text": t,
                         "expect": "tracking"}) for t in said * 2]
    (tmp_path / "dev" / "shop.en.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_menus.py"), "--learn",
                           "--data", str(tmp_path), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    records = {r["dataset"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    name = tmp_path.name
    assert set(records) == {f"before-{name}-dev21-shop-en", f"learned-{name}-dev21-shop-en"}
    learned = records[f"learned-{name}-dev21-shop-en"]
    assert learned["n"] == 4 and learned["loop"]["fed"] == 4
    assert learned["straight"] >= records[f"before-{name}-dev21-shop-en"]["straight"]
    assert "loop: fed 4" in done.stdout


def test_where_callers_chose_to_go_comes_first() -> None:
    from ivr.analytics.wording import group, missed

    steps = [  # journey lines as spoken_steps reads them, by call and time
        line("main", "speech", "my cash please", "refine:returns=0.30,refunds=0.28", kind="menu")
        | {"call_sid": "A"},
        line("main", "refine", "2", "go:refunds", kind="menu") | {"call_sid": "A"},
        line("main", "speech", "my cash please", "unsure:hours_info:0.26", kind="menu")
        | {"call_sid": "B"},
        line("main", "confirm", "1", "yes:go:hours_info", kind="menu") | {"call_sid": "B"},
        line("main", "speech", "my cash please!", "topics:hours_info,returns", kind="menu")
        | {"call_sid": "C"},
        line("main", "topics", "2", "go:refunds", kind="menu") | {"call_sid": "C"},
        line("main", "speech", "blue moon", "refine:returns=0.2,desk=0.2", kind="menu")
        | {"call_sid": "D"},
        line("main", "speech", "refunds", "jump:refunds:0.9", kind="menu") | {"call_sid": "D"},
        line("main", "refine", "1", "go:returns", kind="menu") | {"call_sid": "D"},
    ]
    said = missed(steps)
    assert [(m.call_sid, m.reason, m.chosen) for m in said] == [
        ("A", "refine", "refunds"), ("B", "unsure", "hours_info"), ("C", "topics", "refunds"),
        ("D", "refine", "")]  # D moved on before choosing: a later choice is not its answer
    cash = next(g for g in group(said) if g.wording.startswith("my cash"))
    assert cash.chosen == {"refunds": 2, "hours_info": 1} and cash.count == 3
    menu = load_menu(ROOT / "tests" / "menus" / "mini.yaml")
    picks = suggest(menu, "main", "en", "my cash please", chosen=["agent", "refunds", "hours_info"])
    assert picks[:2] == ["refunds", "hours_info"] and len(picks) <= 3  # plumbing dropped


def test_a_wording_that_would_break_the_menu_is_left_out_and_the_rest_kept(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.menu.loader import MenuError
    from ivr.menu.source import Problem, Where

    versions = app.extensions["ivr"].versions
    load = versions.menu_of

    def refusing(file: str, text: str) -> Any:  # as the loader refuses a text it cannot read
        if "poison" in text:
            raise MenuError([Problem(Where(file, 1), "cannot be read")])
        return load(file, text)

    monkeypatch.setattr(versions, "menu_of", refusing)
    admin = _client(app, "root", "admin-password-1")
    page = admin.post("/dashboard/analytics/accept", data={
        "menu": "mini", "csrf_token": csrf_token_of(admin), "accept": ["0", "1"],
        "lang-0": "en", "at-0": "main", "wording-0": "poison\x00 words", "go-0": "refunds",
        "lang-1": "en", "at-1": "main", "wording-1": "can I swing by", "go-1": "hours_info"},
        follow_redirects=True).get_data(as_text=True)
    assert "1 wording added to the draft of mini.yaml" in page
    assert "\u201cpoison words\u201d (the menu would not load with it)" in page
    draft = versions.draft("mini.yaml")
    assert draft is not None and "can I swing by" in draft.text and "poison" not in draft.text
