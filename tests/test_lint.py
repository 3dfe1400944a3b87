"""`ivr check`: what the loader accepts but a caller would still trip over.

Each file in tests/menus/lint/ declares the exact problems lint must find:

    # lint: LINE: SEVERITY: substring of the message

(a file without such lines must be clean).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.menu.lint import check_paths, lint
from ivr.menu.loader import load_menu, load_text
from ivr.menu.source import Problem
from tests.conftest import ROOT

LINT = ROOT / "tests" / "menus" / "lint"
LINT_FILES = sorted(LINT.glob("*.yaml"))
MINI = ROOT / "tests" / "menus" / "mini.yaml"
DECLARED = re.compile(r"^#\s*lint:\s*(\d+):\s*(error|warning):\s*(.+?)\s*$")
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): (?P<msg>.+)$")


def declared(path: Path) -> list[tuple[int, str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := DECLARED.match(line):
            out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def summary(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("path", LINT_FILES, ids=[p.stem for p in LINT_FILES])
def test_lint_file_has_exactly_the_declared_problems(path: Path, tmp_path: Path) -> None:
    menu = load_menu(path)  # every lint example loads: these are not loader errors
    problems = lint(menu, tmp_path)
    expected = declared(path)
    for line, severity, substring in expected:
        assert any(p.where.line == line and p.severity == severity and substring in p.message
                   for p in problems), f"{line}: {severity}: {substring}\n{summary(problems)}"
    assert len(problems) == len(expected), summary(problems)
    for p in problems:
        assert p.where.file == str(path)


def test_mini_menu_has_no_problems() -> None:
    menu = load_menu(MINI)
    assert lint(menu, ROOT / "prompts") == []
    problems, checked = check_paths([MINI], ROOT / "prompts")
    assert (problems, checked) == ([], 1)


# ---- inline cases --------------------------------------------------------------------

HEADER = """\
languages: {en: {locale: en-US, voice: VOICE}}
start: main
defaults: {fallback: bye}
nodes:
  bye: {type: hangup}
"""


def menu_with(nodes: str, voice: str = "Polly.Joanna", name: str = "inline.yaml"):  # type: ignore[no-untyped-def]
    return load_text(HEADER.replace("VOICE", voice) + nodes, name)


def audio_menu() -> str:
    return """\
  main:
    type: menu
    say: {audio: greet/main.mp3, text: "Press 1."}
    options: [{key: "1", phrases: [info], go: info}, {key: "2", phrases: [more], go: more}]
  info:
    type: message
    say: {audio: greet/info.mp3}
    next: bye
    label: information
  more:
    type: message
    say: {audio: greet/more.ogg, text: "More."}
    next: main
    label: more
  here:
    type: message
    say: {audio: greet/here.wav}
    next: bye
"""


def test_missing_audio_is_a_warning_with_text_and_an_error_without(tmp_path: Path) -> None:
    (tmp_path / "greet").mkdir()
    (tmp_path / "greet" / "more.ogg").write_bytes(b"OggS")
    (tmp_path / "greet" / "here.wav").write_bytes(b"RIFF")
    menu = menu_with(audio_menu())
    found = {(p.where.line, p.severity, p.message) for p in lint(menu, tmp_path)}
    assert (8, "warning", "audio file prompts/greet/main.mp3 is missing (its text is spoken "
            "instead)") in found
    assert (12, "error", "audio file prompts/greet/info.mp3 is missing") in found
    assert any(line == 17 and sev == "error" and "Twilio cannot play greet/more.ogg" in msg
               for line, sev, msg in found)
    unreachable = [m for _, sev, m in found if sev == "warning" and "never be reached" in m]
    assert unreachable == ["node 'here' can never be reached from 'main'"]
    assert len(found) == 4, found


def test_audio_is_not_checked_without_a_prompts_folder() -> None:
    menu = menu_with(audio_menu())
    assert [p.message for p in lint(menu, None)] == ["node 'here' can never be reached from 'main'"]


@pytest.mark.parametrize(("voice", "length", "limit"), [
    ("Polly.Joanna", 3001, 3000), ("woman", 4001, 4000), ("Google.en-US-Standard-C", 3001, 3000)])
def test_prompt_over_the_say_limit_is_an_error(voice: str, length: int, limit: int) -> None:
    nodes = f"""\
  main:
    type: message
    say: "{'a' * length}"
    next: bye
"""
    problems = lint(menu_with(nodes, voice), None)
    assert [(p.severity, p.where.line) for p in problems] == [("error", 8)]
    assert f"main.say (*) is {length} characters; {voice} speaks at most {limit}" in problems[0].message
    # One character less is fine.
    short = nodes.replace("a" * length, "a" * (length - 1))
    assert lint(menu_with(short, voice), None) == []


def test_voice_that_cannot_speak_the_locale() -> None:
    text = """\
languages:
  en: {locale: en-US, voice: Polly.Joanna}
  ro: {locale: ro-RO, voice: Polly.Lea}
start: main
nodes:
  main: {type: message, say: "x", next: bye}
  bye: {type: hangup}
