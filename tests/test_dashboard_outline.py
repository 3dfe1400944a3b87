"""The menu outline says where a caller goes after the misses, by the engine's own rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivr.dashboard.outline import build
from ivr.engine.core import start, step
from ivr.engine.types import CallState, Silence
from ivr.menu.loader import load_menu
from ivr.menu.model import Menu
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday morning: the desks are open


def misses_exit(menu: Menu, node_id: str) -> tuple[str, str]:
    """The outline's "after N misses" exit of a node: (label, target)."""
    exits = [e for e in build(menu, []).nodes[node_id].exits if e.label.startswith("after ")]
    assert len(exits) == 1, exits
    return exits[0].label, exits[0].go


def where_silence_leads(menu: Menu, node_id: str) -> str:
    """The node the engine sends a caller to who stays silent at ``node_id`` every time."""
    state = start(menu, NOW).state
    assert state is not None
    state = CallState(menu.id, node_id, menu.default_language, 0, (menu.main, node_id),
                      state.started, menu.version)
    for _ in range(10):
        turn = step(menu, state, Silence(), NOW)
        assert turn.state is not None
        # The first node the turn passes through (an hours node hands on at once).
        visited = [s.node for s in turn.steps if s.node != node_id] + [turn.state.node]
        if visited[0] != node_id:
            return visited[0]
        state = turn.state
    raise AssertionError(f"{node_id} never gave up")


def test_the_shop_welcome_goes_on_to_the_main_menu_not_to_a_person() -> None:
    menu = load_menu(ROOT / "menus" / "shop.yaml")
    label, target = misses_exit(menu, "welcome")
    assert (label, target) == ("after 3 misses (en)", "main")
    assert all(e.go != "person" for e in build(menu, []).nodes["welcome"].exits)
    assert where_silence_leads(menu, "welcome") == "main"


@pytest.mark.parametrize("file", ["menus/shop.yaml", "menus/library.yaml", "tests/menus/mini.yaml",
                                  "tests/menus/vm.yaml"])
def test_every_menu_and_language_node_agrees_with_the_engine(file: str) -> None:
    menu = load_menu(ROOT / file)
    checked = 0
    for node_id, node in menu.nodes.items():
        if node.kind not in ("menu", "language"):
            continue
        _, target = misses_exit(menu, node_id)
        resolved = menu.main if target in ("main", "back") else target
        assert where_silence_leads(menu, node_id) == resolved, node_id
        checked += 1
    assert checked >= 2
