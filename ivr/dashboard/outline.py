"""A menu as admins read it: an outline of its tree and a boxes-and-arrows diagram.

Both are plain values built from the loaded ``Menu``. The diagram is Graphviz DOT,
laid out in the browser by the vendored Graphviz (static/vendor/graphviz); the
outline is the same content as text, for readers without script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr.menu.model import Menu, Prompt
from ivr.menu.source import Problem

if TYPE_CHECKING:
    from ivr.analytics.report import Dropoff

# Node attributes that name where a caller goes next, with how admins read them.
TARGET_FIELDS = (("next", "then"), ("open", "when open"), ("closed", "when closed"),
                 ("no_answer", "no answer"), ("decline", "declined"))


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
        # The engine's own rule (a language choice goes on in the default language).
        fallback = node.after_misses(menu.defaults.fallback)
        if fallback:
            if node.fallback:
                origin = ""
            elif node.kind == "language":
                origin = f" ({menu.default_language})"
            elif fallback == getattr(node, "decline", None):
                origin = " (as declined)"  # a callback offer: silence is a "no, thanks"
            else:
                origin = " (menu default)"
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


def _quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _quote_lines(*lines: str) -> str:
    """A DOT string of several lines (empty ones left out)."""
    return '"' + "\\n".join(_quote(line)[1:-1] for line in lines if line) + '"'


def dot(outline: Outline, traffic: Dropoff | None = None) -> str:
    """The diagram as Graphviz DOT, laid out in the browser (left to right, labels placed by dot).

    One edge per destination with its labels joined; repeat, back and main would tie
    every box to the main menu, so the tree lists them instead. With ``traffic`` (a
    period's drop-off) each box also shows its calls and hang-ups, each edge the share
    of the callers leaving its node who took it, and callers' moves the menu does not
    draw (a spoken jump, a global key) are added as dotted edges.
    """
    lines = ["digraph menu {",
             '  graph [rankdir=LR, nodesep=0.2, ranksep=0.5, pad=0.2, bgcolor="transparent"];',
             '  node [shape=box, style="rounded,filled", fillcolor="white", '
             'fontname="Helvetica", fontsize=12, margin="0.15,0.06"];',
             '  edge [fontname="Helvetica", fontsize=10, arrowsize=0.7];']
    for node_id in outline.order:
        view = outline.nodes[node_id]
        classes = f"diagram__box diagram__box--{view.kind}" + (
            f" diagram__box--{view.worst}" if view.worst else "")
        kind = view.kind + (f" · {view.worst}" if view.worst else "")
        label = node_id + " (" + kind + ")"
        second = ""
        tooltip = view.text or node_id
        if traffic is not None:
            seen = traffic.nodes.get(node_id)
            calls, ended = (seen.calls, seen.ended_here) if seen else (0, 0)
            rate = f" ({100 * ended / calls:.0f} %)" if calls else ""
            second = f"{calls} calls · {ended} hung up{rate}"
            tooltip = f"{node_id}: {calls} calls, {ended} hung up here{rate}"
            if calls and ended / calls >= 0.25:
                classes += " diagram__box--dropoff"
        lines.append(f"  {_quote(node_id)} [id={_quote('diagram-' + node_id)}, "
                     f"label={_quote_lines(label, second)}, "
                     f"class={_quote(classes)}, "
                     f"URL={_quote('#node-' + node_id)}, tooltip={_quote(tooltip)}];")
    for node_id in outline.order:
        labels: dict[str, list[str]] = {}
        for item in outline.nodes[node_id].exits:
            if item.go in outline.nodes and item.go != node_id:
                labels.setdefault(item.go, []).append(item.label)
        if traffic is not None:  # moves callers made that no exit draws (jumps, global keys)
            for (src, dst) in traffic.edges:
                if src == node_id and dst in outline.nodes and dst != node_id:
                    labels.setdefault(dst, [])
        for target_id, names in labels.items():
            back = outline.nodes[target_id].depth <= outline.nodes[node_id].depth >= 0
            style = ', style="dashed", constraint=false, class="diagram__edge diagram__edge--back"' if back \
                else ', class="diagram__edge"'
            text = ", ".join(names)
            if traffic is not None:
                moved = traffic.edges.get((node_id, target_id), 0)
                text = (text + " · " if text else "") + \
                    f"{100 * traffic.edge_share(node_id, target_id):.0f} % ({moved})"
                if not names:
                    style = ', style="dotted", constraint=false, class="diagram__edge diagram__edge--jump"'
            lines.append(f"  {_quote(node_id)} -> {_quote(target_id)} "
                         f"[label={_quote(text)}{style}];")
    lines.append("}")
    return "\n".join(lines)