"""
    problems = lint(load_text(text, "voices.yaml"), None)
    assert len(problems) == 1, summary(problems)
    assert problems[0].severity == "error" and problems[0].where.line == 3
    assert "voice 'Polly.Lea' speaks fr-FR, not Romanian (ro-RO); use Polly.Carmen" in problems[0].message


def test_loop_of_hours_nodes_is_an_error() -> None:
    text = """\
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: a
hours: {office: {timezone: UTC, weekly: {daily: "00:00-24:00"}}}
nodes:
  a: {type: hours, schedule: office, open: b, closed: bye}
  b: {type: hours, schedule: office, open: a, closed: bye}
  bye: {type: hangup}
"""
    problems = lint(load_text(text, "loop.yaml"), None)
    loops = sorted((p.where.line, p.message) for p in problems if "loops back" in p.message)
    assert loops == [(5, "'a' loops back to itself without the caller doing anything"),
                     (6, "'b' loops back to itself without the caller doing anything")]


def test_never_open_schedule_is_a_warning() -> None:
    text = """\
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: desk
hours: {office: {timezone: UTC, weekly: {daily: closed}}}
nodes:
  desk: {type: hours, schedule: office, open: bye, closed: bye}
  bye: {type: hangup}
"""
    problems = lint(load_text(text, "never.yaml"), None)
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "schedule 'office' is never open")]


# ---- several files together ------------------------------------------------------------


def _menu_file(folder: Path, name: str, number: str, default: bool, menu_id: str | None = None) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        (f"menu: {menu_id}\n" if menu_id else "")
        + f'numbers: ["{number}"]\n'
        + f"default: {'true' if default else 'false'}\n"
        + "languages: {en: {locale: en-US, voice: Polly.Joanna}}\n"
        + "start: bye\nnodes:\n  bye: {type: hangup}\n",
        encoding="utf-8",
    )
    return path


def test_check_paths_across_files(tmp_path: Path) -> None:
    _menu_file(tmp_path, "alpha", "+15005550001", True)
    _menu_file(tmp_path, "beta", "+15005550001", True)
    _menu_file(tmp_path, "gamma", "+15005550002", False, menu_id="alpha")
    (tmp_path / "notes.txt").write_text("not a menu")
    problems, checked = check_paths([tmp_path], None)
    assert checked == 3
    found = sorted((Path(p.where.file).name, p.severity, p.message) for p in problems)
    alpha = str(tmp_path / "alpha.yaml")
    assert found == [
        ("beta.yaml", "error", "more than one default menu (alpha, beta)"),
        ("beta.yaml", "error", f"number +15005550001 is also answered by {alpha}"),
        ("gamma.yaml", "error", f"menu id 'alpha' is also used by {alpha}"),
    ]


def test_check_paths_includes_load_errors_and_keeps_going(tmp_path: Path) -> None:
    good = _menu_file(tmp_path, "good", "+15005550001", True)
    bad = tmp_path / "bad.yaml"
    bad.write_text("languages: {en: {locale: en-US}}\nstart: nowhere\nnodes:\n  bye: {type: hangup}\n")
    problems, checked = check_paths([bad, good, LINT / "dead_end.yaml"], None)
    assert checked == 3
    assert [(Path(p.where.file).name, p.where.line) for p in problems if p.severity == "error"] == [
        ("bad.yaml", 2), ("dead_end.yaml", 8), ("dead_end.yaml", 9)]


def test_same_number_in_two_files_of_different_folders(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    _menu_file(tmp_path / "one", "first", "+15005550007", False)
    _menu_file(tmp_path / "two", "second", "+15005550007", False)
    problems, _ = check_paths([tmp_path / "one", tmp_path / "two"], None)
    assert [p.message.split(" is ")[0] for p in problems] == ["number +15005550007"]


# ---- the command line ---------------------------------------------------------------


def run_check(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.output.splitlines()


def test_cli_check_with_errors_exits_1(tmp_path: Path) -> None:
    path = LINT / "dead_end.yaml"
    code, lines = run_check("--prompts", str(tmp_path), str(path))
    assert code == 1
    assert lines[0] == (f"{path}:8:3: error: no way out: from 'first' a caller can never reach a "
                        "hangup or a transfer (add a fallback or a goodbye)")
    assert lines[1].startswith(f"{path}:9:3: error: no way out: from 'second'")
    assert lines[-1] == "1 menu file(s) checked: 2 error(s), 0 warning(s)"


def test_cli_check_clean_exits_0(tmp_path: Path) -> None:
    code, lines = run_check("--prompts", str(tmp_path), str(LINT / "clean.yaml"), str(MINI))
    assert code == 0
    assert lines == ["2 menu file(s) checked: 0 error(s), 0 warning(s)"]


def test_cli_check_strict_fails_on_warnings_only(tmp_path: Path) -> None:
    path = str(LINT / "unreachable.yaml")
    code, lines = run_check("--prompts", str(tmp_path), path)
    assert code == 0
    assert lines[0] == f"{path}:18:3: warning: node 'old_offer' can never be reached from 'main'"
    assert lines[-1] == "1 menu file(s) checked: 0 error(s), 1 warning(s)"
    strict_code, strict_lines = run_check("--strict", "--prompts", str(tmp_path), path)
    assert strict_code == 1
    assert strict_lines == lines


def test_cli_check_reports_loader_errors_as_lines(tmp_path: Path) -> None:
    path = ROOT / "tests" / "menus" / "broken" / "dangling_targets.yaml"
    code, lines = run_check("--prompts", str(tmp_path), str(path))
    assert code == 1
    problem_lines = lines[:-1]
    assert len(problem_lines) == 7
    for line in problem_lines:
        m = LINE.match(line)
        assert m and m.group("file") == str(path) and m.group("sev") == "error", line
    assert f"{path}:13:13: error: no node named 'goodby'; did you mean 'goodbye'?" in lines


def test_cli_check_with_no_files_exits_2(tmp_path: Path) -> None:
    code, lines = run_check("--prompts", str(tmp_path), str(tmp_path))
    assert code == 2
    assert "0 menu file(s) checked: 0 error(s), 0 warning(s)" in lines


def test_installed_ivr_command(tmp_path: Path) -> None:
    """The console script itself, as an admin runs it."""
    ivr = Path(sys.executable).parent / "ivr"
    if not ivr.exists():
        pytest.skip("the ivr console script is not installed in this environment")
    bad = subprocess.run([str(ivr), "check", "--prompts", str(tmp_path), str(LINT / "bad_voice.yaml")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert all(LINE.match(line) for line in bad.stdout.splitlines()[:-1])
    assert ": error: voice 'woman' has no Romanian (ro-RO)" in bad.stdout
    ok = subprocess.run([str(ivr), "check", "--prompts", str(tmp_path), str(MINI)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr


# ---- gaps found by these tests and fixed ----


def test_shared_phrase_between_any_language_and_a_specific_one() -> None:
    nodes = """\
  main:
    type: menu
    say: "Choose."
    options:
      - {key: "1", phrases: [billing], go: bye}
      - {key: "2", phrases: {en: [Billing]}, go: other}
  other: {type: hangup}
