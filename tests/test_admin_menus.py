"""The admins' menu pages: overview, editor checks, drafts, publishing, history, diff, rollback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator import FlaskTransport, Phone
from tests.conftest import (
    ADMIN_PASSWORD,
    TOKEN,
    Clock,
    csrf_token_of,
    empty_dashboard_tables,
    log_in,
    make_app,
    shutdown,
)

MENUS = "/dashboard/admin/menus"
OLD_HOURS = "We are open Monday to Friday, nine to five."
NEW_HOURS = "We are open every day, eight to eight."


def make_admin_app(db_url: str, tmp_path: Path, clock: Clock, **overrides: Any) -> Any:
    """The app on the mini menu, reloading published menus at once, with an agent and an admin."""
    empty_dashboard_tables(db_url)
    app = make_app(db_url, tmp_path, clock, IVR_MENU_CHECK_SECONDS="0", **overrides)
    users = app.extensions["dashboard"].users
    users.add_user("alice", "agent-password-1", "agent", clock())
    users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    return app


@pytest.fixture
def admin_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The app for the admins' pages (SQLite and PostgreSQL)."""
    app = make_admin_app(db_url, tmp_path, clock)
    yield app
    shutdown(app)


def admin_client(app: Any) -> tuple[Any, dict[str, str]]:
    """A client logged in as the admin, and the header that carries its CSRF token."""
    client = app.test_client()
    assert log_in(client, "root", ADMIN_PASSWORD).status_code == 302
    return client, {"X-CSRF-Token": csrf_token_of(client)}


def live_text(app: Any, file: str = "mini.yaml") -> str:
    """The text of the live version of a file."""
    version = app.extensions["ivr"].versions.live(file)
    assert version is not None
    return str(version.text)


def line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def hears_hours(app: Any) -> str:
    """Call the mini menu, choose English then opening hours; what the caller hears."""
    phone = Phone(FlaskTransport(app), TOKEN, called="+15005550001")
    phone.dial()
    phone.press("1")
    return " ".join(h.text for h in phone.press("1"))


PAGES = [f"{MENUS}/", f"{MENUS}/mini.yaml", f"{MENUS}/mini.yaml/edit",
         "/dashboard/admin/prompts/mini.yaml", "/dashboard/admin/simulator/"]
