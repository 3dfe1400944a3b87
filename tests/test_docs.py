"""Documentation that cannot drift: every setting, key, node kind and command is documented."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.config import SETTINGS
from ivr.menu.loader import TOP_FIELDS
from ivr.nodes import NODE_KINDS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
MENUS_DOC = (ROOT / "docs" / "menus.md").read_text()
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text()


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_documented_with_its_default(name: str) -> None:
    default, _ = SETTINGS[name]
    row = next((line for line in CONFIG_DOC.splitlines() if line.startswith(f"| `{name}` |")),
               None)
    assert row is not None, f"{name} is missing from docs/configuration.md"
    assert (f"`{default}`" if default else "(empty)") in row


@pytest.mark.parametrize("kind", sorted(NODE_KINDS))
def test_every_node_kind_has_a_section(kind: str) -> None:
    assert re.search(rf"^#+ .*`?type: {kind}`?", MENUS_DOC, re.MULTILINE) or re.search(
        rf"^#+ .*\b{kind}\b", MENUS_DOC, re.MULTILINE), f"docs/menus.md has no section on {kind}"


@pytest.mark.parametrize("key", TOP_FIELDS)
def test_every_top_level_key_is_documented(key: str) -> None:
    assert f"`{key}`" in MENUS_DOC, f"docs/menus.md does not mention the top-level key {key}"


@pytest.mark.parametrize("command", ["make run", "make test", "ivr call", "ivr check"])
def test_readme_shows_the_commands(command: str) -> None:
    assert command in README


def test_readme_has_install_run_test_sections() -> None:
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert ["Install", "Run", "Test"] == [h for h in headings if h in ("Install", "Run", "Test")]


def test_the_complete_example_in_the_menu_reference_loads(tmp_path: object) -> None:
    from pathlib import Path

    from ivr.menu.lint import lint
    from ivr.menu.loader import load_text

    blocks = re.findall(r"```yaml\n(.*?)```", MENUS_DOC, re.DOTALL)
    complete = [b for b in blocks if "nodes:" in b and "languages:" in b]
    assert complete, "docs/menus.md has no complete example"
    menu = load_text(complete[0], "docs/menus.md")
    errors = [p for p in lint(menu, Path(str(tmp_path))) if p.severity == "error"]
    assert errors == []


# ---- every `ivr call --steps` example in the README and docs/ does what it shows -------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# What the engine says when it refuses a step: a caller following an example never hears these.
REFUSALS = ("no_match", "no_input", "nothing_found", "lookup_invalid", "lookup_not_found",
            "lookup_refused", "lookup_failed", "error")


def call_examples() -> list[tuple[str, list[str]]]:
    """(where, arguments after `ivr call`) for each example with --steps."""
    found = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            if "ivr call " in line and "--steps" in line:
                args = shlex.split(line.split("ivr call ", 1)[1].split("`")[0], comments=True)
                found.append((f"{doc.relative_to(ROOT)}:{number}", args))
    return found


def example_problems(output: str, refusals: list[str]) -> list[str]:
    """What went wrong in a scripted call's output: speech nobody listened to, refused steps."""
    problems = [line for line in output.splitlines() if line.startswith("!!")]
    steps: list[tuple[str, str, list[str]]] = []
    waiting = ""
    for line in output.splitlines():
        if line.startswith("> "):
            steps.append((line[2:], waiting, []))
        elif line.startswith("   ..."):
            waiting = line
        elif line.startswith("   SAY") and steps:
            steps[-1][2].append(line)
    for action, waiting, heard in steps:
        if action.startswith("say ") and "speech" not in waiting:
            problems.append(f"{action!r} is said while {waiting.strip()!r}: nobody hears it")
        if action != "wait":
            problems.extend(f"{action!r} is refused: {said.strip()}" for said in heard
                            if any(text in said for text in refusals))
    if not output.rstrip().endswith(("-- hung up", "-- call ended")):
        problems.append("the call does not end: " + output.rstrip().splitlines()[-1])
    return problems


@pytest.fixture(scope="module")
def example_setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A database with the demo data, and the menu reference's complete example as a file."""
    from ivr.menu.loader import load_menu

    work = tmp_path_factory.mktemp("examples")
    desk = work / "desk"
    desk.mkdir()
    blocks = re.findall(r"```yaml\n(.*?)```", MENUS_DOC, re.DOTALL)
    (desk / "desk.yaml").write_text(next(b for b in blocks if "nodes:" in b and "languages:" in b))
    env = {"IVR_ENV": "development", "IVR_INSTANCE_DIR": str(work / "instance"),
           "DATABASE_URL": f"sqlite:///{work / 'examples.sqlite3'}", "IVR_WORKER_IN_APP": "false"}
    for command in (["db", "upgrade"], ["demo", "seed"]):  # as `make run` does
        done = CliRunner().invoke(cli, command, env=env)
        assert done.exit_code == 0, done.output
    menus = {path.stem: path for path in [*(ROOT / "menus").glob("*.yaml"), desk / "desk.yaml"]}
    refusals = sorted({menu.message(name, lang).split("{")[0].strip()
                       for menu in map(load_menu, menus.values())
                       for lang in menu.languages for name in REFUSALS})
    return {"env": env, "desk": desk, "refusals": refusals}


def test_the_documents_show_scripted_calls() -> None:
    where = [w for w, _ in call_examples()]
    assert any(w.startswith("README.md") for w in where)
    assert len(where) >= 6, where


