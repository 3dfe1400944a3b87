"""A menu as admins read it: an outline of its tree and a boxes-and-arrows diagram.

Both are plain values built from the loaded ``Menu`` so the templates only lay
them out; the diagram is server-side SVG (no script, no external library), laid
out in columns by how many steps a node is from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.menu.model import Menu, Prompt
from ivr.menu.source import Problem

# Node attributes that name where a caller goes next, with how admins read them.
TARGET_FIELDS = (("next", "then"), ("open", "when open"), ("closed", "when closed"),
                 ("no_answer", "no answer"))
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 170, 46, 80, 22, 16


@dataclass(frozen=True)
class Exit:
    """One way out of a node: a key and/or phrases, or a condition, and where it leads."""

    label: str  # "key 1", "then", "after 3 misses"
    go: str
    phrases: tuple[str, ...] = ()
    known: bool = True  # the target is a node of this menu (or repeat/back/main)


@dataclass
class NodeView:
    """A node with what admins need to see at a glance."""

    id: str
    kind: str
    line: int
    text: str  # its prompt in the menu's first language
    description: str
    exits: list[Exit]
    problems: list[Problem] = field(default_factory=list)
    depth: int = -1  # steps from the start; -1 = unreachable

    @property
    def worst(self) -> str:
        """error, warning or '' (the mark the node gets in the outline and diagram)."""
        severities = {p.severity for p in self.problems}
        return "error" if "error" in severities else ("warning" if severities else "")


@dataclass
class Outline:
    """A whole menu: its nodes in reading order and the problems no node owns."""

    menu: Menu
    nodes: dict[str, NodeView]
    order: list[str]  # breadth first from the start, unreachable ones last
    general: list[Problem]


def prompt_text(prompt: Prompt | None, lang: str) -> str:
    """A prompt's text in ``lang`` (or any language), or its audio file's name."""
    if prompt is None:
        return ""
    spoken = prompt.for_language(lang, lang) or next(iter(prompt.versions.values()), None)
    if spoken is None:
        return ""
    return spoken.text or (f"[{spoken.audio}]" if spoken.audio else "")


def _exits(menu: Menu, node: Any) -> list[Exit]:
    """Every way out of ``node``, labelled, in the order a caller meets them."""
    lang = menu.default_language
    known = set(menu.nodes) | {"repeat", "back", "main"}
    out: list[Exit] = []
    for option in getattr(node, "options", ()):
        words = option.phrases.get(lang, ()) or option.phrases.get("*", ())
        if option.language:
            target = getattr(node, "next", "") or "main"
            label = f"key {option.key}: {option.language}" if option.key else option.language
            out.append(Exit(label, target, tuple(words), target in known))
            continue
        label = f"key {option.key}" if option.key else "said"
        out.append(Exit(label, option.go, tuple(words), option.go in known))
    for attr, label in TARGET_FIELDS:
        target = getattr(node, attr, None)
        # A language choice's options already lead to its ``next``.
        if isinstance(target, str) and target and not (attr == "next" and node.kind == "language"):
            out.append(Exit(label, target, (), target in known))
    route = getattr(node, "route", None)
    if route is not None:  # a lookup node routes on a field of the record it found
        for value, target in route.choices.items():
            out.append(Exit(f"{route.field} = {value}", str(target), (), str(target) in known))
    if node.listens:
        tries = node.tries if node.tries is not None else menu.defaults.tries
        fallback = node.fallback or menu.defaults.fallback
        if fallback:
            origin = "" if node.fallback else " (menu default)"
            out.append(Exit(f"after {tries} misses{origin}", fallback, (), fallback in known))
    elif node.fallback:
        out.append(Exit("fallback", node.fallback, (), node.fallback in known))
    return _unique(out)


def _unique(exits: Iterable[Exit]) -> list[Exit]:
    """The same exit listed once (a language node's options all share ``next``)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in exits:
        if (item.label, item.go) not in seen:
            seen.add((item.label, item.go))
            out.append(item)
    return out


def _resolve(menu: Menu, target: str) -> str | None:
    """The node a target reaches (back and main both lead to the main menu here)."""
    if target in ("main", "back"):
        return menu.main
    return target if target in menu.nodes else None


def build(menu: Menu, problems: Iterable[Problem]) -> Outline:
    """The outline of ``menu`` with each problem attached to the node whose lines hold it."""
    views = {
        node_id: NodeView(node_id, node.kind, node.where.line,
                          prompt_text(node.say, menu.default_language), node.description,
                          _exits(menu, node))
        for node_id, node in menu.nodes.items()
    }
    order: list[str] = []
    if menu.start in views:
        views[menu.start].depth = 0
        queue = [menu.start]
        while queue:
            current = queue.pop(0)
            order.append(current)
            for item in views[current].exits:
                nxt = _resolve(menu, item.go)
                if nxt and views[nxt].depth < 0:
                    views[nxt].depth = views[current].depth + 1
                    queue.append(nxt)
    order += sorted((n for n in views if views[n].depth < 0), key=lambda n: views[n].line)
    general = _attach(views, problems)
    return Outline(menu, views, order, general)


def _attach(views: Mapping[str, NodeView], problems: Iterable[Problem]) -> list[Problem]:
    """Give each problem to the node written above its line; the rest are menu-wide."""
    by_line = sorted(views.values(), key=lambda v: v.line)
    general: list[Problem] = []
    for problem in problems:
        owner = None
        for view in by_line:
            if view.line <= problem.where.line:
                owner = view
            else:
                break
        # Lines before the first node (languages, hours, sources) belong to the menu.
        if owner is None or not by_line:
            general.append(problem)
        else:
            owner.problems.append(problem)
    return general


@dataclass(frozen=True)
class Box:
    """A node's rectangle in the diagram."""

    id: str
    kind: str
    x: int
    y: int
    mark: str  # error | warning | ''

    @property
    def cx(self) -> int:
        """Its horizontal middle."""
        return self.x + BOX_W // 2


@dataclass(frozen=True)
class Arrow:
    """An edge of the diagram as an SVG path, with its label's position."""

    path: str
    label: str
    lx: int
    ly: int
    back: bool  # it goes back to an earlier column (drawn dashed)


@dataclass(frozen=True)
class Diagram:
    """Everything the SVG template draws."""

    width: int
    height: int
    boxes: list[Box]
    arrows: list[Arrow]


def diagram(outline: Outline) -> Diagram:
    """Lay the nodes out in columns by depth (unreachable ones in a last column)."""
    columns: dict[int, list[str]] = {}
    deepest = max((v.depth for v in outline.nodes.values()), default=0)
    for node_id in outline.order:
        depth = outline.nodes[node_id].depth
        columns.setdefault(depth if depth >= 0 else deepest + 1, []).append(node_id)
    boxes: dict[str, Box] = {}
    for column, ids in sorted(columns.items()):
        for row, node_id in enumerate(ids):
            view = outline.nodes[node_id]
            boxes[node_id] = Box(node_id, view.kind, PAD + column * (BOX_W + GAP_X),
                                 PAD + row * (BOX_H + GAP_Y), view.worst)
    arrows: list[Arrow] = []
    for node_id in outline.order:
        # One arrow per destination, its labels joined (three language keys, one next node).
        labels: dict[str, list[str]] = {}
        for item in outline.nodes[node_id].exits:
            # repeat, back and main would tie every box to the main menu: the outline says them.
            if item.go in outline.nodes and item.go != node_id:
                labels.setdefault(item.go, []).append(item.label)
        for target_id, names in labels.items():
            arrows.append(_arrow(boxes[node_id], boxes[target_id], ", ".join(names)))
    height = PAD * 2 + max((len(ids) for ids in columns.values()), default=1) * (BOX_H + GAP_Y)
    width = PAD * 2 + len(columns) * (BOX_W + GAP_X)
    return Diagram(width, height, list(boxes.values()), arrows)


def _arrow(source: Box, target: Box, label: str) -> Arrow:
    """A curve from the right of ``source`` to the left of ``target`` (or a loop back)."""
    if target.x > source.x:
        x1, y1 = source.x + BOX_W, source.y + BOX_H // 2
        x2, y2 = target.x - 4, target.y + BOX_H // 2
        bend = (x2 - x1) // 2
        path = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
        # The label sits by the arrowhead: edges leave one box together but end apart.
        return Arrow(path, label, x2 - GAP_X // 2 - 4, y2 - 4, False)
    # Back (or within a column): leave from the bottom, come in at the target's bottom.
    x1, y1 = source.cx, source.y + BOX_H
    x2, y2 = target.cx + 10, target.y + BOX_H + 4
    low = max(y1, y2) + GAP_Y
    path = f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"
    return Arrow(path, label, (x1 + x2) // 2, low - 2, True)