POSTS = [f"{MENUS}/mini.yaml/check", f"{MENUS}/mini.yaml/draft", f"{MENUS}/mini.yaml/publish",
         f"{MENUS}/mini.yaml/draft/discard", f"{MENUS}/mini.yaml/rollback/1",
         "/dashboard/admin/prompts/mini.yaml/upload", "/dashboard/admin/simulator/action"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_anonymous_visitors_are_sent_to_the_login(admin_app: Any) -> None:
    client = admin_app.test_client()
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/dashboard/login?next="), path


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_agent_gets_403_on_every_page_and_endpoint(admin_app: Any) -> None:
    client = admin_app.test_client()
    log_in(client)  # alice, an agent
    header = {"X-CSRF-Token": csrf_token_of(client)}
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    before = live_text(admin_app)
    for path in POSTS:
        response = client.post(path, json={"text": "menu: x\n", "action": "call"}, headers=header)
        assert response.status_code == 403, path
    assert live_text(admin_app) == before
    assert admin_app.extensions["ivr"].versions.draft("mini.yaml") is None
    page = client.get("/dashboard/inbox")
    assert f'href="{MENUS}/"' not in page.text  # no menu link for agents


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_post_needs_the_csrf_token(admin_app: Any) -> None:
    client, _ = admin_client(admin_app)
    text = live_text(admin_app).replace(OLD_HOURS, NEW_HOURS)
    for path in POSTS:
        assert client.post(path, json={"text": text, "action": "call"}).status_code == 400, path
        wrong = {"X-CSRF-Token": "not-the-token"}
        assert client.post(path, json={"text": text}, headers=wrong).status_code == 400, path
    assert NEW_HOURS not in live_text(admin_app)
    assert len(admin_app.extensions["ivr"].versions.history("mini.yaml")) == 1


def test_the_list_and_the_overview_show_the_tree_and_the_diagram(admin_app: Any) -> None:
    client, _ = admin_client(admin_app)
    listing = client.get(f"{MENUS}/")
    assert 'data-menu-file="mini.yaml"' in listing.text
    assert "Mini test desk" in listing.text
    page = client.get(f"{MENUS}/mini.yaml")
    assert page.status_code == 200
    # The tree: each node once, with its keys, phrases and where they lead.
    for node in ("welcome", "main", "hours_info", "returns", "refunds", "desk", "goodbye"):
        assert f'data-node="{node}"' in page.text
    main = page.text.split('data-node="main"')[1].split('data-node=')[0]
    assert "key 1" in main and 'href="#node-hours_info"' in main
    assert "opening hours" in main  # a phrase of that option
    assert "after 3 misses (menu default)" in main and 'href="#node-goodbye"' in main
    # The diagram: Graphviz DOT for the browser to lay out, a box per node, labelled edges.
    source = html.unescape(page.text.split("data-dot hidden>", 1)[1].split("</pre>", 1)[0])
    assert source.startswith("digraph menu {") and "rankdir=LR" in source
    assert len(re.findall(r'^  "[a-z_]+" \[id="diagram-', source, re.M)) == 10  # mini's nodes
    assert '"main" -> "hours_info" [label="key 1"' in source
    assert '"welcome" -> "main" [label="key 1: en, key 2: fr, key 3: ro, after 3 misses (en)"' \
        in source
    assert "'wasm-unsafe-eval'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_problems_are_marked_on_their_nodes_with_their_lines(admin_app: Any) -> None:
    versions = admin_app.extensions["ivr"].versions
    text = live_text(admin_app) + "  orphan:\n    type: message\n    say: Nobody comes here.\n"
    result = versions.publish("mini.yaml", text, "root", "an unreachable node")
    assert result.ok  # warnings do not stop a publish
    client, _ = admin_client(admin_app)
    page = client.get(f"{MENUS}/mini.yaml")
    orphan_line = line_of(text, "orphan:")
    node = page.text.split('id="node-orphan"')[1].split("</li>\n    \n")[0]
    assert "tree__node--warning" in page.text.split('id="node-orphan"')[0][-80:]
    assert "can never be reached" in node
    assert f"#line-{orphan_line}" in node
    assert "diagram__box--warning" in page.text


def test_the_check_endpoint_answers_problems_with_their_lines(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    text = live_text(admin_app).replace("go: hours_info", "go: nowhere")
    response = client.post(f"{MENUS}/mini.yaml/check", json={"text": text}, headers=header)
    assert response.status_code == 200
    data = response.get_json()
    assert data["errors"] >= 1
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    assert errors[0]["line"] == line_of(text, "go: nowhere")
    assert "nowhere" in errors[0]["message"]
    assert errors[0]["text"].startswith(f"menus/mini.yaml:{errors[0]['line']}:")
    clean = client.post(f"{MENUS}/mini.yaml/check", json={"text": live_text(admin_app)},
                        headers=header).get_json()
    assert clean["errors"] == 0
    assert admin_app.extensions["ivr"].versions.draft("mini.yaml") is None  # nothing saved


def test_a_draft_is_kept_with_its_errors_and_the_editor_opens_it(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    text = live_text(admin_app).replace("go: hours_info", "go: nowhere")
    saved = client.post(f"{MENUS}/mini.yaml/draft", json={"text": text}, headers=header)
    assert saved.status_code == 200 and saved.get_json()["saved"] is True
    draft = admin_app.extensions["ivr"].versions.draft("mini.yaml")
    assert draft.text == text and draft.author == "root"
    editor = client.get(f"{MENUS}/mini.yaml/edit")
    assert "go: nowhere" in editor.text
    assert f'data-line="{line_of(text, "go: nowhere")}"' in editor.text
    assert "go: nowhere" not in live_text(admin_app)
    discard = client.post(f"{MENUS}/mini.yaml/draft/discard", data={"csrf_token": header["X-CSRF-Token"]})
    assert discard.status_code == 302
    assert admin_app.extensions["ivr"].versions.draft("mini.yaml") is None


def test_publishing_a_broken_menu_is_refused_and_the_live_menu_still_answers(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    before = live_text(admin_app)
    text = before.replace(OLD_HOURS, NEW_HOURS).replace("go: returns", "go: nowhere")
    response = client.post(f"{MENUS}/mini.yaml/publish", json={"text": text, "note": "oops"},
                           headers=header)
    assert response.status_code == 422
    data = response.get_json()
    assert data["ok"] is False and data["version"] is None
    assert [p["line"] for p in data["problems"] if p["severity"] == "error"] == \
        [line_of(text, "go: nowhere")]
    assert live_text(admin_app) == before
    assert len(admin_app.extensions["ivr"].versions.history("mini.yaml")) == 1
    assert OLD_HOURS in hears_hours(admin_app)
    # The refused text is kept as the draft: leaving the editor does not lose it.
    assert data["draft_saved"] is True
    draft = admin_app.extensions["ivr"].versions.draft("mini.yaml")
    assert draft is not None and draft.text == text and draft.author == "root"
    assert "go: nowhere" in client.get(f"{MENUS}/mini.yaml/edit").text


def test_publish_goes_live_and_a_rollback_restores_the_old_text(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    versions = admin_app.extensions["ivr"].versions
    first = versions.live("mini.yaml")
    text = live_text(admin_app).replace(OLD_HOURS, NEW_HOURS)
    response = client.post(f"{MENUS}/mini.yaml/publish",
                           json={"text": text, "note": "longer opening hours"}, headers=header)
    assert response.status_code == 200
    assert response.get_json()["ok"] is True and response.get_json()["version"] == 2
    assert NEW_HOURS in hears_hours(admin_app)

    editor = client.get(f"{MENUS}/mini.yaml/edit")
    assert "longer opening hours" in editor.text and "Version 2" in editor.text
    assert f'href="{MENUS}/mini.yaml/versions/2/diff"' in editor.text  # by number, not row id
    old_link = client.get(f"{MENUS}/mini.yaml/diff/{versions.live('mini.yaml').id}")
    assert old_link.status_code == 301
    assert old_link.headers["Location"] == f"{MENUS}/mini.yaml/versions/2/diff"
    diff = client.get(f"{MENUS}/mini.yaml/versions/2/diff")
    assert "<h1>Version 2</h1>" in diff.text or "Version 2" in diff.text.split("<h1", 1)[1][:200]
    assert f"-      en: &#34;{OLD_HOURS}&#34;" in diff.text or f'-      en: "{OLD_HOURS}"' in diff.text
    assert client.get(f"{MENUS}/mini.yaml/versions/9/diff").status_code == 404
    assert "diff__add" in diff.text and NEW_HOURS in diff.text

    rolled = client.post(f"{MENUS}/mini.yaml/rollback/{first.id}",
                         data={"csrf_token": header["X-CSRF-Token"]})
    assert rolled.status_code == 302
    live = versions.live("mini.yaml")
    assert live.number == 3 and live.text == first.text and live.author == "root"
    assert "rollback to version 1" in live.note
    assert OLD_HOURS in hears_hours(admin_app)
    assert "Rolled back: version 3 is live." in client.get(f"{MENUS}/mini.yaml/edit").text


def test_the_draft_diff_shows_what_would_change(admin_app: Any) -> None:
    client, header = admin_client(admin_app)
    text = live_text(admin_app).replace(OLD_HOURS, NEW_HOURS)
    client.post(f"{MENUS}/mini.yaml/draft", json={"text": text}, headers=header)
    page = client.get(f"{MENUS}/mini.yaml/diff/draft")
    assert page.status_code == 200
    added = re.findall(r'class="diff__line diff__add">([^<]*)<', page.text)
    assert any(NEW_HOURS in line for line in added)
    assert client.get(f"{MENUS}/vm.yaml/diff/draft").status_code == 404
    assert client.get(f"{MENUS}/nope.yaml").status_code == 404
