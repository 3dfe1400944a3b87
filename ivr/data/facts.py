"""What one call's journey says, as plain values: the figures analytics add up.

A call's journey lines (ordered) go in; out come its facts (contained? transferred?
abandoned?...), the nodes it visited and the moves between them. Pure: no SQL, no
menu. The node kinds come from the journey itself (each line notes its node's kind,
and a turn's last line the nodes it entered), so a kind added later (``callback``)
counts without any change here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Events whose input is the caller's own keys or words.
INPUT_EVENTS = frozenset({"choice", "key", "language", "confirm", "refine", "speech", "no_match",
                          "nothing_found", "not_confirmed", "lookup_entry", "search",
                          "search_again"})
RETRY_EVENTS = frozenset({"no_match", "nothing_found", "not_confirmed"})
KEY_CHARS = frozenset("0123456789*#")
# Kinds that wait for the caller to choose: a call ending there hung up in a menu.
MENU_KINDS = frozenset({"menu", "question", "language"})
ANSWER_KINDS = frozenset({"message"})
# Kinds that hand the caller to a person, now or later.
PERSON_KINDS = frozenset({"transfer", "voicemail", "callback"})
CONNECTED = "hangup"  # a transfer's "dial" line: the person answered, then the call ended


@dataclass
class CallFacts:
    """One call, summed up."""

    call_sid: str
    menu: str
    started_at: datetime | None
    seconds: int | None
    lang: str
    steps: int = 0
    answered: bool = False  # heard an answer (a message node)
    looked_up: bool = False  # a lookup or search found something and read it back
    transferred: bool = False
    transfer_answered: bool = False
    voicemail: bool = False  # left a message
    callback: bool = False  # reached a node of kind ``callback``
    keys: int = 0  # inputs by key
    spoken: int = 0  # inputs by voice
    lookups_found: int = 0
    lookups_not_found: int = 0
    lookups_failed: int = 0
    last_node: str = ""
    last_kind: str = ""
    menu_ended: bool = False  # the menu ended the call (a hangup node, a connected transfer...)
    nodes: dict[str, NodeVisit] = field(default_factory=dict)
    edges: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def contained(self) -> bool:
        """Heard an answer or a lookup and never went to a person (transfer, voicemail, callback)."""
        return (self.answered or self.looked_up) and not self.to_person

    @property
    def to_person(self) -> bool:
        """Transferred, left a voicemail or asked to be called back."""
        return self.transferred or self.voicemail or self.callback

    @property
    def abandoned(self) -> bool:
        """Hung up in a menu before any answer or lookup (and never went to a person)."""
        return (not self.menu_ended and self.last_kind in MENU_KINDS and not self.answered
                and not self.looked_up and not self.to_person)

    def row(self) -> dict[str, Any]:
        """The call_facts row."""
        return {
            "call_sid": self.call_sid, "menu": self.menu[:64], "started_at": self.started_at,
            "slot": slot_of(self.started_at),
            "seconds": self.seconds, "lang": self.lang[:16], "steps": self.steps,
            "answered": self.answered, "looked_up": self.looked_up,
            "transferred": self.transferred, "transfer_answered": self.transfer_answered,
            "voicemail": self.voicemail, "callback": self.callback,
            "contained": self.contained, "abandoned": self.abandoned,
            "keys": self.keys, "spoken": self.spoken, "lookups_found": self.lookups_found,
            "lookups_not_found": self.lookups_not_found, "lookups_failed": self.lookups_failed,
            "last_node": self.last_node[:64],
        }


SLOT_SECONDS = 900  # a quarter of an hour


def slot_of(moment: datetime | None) -> int | None:
    """The quarter-hour of ``moment`` since 1970 (naive times are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) // SLOT_SECONDS


@dataclass
class NodeVisit:
    """How one call met one node."""

    kind: str
    visits: int = 0
    ended_here: bool = False  # the caller hung up while here