"""
    problems = lint(menu_with(nodes), None)
    assert any("belongs to both" in p.message for p in problems), summary(problems)


def test_check_paths_does_not_compare_a_file_with_itself() -> None:
    problems, _ = check_paths([MINI.parent, MINI], None)
    assert problems == [], summary(problems)


# ---- nodes callers reach by voice -----------------------------------------------------

VOICE_NODES = """\
  main:
    type: menu
    say: "Press 1 to ask a question."
    options:
      - {key: "1", phrases: [question], go: ask}
  ask:
    type: question
    say: "Tell me in a few words what you need."
  returns:                      # only a spoken request leads here
    type: message
    say: "Print the label from your account."
    phrases: [returns, send back]
    next: bye
  forgotten:                    # nothing leads here, not even a phrase
    type: message
    say: "Our summer offer has ended."
    next: bye
"""


def unreachable(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems if "never be reached" in p.message]


def keys_only_menu(nodes: str):  # type: ignore[no-untyped-def]
    """A menu whose menu nodes do not jump on speech (`speech: {jump: false}`)."""
    header = HEADER.replace("VOICE", "Polly.Joanna").replace("nodes:", "speech: {jump: false}\nnodes:")
    return load_text(header + nodes, "voice.yaml")


def test_a_question_node_reaches_every_node_callers_can_ask_for_by_name() -> None:
    problems = lint(keys_only_menu(VOICE_NODES), None)
    assert unreachable(problems) == ["node 'forgotten' can never be reached from 'main'"]


def test_spoken_jumps_from_menu_nodes_count_only_when_they_are_on() -> None:
    nodes = VOICE_NODES.replace("- {key: \"1\", phrases: [question], go: ask}",
                                "- {key: \"1\", phrases: [goodbye], go: bye}")
    jumping = lint(menu_with(nodes), None)  # speech.jump is on by default
    assert unreachable(jumping) == [f"node '{n}' can never be reached from 'main'"
                                    for n in ("ask", "forgotten")]  # 'ask' has no phrases now
    keys_only = lint(keys_only_menu(nodes), None)
    assert unreachable(keys_only) == [f"node '{n}' can never be reached from 'main'"
                                      for n in ("ask", "returns", "forgotten")]


def test_an_option_phrase_anywhere_makes_its_destination_reachable_by_voice() -> None:
    nodes = VOICE_NODES.replace("    phrases: [returns, send back]\n", "") + """\
  help:
    type: menu
    say: "Returns or refunds?"
    options:
      - {key: "1", phrases: [returns], go: returns}
"""
    problems = lint(keys_only_menu(nodes), None)
    # The option still counts although nothing leads to 'help' (no key, no phrase of its own).
    assert unreachable(problems) == [f"node '{n}' can never be reached from 'main'"
                                     for n in ("forgotten", "help")]


@pytest.mark.parametrize("name", ["shop", "library"])
def test_the_demo_menus_pass_strict_check(name: str) -> None:
    result = CliRunner().invoke(cli, ["check", "--strict", str(ROOT / "menus" / f"{name}.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["1 menu file(s) checked: 0 error(s), 0 warning(s)"]
