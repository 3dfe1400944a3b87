"""What a menu answers, as plain values for a page or a text: its topics, answers and hours.

Pure: no Flask, Twilio or SQL. A question is understood exactly as a spoken request at
the main menu (the engine's ``step`` with the words as speech and no recognition
confidence), so a visitor, a texter and a caller saying the same words reach the same
answer, the same two or three candidates, or the same "nothing found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.engine import core
from ivr.engine.types import CallState, Input, Step
from ivr.menu.model import Menu
from ivr.nodes.directory import label, person_target, topics

MAX_QUESTION = 500  # what one spoken request may carry; longer questions are cut
MAX_DEPTH = 3  # menu levels listed under a topic
# Node kinds a page or a text shows as an answer; the others are contact options.
CONTACT_KINDS = ("transfer", "voicemail", "callback", "hours")
HIDDEN_KINDS = ("hangup", "language", "question")


@dataclass(frozen=True)
class Topic:
    """One destination of the menu as a reader sees it: its name, its answer, its sub-topics."""

    id: str
    kind: str
    label: str
    text: str = ""  # the answer the phone speaks (a recording's text too)
    children: tuple[Topic, ...] = ()


@dataclass(frozen=True)
class Opening:
    """A schedule's state at a moment: open now (until when), or when it opens next."""

    schedule: str
    open: bool
    until: datetime | None = None  # local closing time while open
    opens: datetime | None = None  # local next opening while closed


@dataclass(frozen=True)
class Reply:
    """How a question was understood: one answer, a few candidates, or nothing."""

    kind: str  # "answer", "choices" or "none"
    question: str
    target: str = ""  # the answer's node ("answer")
    candidates: tuple[str, ...] = ()  # the nodes to choose from ("choices") or the topics
    steps: tuple[Step, ...] = field(default=())  # the engine's journey lines (analytics)


def choose_language(menu: Menu, wanted: str | None, accepted: list[str] | None = None) -> str:
    """``wanted`` when the menu speaks it, else the first accepted one it speaks, else its own."""
    if wanted and wanted in menu.languages:
        return wanted
    for lang in accepted or ():
        short = lang.split("-")[0].lower()
        if short in menu.languages:
            return short
    return menu.default_language


def text_of(menu: Menu, node_id: str, lang: str) -> str:
    """The text a node's prompt speaks in ``lang`` (a recorded prompt's text), or ""."""
    node = menu.nodes.get(node_id)
    if node is None or node.say is None:
        return ""
    version = node.say.for_language(lang, menu.default_language)
    return " ".join((version.text or "").split()) if version else ""


def name_of(menu: Menu, node_id: str, lang: str) -> str:
    """How a destination is named to readers: as the phone names it, first letter raised."""
    name = label(menu, node_id, lang)
    return name[:1].upper() + name[1:]


def topic(menu: Menu, node_id: str, lang: str, depth: int = 0,
          seen: frozenset[str] = frozenset()) -> Topic:
    """A destination with its answer and (for a sub-menu) its own topics, in menu order."""
    node = menu.nodes[node_id]
    children: list[Topic] = []
    text = ""
    if node.kind == "menu":
        if depth < MAX_DEPTH:
            for target in _option_targets(menu, node_id):
                if target not in seen and target != node_id:
                    children.append(topic(menu, target, lang, depth + 1, seen | {node_id}))
    elif node.kind in ("message",):
        text = text_of(menu, node_id, lang)
    return Topic(node_id, node.kind, name_of(menu, node_id, lang), text, tuple(children))


def _option_targets(menu: Menu, node_id: str) -> list[str]:
    node = menu.nodes[node_id]
    found = [o.go for o in getattr(node, "options", ()) if o.go in menu.nodes]
    return [t for t in dict.fromkeys(found) if menu.nodes[t].kind not in HIDDEN_KINDS]


def outline(menu: Menu, lang: str) -> list[Topic]:
    """The main menu's topics in its order, each with its answers (what a help page lists)."""
    main = menu.main if menu.main in menu.nodes else menu.start
    return [topic(menu, target, lang, 1, frozenset({main}))
            for target in _option_targets(menu, main)]


def main_topics(menu: Menu) -> list[str]:
    """The topics offered when nothing fits (the phone's "topics" list)."""
    return topics(menu)


def contact_target(menu: Menu) -> str | None:
    """Where a request for a person goes (the 0 key), if anywhere."""
    return person_target(menu)


def ask(menu: Menu, lang: str, question: str, now: datetime) -> Reply:
    """Understand ``question`` as a spoken request at the main menu, without side effects."""
    question = " ".join(question.split())[:MAX_QUESTION]
    main = menu.main if menu.main in menu.nodes else menu.start
    if not question:
        return Reply("none", question, candidates=tuple(main_topics(menu)))
    state = CallState(menu.id, main, lang, 0, (main,), int(now.timestamp()), menu.version)
    turn = core.step(menu, state, Input(speech=question), now)
    after = turn.state
    pending = after.pending if after is not None else ""
    kind, _, rest = pending.partition(":")
    if kind in ("refine", "topics", "confirm"):
        found = tuple(t for t in rest.split(",")
                      if t in menu.nodes and menu.nodes[t].kind not in HIDDEN_KINDS)
        if kind == "topics" or not found:
            return Reply("none", question, candidates=found or tuple(main_topics(menu)),
                         steps=turn.steps)
        return Reply("choices", question, candidates=found, steps=turn.steps)
    moved = [n for n in turn.entered if n != main]
    if moved and menu.nodes[moved[0]].kind not in HIDDEN_KINDS:  # "ask again", "goodbye": no answer
        return Reply("answer", question, target=moved[0], steps=turn.steps)
    return Reply("none", question, candidates=tuple(main_topics(menu)), steps=turn.steps)


def openings(menu: Menu, now: datetime) -> list[Opening]:
    """Each schedule of the menu at ``now``: open until, or opens at (local times)."""
    found = []
    for name, schedule in menu.schedules.items():
        zone = ZoneInfo(schedule.timezone)
        if schedule.is_open(now):
            window = schedule.window(now)
            found.append(Opening(name, True, until=window[1].astimezone(zone) if window else None))
        else:
            opens = schedule.next_opening(now)
            found.append(Opening(name, False, opens=opens.astimezone(zone) if opens else None))
    return found
