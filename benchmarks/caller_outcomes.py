"""What happened to one spoken request at a menu, in the words of the callers' benchmark.

One utterance goes through the real engine (``core.step`` with ``Input(speech=...)``) at
the node ``at``; its first turn is classified against ``expect`` (a node id, ``_goodbye``
or ``_none``):

  straight          the first place the caller lands is the right one (for ``_goodbye``:
                    the call ends, by the menu's hang-up node or a built-in closing; for
                    ``_none``: the caller hears that nothing was found, with the main topics
                    or the node's question again)
  resolved          straight, or the right option is among those a spoken refinement offers
  wrong_straight    the first place is another destination (a submenu above the right
                    answer is counted apart, as one_menu_too_high)
  same_question     the caller is asked the node's question again (for ``_none`` that is
                    "nothing found" and counts as straight instead)
  one_menu_too_high the caller lands on a submenu above the right answer
  ended_wrongly     the call ended when the caller wanted something

Rates come with a 95 % Wilson score interval. Times per spoken step: server time
(``perf_counter``) and this thread's CPU (``thread_time``), one request at a time, with
the routing indexes built beforehand as when a menu version loads.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ivr.engine import core
from ivr.engine.types import Enter, Hangup, Input, Turn
from ivr.menu.model import Menu

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, desks open
STRAIGHT = ("match", "jump", "prompt", "person", "confirm", "closing", "builtin")
RATES = ("straight", "resolved", "wrong_straight", "same_question", "one_menu_too_high",
         "ended_wrongly")


@dataclass(frozen=True)
class Outcome:
    """The first turn after a spoken request."""

    kind: str  # straight, refine, topics, again, ended, nothing
    targets: tuple[str, ...]
    server_ms: float
    cpu_ms: float


def _decided(turn: Turn) -> str | None:
    """Where the engine sent the caller this step (before any hours/transfer hops)."""
    for step in turn.steps:
        head, _, rest = step.outcome.partition(":")
        if step.event == "speech" and head in STRAIGHT:
            return rest.split(":", 1)[0]
        if step.event in ("choice", "topics", "refine") and head == "go":
            return rest
        if step.event == "key" and head == "global":
            return rest
    return None


def route(menu: Menu, at: str, lang: str, text: str) -> Outcome:
    """Say ``text`` at node ``at`` in ``lang`` and report the first turn."""
    start = core.start(menu, NOW)
    assert start.state is not None
    state = replace(start.state, node=at, lang=lang, path=(menu.main, at))
    entered = core.step(menu, state, Enter(), NOW)
    assert entered.state is not None
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    turn = core.step(menu, entered.state, Input(speech=text, confidence=0.9), NOW)
    server = (time.perf_counter() - wall0) * 1000
    cpu = (time.thread_time() - cpu0) * 1000
    if any(isinstance(a, Hangup) for a in turn.actions) or turn.state is None:
        target = _decided(turn)
        return Outcome("ended", (target,) if target else (), server, cpu)
    pending = turn.state.pending
    kind, _, rest = pending.partition(":")
    if kind in ("refine", "confirm"):
        return Outcome("refine", tuple(rest.split(",")), server, cpu)
    if kind == "topics":
        return Outcome("topics", tuple(rest.split(",")), server, cpu)
    target = _decided(turn)
    if target is not None:
        if menu.nodes.get(target) is not None and menu.nodes[target].kind == "hangup":
            return Outcome("ended", (target,), server, cpu)
        return Outcome("straight", (target,), server, cpu)
    said_nothing = any(s.event in ("nothing_found",) or s.outcome.startswith("nothing")
                       for s in turn.steps)
    return Outcome("nothing" if said_nothing else "again", (), server, cpu)


def ancestors(menu: Menu) -> dict[str, set[str]]:
    """For every node, the menus whose options lead to it, directly or through submenus."""
    parents: dict[str, set[str]] = {}
    for node in menu.nodes.values():
        if node.kind not in ("menu", "question"):
            continue
        for target, _ in node.option_phrases(menu.default_language):
            parents.setdefault(target, set()).add(node.id)
    found: dict[str, set[str]] = {}
    for node_id in menu.nodes:
        seen: set[str] = set()
        todo = list(parents.get(node_id, ()))
        while todo:
            up = todo.pop()
            if up not in seen:
                seen.add(up)
                todo.extend(parents.get(up, ()))
        found[node_id] = seen
    return found


def classify(menu: Menu, outcome: Outcome, expect: str, above: dict[str, set[str]]) -> set[str]:
    """The rates (of RATES) this outcome counts towards."""
    kind, targets = outcome.kind, outcome.targets
    got: set[str] = set()
    if expect in menu.nodes and menu.nodes[expect].kind == "hangup":
        expect = "_goodbye"  # the demo sets name the menu's goodbye node
    if expect == "_goodbye":
        if kind == "ended":
            got |= {"straight", "resolved"}
        elif kind == "straight":
            got.add("wrong_straight")
        elif kind in ("again", "nothing"):
            got.add("same_question")
        return got
    if expect == "_none":
        if kind in ("topics", "nothing"):
            got |= {"straight", "resolved"}
        elif kind == "straight":
            got.add("wrong_straight")
        elif kind == "ended":
            got.add("ended_wrongly")
        elif kind == "again":
            got.add("same_question")
        return got
    if kind == "straight" and targets[0] == expect:
        got |= {"straight", "resolved"}
    elif kind == "straight" and targets[0] in above.get(expect, ()):
        got.add("one_menu_too_high")
    elif kind == "straight":
        got.add("wrong_straight")
    elif kind in ("refine", "topics") and expect in targets:
        got.add("resolved")
    elif kind == "ended":
        got.add("ended_wrongly")
    elif kind in ("again", "nothing"):
        got.add("same_question")
    return got


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 0.0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3))


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3)


def measure(menu: Menu, rows: Sequence[dict[str, str]], dataset: str) -> dict[str, Any]:
    """Every rate with its interval, times, and the misses, for one menu and language."""
    above = ancestors(menu)
    counts = dict.fromkeys(RATES, 0)
    server, cpu, misses = [], [], []
    for row in rows:
        outcome = route(menu, row["at"], row["lang"], row["text"])
        server.append(outcome.server_ms)
        cpu.append(outcome.cpu_ms)
        got = classify(menu, outcome, row["expect"], above)
        for name in got:
            counts[name] += 1
        if "straight" not in got:
            misses.append(f"{row['at']}: {row['text']!r} -> {outcome.kind} "
                          f"{','.join(outcome.targets)} (expected {row['expect']})")
    n = len(rows)
    record: dict[str, Any] = {"dataset": dataset, "n": n}
    for name in RATES:
        record[name] = round(counts[name] / n, 4) if n else 0.0
        record[f"{name}_ci"] = list(wilson(counts[name], n))
    record.update({
        "server_p50_ms": round(statistics.median(server), 3) if server else 0.0,
        "server_p99_ms": _pct(server, 0.99) if server else 0.0,
        "cpu_p50_ms": round(statistics.median(cpu), 3) if cpu else 0.0,
        "cpu_p99_ms": _pct(cpu, 0.99) if cpu else 0.0,
        "misses": misses,
    })
    return record
