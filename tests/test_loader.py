"""Loading menu files: every mistake reported at once, each at its file:line:col.

Each file in tests/menus/broken/ declares the problems it must produce:

    # expect: LINE: substring of the message
    # xfail: why (optional: a known loader bug; the test is a strict xfail)

and must produce exactly those errors (no more: one mistake, one message).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.engine.messages import MESSAGE_NAMES
from ivr.menu.loader import MenuError, load_menu, load_text
from ivr.menu.source import Problem
from ivr.nodes.hangup import HangupNode
from ivr.nodes.menu import MenuNode
from tests.conftest import ROOT

BROKEN = ROOT / "tests" / "menus" / "broken"
BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))
EXPECT = re.compile(r"^#\s*expect:\s*(\d+):\s*(.+?)\s*$")
XFAIL = re.compile(r"^#\s*xfail:\s*(.+?)\s*$")
PROBLEM_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): (?P<msg>.+)$")


def expectations(path: Path) -> tuple[list[tuple[int, str]], str | None]:
    """The (line, substring) pairs a broken file declares, and its xfail reason if any."""
    expected: list[tuple[int, str]] = []
    xfail = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := EXPECT.match(line):
            expected.append((int(m.group(1)), m.group(2)))
        elif m := XFAIL.match(line):
            xfail = m.group(1)
    return expected, xfail


def _params() -> list[object]:
    out = []
    for path in BROKEN_FILES:
        _, xfail = expectations(path)
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def test_the_broken_corpus_is_big_enough() -> None:
    assert len(BROKEN_FILES) >= 15
    for path in BROKEN_FILES:
        expected, _ = expectations(path)
        assert expected, f"{path.name} declares no '# expect: LINE: message'"
        lines = path.read_text(encoding="utf-8").count("\n") + 1
        assert all(1 <= line <= lines for line, _ in expected), path.name


@pytest.mark.parametrize("path", _params())
def test_broken_menu_reports_every_problem_where_it_is(path: Path) -> None:
    expected, _ = expectations(path)
    with pytest.raises(MenuError) as info:
        load_menu(path)
    problems = info.value.problems
    rendered = [str(p) for p in problems]
    # Every problem renders as path:LINE:COL: severity: message, with the file's own name.
    for text in rendered:
        m = PROBLEM_LINE.match(text)
        assert m, text
        assert m.group("file") == str(path)
        assert int(m.group("col")) >= 1
    errors = [p for p in problems if p.severity == "error"]
    listing = "\n".join(rendered)
    for line, substring in expected:
        hits = [p for p in errors if p.where.line == line and substring in p.message]
        assert hits, f"expected at line {line}: {substring!r}; got:\n{listing}"
        assert any(f"{path}:{line}:" in str(p) and ": error: " in str(p) for p in hits)
    # All at once, and nothing else: one mistake gives one message.
    assert len(errors) == len(expected), listing
    # The MenuError's text lists them too, in file order.
    assert str(info.value).splitlines() == rendered
    assert [p.where for p in problems] == sorted(p.where for p in problems)


# ---- specific loader behaviour ---------------------------------------------------------


VALID = """\
menu: tiny
name: Tiny desk
numbers: ["+15005550009"]
languages:
  en: {locale: en-US}
  ro: {locale: ro-RO}
start: main
nodes:
  main:
    type: menu
    say: {en: "Press 1.", ro: "Apăsați 1."}
    options:
      - {key: "1", phrases: {en: [goodbye], ro: [la revedere]}, go: bye}
  bye: {type: hangup}