def path_of(steps: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The (node, kind) the call entered, in order, repeats in a row (a retry) folded."""
    path: list[tuple[str, str]] = []
    for step in steps:
        for item in str(step.get("entered") or "").split(","):
            if not item:
                continue
            node, _, kind = item.partition("/")
            if not path or path[-1][0] != node:
                path.append((node, kind))
    return path


def _ended_by_menu(last: Mapping[str, Any]) -> bool:
    """Whether the journey's last line is the menu ending the call (not the caller hanging up)."""
    event, outcome = str(last.get("event") or ""), str(last.get("outcome") or "")
    if event in ("hangup", "too_long"):
        return True
    if event == "fallback" and outcome == "hangup":
        return True
    if event == "dial" and outcome == CONNECTED:
        return True
    return event == "voicemail" and outcome.startswith("recorded")


def summarize(call_sid: str, steps: Sequence[Mapping[str, Any]],
              call: Mapping[str, Any] | None = None) -> CallFacts:
    """A call's facts from its journey lines (ordered) and its ``calls`` row, if any."""
    tally = Tally(CallFacts(call_sid, "", None, None, ""))
    for step in steps:
        tally.add(step)
    return tally.finish(call)


@dataclass
class Tally:
    """A call's facts as its lines come in, one at a time.

    ``summarize`` folds a whole journey; the rollups fold only the lines just written
    onto what they had (``facts`` then holds the nodes and moves of those lines alone),
    so a step costs the same at the end of a long call as at its start.
    """

    facts: CallFacts
    first: Mapping[str, Any] | None = None
    last: Mapping[str, Any] | None = None
    before: str = ""  # the input of the line before: a retry repeats it
    path_last: tuple[str, str] | None = None  # the node last entered, and its kind
    ends_here: bool = False  # finish(): the caller hung up at path_last

    def add(self, step: Mapping[str, Any]) -> None:
        """Count one more line (lines come in journey order)."""
        facts = self.facts
        if self.first is None:
            self.first = step
        self.last = step
        facts.steps += 1
        event, given = str(step.get("event") or ""), str(step.get("input") or "")
        outcome = str(step.get("outcome") or "")
        # A retry repeats the words of the line before it: one thing said, counted once.
        repeated = event in RETRY_EVENTS and given == self.before
        self.before = given
        if given and event in INPUT_EVENTS and not repeated:
            if all(c in KEY_CHARS for c in given):
                facts.keys += 1
            else:
                facts.spoken += 1
        if event == "lookup":
            if outcome.startswith("found"):
                facts.lookups_found += 1
                facts.looked_up = True
            elif outcome == "not_found":
                facts.lookups_not_found += 1
            elif outcome.startswith("failed"):
                facts.lookups_failed += 1
        elif event == "search" and outcome:
            if outcome.startswith("found"):
                facts.lookups_found += 1
                facts.looked_up = True
            elif outcome == "nothing":
                facts.lookups_not_found += 1
            elif outcome.startswith("failed"):
                facts.lookups_failed += 1
        elif event == "transfer":
            facts.transferred = True
        elif event == "dial" and outcome == CONNECTED:
            facts.transfer_answered = True
        elif event == "voicemail" and outcome.startswith("recorded"):
            facts.voicemail = True
        if str(step.get("kind") or "") == "callback":
            facts.callback = True
        for node, kind in path_of([step]):
            if self.path_last is not None and self.path_last[0] == node:
                continue  # a retry: the same node again, folded
            if self.path_last is not None:
                edge = (self.path_last[0], node)
                facts.edges[edge] = facts.edges.get(edge, 0) + 1
            facts.nodes.setdefault(node, NodeVisit(kind)).visits += 1
            facts.answered = facts.answered or kind in ANSWER_KINDS
            facts.callback = facts.callback or kind == "callback"
            self.path_last = (node, kind)

    def finish(self, call: Mapping[str, Any] | None = None) -> CallFacts:
        """The facts after the lines added, with the call's ``calls`` row, if any."""
        call = call or {}
        facts = self.facts
        first, last = self.first or {}, self.last or {}
        facts.menu = str(call.get("menu") or first.get("menu") or "")
        facts.started_at = call.get("started_at") or first.get("at")
        seconds = call.get("duration")
        if seconds is None and self.last is not None and isinstance(first.get("at"), datetime):
            seconds = int((last["at"] - first["at"]).total_seconds())
        facts.seconds = int(seconds) if seconds is not None else None
        facts.lang = str(last.get("lang") or first.get("lang") or "")
        if self.path_last is not None:
            facts.last_node, facts.last_kind = self.path_last
        elif self.last is not None:
            facts.last_node, facts.last_kind = str(last.get("node") or ""), str(last.get("kind") or "")
        facts.menu_ended = self.last is not None and _ended_by_menu(last)
        self.ends_here = (self.path_last is not None and not facts.menu_ended
                          and facts.last_kind != "hangup")
        if self.ends_here and facts.last_node in facts.nodes:
            facts.nodes[facts.last_node].ended_here = True
        return facts
