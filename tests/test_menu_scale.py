"""Large menus: a generated 2,000-node menu is clean, and the fast YAML path changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_menu_scale import generate_menu, write_prompts
from ivr.menu.lint import lint
from ivr.menu.loader import load_menu
from ivr.menu.source import Problems, compose, compose_nodes
from tests.conftest import ROOT


def test_a_generated_2000_node_menu_loads_and_lints_without_errors(tmp_path: Path) -> None:
    file = tmp_path / "scale.yaml"
    file.write_text(generate_menu(2000), encoding="utf-8")
    prompts = write_prompts(file, tmp_path / "prompts")
    menu = load_menu(file)
    assert len(menu.nodes) == 2000
    assert set(menu.languages) == {"en", "fr", "ro"}
    kinds = {node.kind for node in menu.nodes.values()}
    assert {"language", "menu", "message", "hours", "transfer", "voicemail", "hangup"} <= kinds
    problems = lint(menu, prompts)
    assert [p for p in problems if p.severity == "error"] == []
    assert problems == []  # the recordings it names exist, every phrase is translated


def _tree(node: Any) -> list[tuple[Any, ...]]:
    """Every node's kind, tag, style, value and positions, in document order."""
    out: list[tuple[Any, ...]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        style = current.style if isinstance(current, yaml.ScalarNode) else current.flow_style
        out.append((type(current).__name__, current.tag, style,
                    current.start_mark.line, current.start_mark.column,
                    current.end_mark.line, current.end_mark.column,
                    current.value if isinstance(current, yaml.ScalarNode) else None))
        if isinstance(current, yaml.MappingNode):
            stack.extend(x for pair in reversed(current.value) for x in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return out


def test_the_fast_yaml_path_composes_what_the_python_loader_composes(tmp_path: Path) -> None:
    generated = tmp_path / "generated.yaml"
    generated.write_text(generate_menu(150), encoding="utf-8")
    files = [*sorted((ROOT / "menus").glob("*.yaml")),
             *sorted((ROOT / "tests" / "menus").rglob("*.yaml")), generated]
    compared = 0
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            expected = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            continue  # syntax errors: next test
        if expected is None:
            assert compose_nodes(text) is None
            continue
        assert _tree(compose_nodes(text)) == _tree(expected), file.name
        compared += 1
    assert compared >= 30


def test_syntax_errors_keep_the_python_loaders_wording_and_position() -> None:
    text = (ROOT / "tests" / "menus" / "broken" / "yaml_syntax.yaml").read_text(encoding="utf-8")
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        assert exc.problem_mark is not None
        expected = (exc.problem_mark.line + 1, f"YAML syntax: {exc.problem}")
    else:
        raise AssertionError("the corpus file should not parse")
    problems = Problems()
    assert compose(text, "menu.yaml", problems) is None
    [problem] = problems.items
    assert (problem.where.line, problem.message) == expected
    assert problem.message.endswith("not allowed here")  # PyYAML's words, not libyaml's