"""


def test_a_valid_menu_loads_with_defaults_filled_in() -> None:
    menu = load_text(VALID, "tiny.yaml")
    assert (menu.id, menu.name, menu.start, menu.main) == ("tiny", "Tiny desk", "main", "main")
    assert menu.numbers == ("+15005550009",)
    assert menu.default_language == "en"
    ro = menu.languages["ro"]
    assert (ro.locale, ro.voice, ro.speech_model) == ("ro-RO", "Polly.Carmen", "default")
    assert menu.languages["en"].speech_model == "phone_call"
    assert isinstance(menu.nodes["main"], MenuNode) and isinstance(menu.nodes["bye"], HangupNode)
    option = menu.nodes["main"].options[0]  # type: ignore[attr-defined]
    assert (option.key, option.go, option.phrases["ro"]) == ("1", "bye", ("la revedere",))
    assert option.where.line == 13
    assert menu.defaults.tries == 3 and menu.defaults.fallback is None
    assert menu.message("no_match", "ro") != menu.message("no_match", "en")


def test_mini_menu_loads() -> None:
    menu = load_menu(ROOT / "tests" / "menus" / "mini.yaml")
    assert menu.id == "mini" and menu.is_default
    assert set(menu.nodes) >= {"welcome", "main", "desk", "agent", "goodbye"}
    assert menu.global_keys == {"*": "repeat", "#": "back", "9": "main", "0": "desk"}


def test_version_changes_when_the_bytes_change() -> None:
    a = load_text(VALID, "tiny.yaml")
    b = load_text(VALID, "other-name.yaml")
    c = load_text(VALID.replace("Press 1.", "Press one."), "tiny.yaml")
    d = load_text(VALID + "# a comment\n", "tiny.yaml")
    assert a.version == b.version  # the file name is not part of the version
    assert len({a.version, c.version, d.version}) == 3
    assert re.fullmatch(r"[0-9a-f]{10}", a.version)


def test_menu_id_defaults_to_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "help-desk.yaml"
    path.write_text(VALID.replace("menu: tiny\n", ""), encoding="utf-8")
    assert load_menu(path).id == "help-desk"


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(MenuError) as info:
        load_menu(tmp_path / "nope.yaml")
    assert "cannot read the file" in info.value.problems[0].message


def test_non_utf8_file(tmp_path: Path) -> None:
    with pytest.raises(MenuError, match="not UTF-8"):
        load_text(b"menu: caf\xe9\n", "latin1.yaml")


def test_three_mistakes_three_problems() -> None:
    text = VALID.replace("start: main", "start: mian").replace('key: "1"', 'key: "*"').replace(
        '"+15005550009"', '"5550009"').replace("  en: {locale: en-US}", "  en: {locale: en-US}\n  de: {}")
    with pytest.raises(MenuError) as info:
        load_text(text, "three.yaml")
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 2, messages
    assert any("no node named 'mian'; did you mean 'main'?" in m for m in messages)
    assert any("'5550009' is not an E.164 phone number" in m for m in messages)
    # A language without built-in phrases is no error: it borrows them (see the test below).
    assert not any("language 'de'" in m for m in messages)


def test_a_language_without_phrases_borrows_the_first_languages_with_a_warning() -> None:
    text = VALID.replace("  en: {locale: en-US}", "  en: {locale: en-US}\n  de: {}")
    menu = load_text(text, "de.yaml")
    assert menu.message("goodbye", "de") == menu.message("goodbye", "en")
    [note] = [p for p in menu.notes if "'de'" in p.message]
    assert note.severity == "warning" and note.where.line == text.splitlines().index("  de: {}") + 1
    assert "no phrase for: no_match, no_input" in note.message and "callers hear the 'en' ones" \
        in note.message
    assert "callback_offer" not in note.message  # no callback node: its phrases are not asked for
    assert menu.message("callback_offer", "de")  # ... but are there if the engine ever needs one


def test_an_unknown_node_type_gets_a_suggestion() -> None:
    text = VALID.replace("type: hangup", "type: hangupp")
    with pytest.raises(MenuError) as info:
        load_text(text, "t.yaml")
    assert "unknown node type 'hangupp'; did you mean 'hangup'?" in str(info.value)
    hours = VALID.replace("type: hangup", "type: hourz")
    with pytest.raises(MenuError) as info:
        load_text(hours, "t.yaml")
    assert "unknown node type 'hourz'; did you mean 'hours'?" in str(info.value)


def test_quoted_yaml11_words_are_fine() -> None:
    text = VALID.replace("[goodbye]", '["no", "yes", "off"]')
    menu = load_text(text, "quoted.yaml")
    assert menu.nodes["main"].options[0].phrases["en"] == ("no", "yes", "off")  # type: ignore[attr-defined]


def _with_norwegian(lang_key: str) -> str:
    """A menu declaring Norwegian under ``lang_key`` with all its system phrases."""
    phrases = "\n".join(f"    {name}: \"x\"" for name in MESSAGE_NAMES)
    return f"""\
languages:
  en: {{locale: en-US}}
  {lang_key}: {{locale: nb-NO}}
start: bye
nodes:
  bye: {{type: hangup}}
messages:
  "no":
{phrases}
"""


def test_quoted_norwegian_language_key_loads() -> None:
    menu = load_text(_with_norwegian('"no"'), "nb.yaml")
    assert list(menu.languages) == ["en", "no"]


def test_unquoted_norwegian_language_key_is_refused() -> None:
    with pytest.raises(MenuError) as info:
        load_text(_with_norwegian("no"), "nb.yaml")
    problems: list[Problem] = info.value.problems
    assert [(p.where.line, "boolean" in p.message) for p in problems] == [(3, True)]
