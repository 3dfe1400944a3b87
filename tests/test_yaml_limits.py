"""Menu YAML that would cost the server dearly is refused at its line, before it is expanded.

An alias bomb (anchors whose aliases name other aliases) of a few hundred bytes once
kept the editor's check busy for minutes; 5,000 nested "[" ended in a RecursionError
and a 500. Both are now a file:line problem like any other mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivr.menu import source
from ivr.menu.loader import MenuError, load_text
from ivr.menu.source import MAX_ALIASED_VALUES, MAX_ALIASES, MAX_DEPTH, Problems, compose
from tests.conftest import Clock, shutdown
from tests.test_admin_menus import admin_client, make_admin_app

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join(['*' + prev] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True))  # 9**9 values, 342 bytes


def problems_of(text: str) -> list[str]:
    """The problems loading ``text`` as a menu reports."""
    with pytest.raises(MenuError) as caught:
        load_text(text, "bomb.yaml")
    return [str(p) for p in caught.value.problems]


def test_an_alias_bomb_is_refused_at_its_line_before_expansion(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    assert len(LAUGHS) < 400
    walked = []
    monkeypatch.setattr(source, "_plain_style_none", lambda node: walked.append(node))
    found = problems_of(LAUGHS)
    assert len(found) == 1 and found[0].startswith("bomb.yaml:5:")
    assert "too many aliases" in found[0] and f"{MAX_ALIASED_VALUES:,} values" in found[0]
    assert walked == []  # refused from the parser's events: no tree was built, let alone walked


def test_too_many_plain_aliases_are_refused_too() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    [problem] = problems_of(text)
    assert problem.startswith("bomb.yaml:2:") and "more than 100 uses" in problem


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    [problem] = problems_of("menu: x\nloop: &l [1, *l]\n")
    assert problem.startswith("bomb.yaml:2:14:") and "inside its own anchor &l" in problem


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,  # libyaml's own limit (1,000) is reached first
    "x: " + "[" * 200 + "]" * 200,
    "a:\n" + "".join(" " * (2 * i) + "- b:\n" for i in range(1, 100)),  # block style
])
def test_deep_nesting_is_a_problem_at_its_line_not_a_crash(text: str) -> None:
    [problem] = problems_of(text)
    assert problem.startswith("bomb.yaml:") and f"deeper than {MAX_DEPTH} levels" in problem
    line = int(problem.split(":")[1])
    assert 1 <= line <= text.count("\n") + 1


def test_deep_nesting_is_refused_by_the_pure_python_loader_too(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setattr(source, "_FAST_LOADER", None)
    problems = Problems()
    assert compose("k: " + "[" * 5000 + "]" * 5000, "deep.yaml", problems) is None
    [problem] = problems.items
    assert str(problem).startswith("deep.yaml:1:") and "deeper than" in problem.message


def test_menus_with_a_few_aliases_still_load() -> None:
    text = (ROOT_MENU.read_text() + "\nx-hours: &h {mon-fri: '09:00-17:00'}\n")
    problems = Problems()
    assert compose(text, "mini.yaml", problems) is not None and problems.items == []
    assert compose("a: &a [1, 2]\nb: *a\nc: *a\n", "ok.yaml", problems) is not None
    assert problems.items == []


ROOT_MENU = Path(__file__).resolve().parent / "menus" / "mini.yaml"


def test_the_editors_check_answers_the_bomb_and_the_depth_with_problems(
        sqlite_admin_app: Any) -> None:
    client, header = admin_client(sqlite_admin_app)
    for text, expected in ((LAUGHS, "too many aliases"), ("[" * 5000 + "]" * 5000, "deeper than")):
        response = client.post("/dashboard/admin/menus/mini.yaml/check", json={"text": text},
                               headers=header)
        assert response.status_code == 200
        [problem] = response.get_json()["problems"]
        assert expected in problem["message"] and problem["line"] >= 1


@pytest.fixture
def sqlite_admin_app(tmp_path: Path, clock: Clock) -> Any:
    """The admins' app on SQLite (the check touches no database)."""
    from tests.conftest import upgraded

    url = f"sqlite:///{tmp_path / 'admin.sqlite3'}"
    upgraded(url)
    app = make_admin_app(url, tmp_path, clock)
    yield app
    shutdown(app)