@pytest.mark.parametrize("where, args", call_examples(), ids=[w for w, _ in call_examples()])
def test_call_example_does_what_it_shows(where: str, args: list[str],
                                         example_setup: dict[str, Any],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    env = dict(example_setup["env"])
    if args[0] == "desk":  # the menu reference's own example menu, alone in its database
        env["IVR_MENUS_DIR"] = str(example_setup["desk"])
        env["DATABASE_URL"] = f"sqlite:///{example_setup['desk'] / 'desk.sqlite3'}"
    result = CliRunner().invoke(cli, ["call", *args], env=env)
    assert result.exit_code == 0, result.output
    assert example_problems(result.stdout, example_setup["refusals"]) == [], result.stdout


def test_the_example_check_catches_speech_at_a_node_that_listens_for_keys(
        example_setup: dict[str, Any]) -> None:
    """The README's former speech example: French, membership, then a word at a message.

    (The opening hours now offer a text, so that message listens for speech too.)
    """
    result = CliRunner().invoke(cli, ["call", "library", "--steps",
                                      "2; 2; 1; say renouveler; hangup"], env=example_setup["env"])
    assert example_problems(result.stdout, example_setup["refusals"]) == [
        "'say renouveler' is said while '... listening (dtmf, 2 s) [join]': nobody hears it"]
    refused = CliRunner().invoke(cli, ["call", "library", "--steps", "2; 8; hangup"],
                                 env=example_setup["env"])
    assert example_problems(refused.stdout, example_setup["refusals"]) == [
        "'8' is refused: SAY [fr-FR Polly.Lea]: Désolé, je n'ai pas compris."]


# ---- make run installs what running needs; make test what testing needs ---------------------

def make_dry_run(tmp_path: Path, target: str, stamps: tuple[str, ...] = (), *,
                 venv: bool = True, **variables: str) -> list[str]:
    """The commands `make TARGET` would run in a project whose venv has these stamps."""
    import os
    import shutil
    import subprocess
    import time

    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    if venv:
        (project / ".venv" / "bin" / "python").touch()
    (project / "pyproject.toml").touch()
    an_hour_ago = time.time() - 3600
    os.utime(project / "pyproject.toml", (an_hour_ago, an_hour_ago))
    for stamp in stamps:
        (project / ".venv" / stamp).touch()
    done = subprocess.run([make, "-n", "--no-print-directory", "-f", str(ROOT / "Makefile"),
                           "-C", str(project), target,
                           *(f"{k}={v}" for k, v in variables.items())],
                          capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k not in ("HOST", "PORT")})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line.split("-e ", 1)[1] for line in lines if "pip install --quiet -e" in line]


def test_make_run_on_a_fresh_clone_installs_only_what_running_needs(tmp_path: Path) -> None:
    lines = make_dry_run(tmp_path, "run", venv=False)
    assert lines[0] == "python3 -m venv .venv"
    assert installs(lines) == ["."]
    assert lines[-1] == "IVR_ENV=${IVR_ENV:-development} .venv/bin/ivr run --host 127.0.0.1 --port 5000"


def test_make_test_installs_the_test_tools_and_the_models(tmp_path: Path) -> None:
    assert installs(make_dry_run(tmp_path, "test")) == ['".[test,embeddings,whisper]"']


def test_make_run_after_make_test_installs_nothing(tmp_path: Path) -> None:
    lines = make_dry_run(tmp_path, "test")
    assert ".venv/.installed-base" in lines[1]  # the test install marks the run set too
    stamps = (".installed-test+embeddings+whisper", ".installed-base")
    assert installs(make_dry_run(tmp_path, "run", stamps)) == []
    assert installs(make_dry_run(tmp_path, "test", stamps)) == []


def test_make_test_after_make_run_installs_what_is_missing(tmp_path: Path) -> None:
    assert installs(make_dry_run(tmp_path, "run", (".installed-base",))) == []
    assert installs(make_dry_run(tmp_path, "test", (".installed-base",))) == [
        '".[test,embeddings,whisper]"']


def test_run_extras_are_one_variable_away(tmp_path: Path) -> None:
    lines = make_dry_run(tmp_path, "run", (".installed-base",), RUN_EXTRAS="embeddings")
    assert installs(lines) == ['".[embeddings]"']
    assert installs(make_dry_run(tmp_path, "test", (".installed-test+embeddings+whisper",),
                                 RUN_EXTRAS="embeddings")) == [
        '".[test,embeddings,whisper,embeddings]"']


def test_make_run_binds_the_loopback_unless_asked(tmp_path: Path) -> None:
    stamps = (".installed-base",)
    assert make_dry_run(tmp_path, "run", stamps)[-1].endswith("--host 127.0.0.1 --port 5000")
    assert make_dry_run(tmp_path, "run", stamps, HOST="0.0.0.0", PORT="8080")[-1].endswith(
        "--host 0.0.0.0 --port 8080")


def test_make_bench_load_installs_wrk_when_it_is_missing(tmp_path: Path) -> None:
    lines = make_dry_run(tmp_path, "bench-load", (".installed-test+embeddings", ".installed-base"))
    wrk = "\n".join(lines[next(i for i, line in enumerate(lines) if "command -v wrk" in line):])
    assert "apt-get install -y -q wrk" in wrk
    assert lines[-1] == ".venv/bin/python benchmarks/bench_load.py "
