"""Where a wording callers said should lead: the learning loop of the *Not understood* page.

The suggestions are first where callers who said it chose to go when offered a few, then
the ranking of the matcher calls use (the menu's own routing index, ranked at the node
where the wording was said, with that node's prior), kept to the destinations a
phrase can be added to: the places a caller may ask for by voice (``speakable``), never a
hang-up, a callback offer or a voicemail (steps a topic leads to), nor the plumbing other
nodes lead to (a closed message, a transfer reached when the desk is open). Each is named
by its label, as callers hear it.

``lands`` says where the engine now sends a caller who says the wording at that node, so
a draft built from accepted suggestions can be checked before anyone publishes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ivr.engine import core
from ivr.engine.types import CallState, Enter, Input
from ivr.menu.model import Menu
from ivr.nodes.directory import distinct, label, speakable
from ivr.nodes.routing import rank

MAX_SUGGESTIONS = 3
MAX_WORDING = 500  # characters of a wording ranked (what a spoken step reads)
MEMO = 5_000  # rankings kept per menu version
# How a journey line names a confident decision: where the caller went straight.
_WENT = ("match", "jump", "prompt", "person", "confirm")


# Steps a flow leads to (a callback offer, a voicemail, the end): what a caller says to
# reach them belongs to the topic (a person, opening hours) that offers them.
FLOW_STEPS = ("language", "callback", "voicemail", "hangup")


def destinations(menu: Menu, lang: str) -> list[tuple[str, str]]:
    """(node, label) of every place a wording can become a phrase of, by label."""
    key = ("learn-destinations", lang)
    found: list[tuple[str, str]] | None = menu.cache.get(key)
    if found is None:
        found = sorted(((t, label(menu, t, lang)) for t in speakable(menu)
                        if t in menu.nodes and menu.nodes[t].kind not in FLOW_STEPS),
                       key=lambda item: (item[1].lower(), item[0]))
        menu.cache[key] = found
    return found


def place_name(menu: Menu, node_id: str, lang: str) -> str:
    """How the page names the node where something was said (a label, never plumbing ids
    when the menu names the node some way)."""
    node = menu.nodes.get(node_id)
    if node is None:
        return node_id
    if node_id == menu.main:
        return node.own_label(lang) or "main menu"
    if node.own_label(lang) or node.own_phrases(lang):
        return label(menu, node_id, lang)
    if node.description:
        return node.description
    named = label(menu, node_id, lang)
    return named if named != label(menu, "", lang) else node_id


def _state(menu: Menu, node_id: str, lang: str) -> CallState:
    node = node_id if node_id in menu.nodes else menu.main
    lang = lang if lang in menu.languages else menu.default_language
    return CallState(menu=menu.id, node=node, lang=lang, path=(menu.main, node),
                     version=menu.version)


def suggest(menu: Menu, node_id: str, lang: str, wording: str,
            recorded: Iterable[str] = (), limit: int = MAX_SUGGESTIONS,
            chosen: Iterable[str] = ()) -> list[str]:
    """The likeliest destinations of ``wording`` said at ``node_id``, best first.

    First where callers who said it chose to go when offered a few (``chosen``, the most
    chosen first: their own answer); then ranked now, by the menu as it is; then the
    candidates the journey recorded when it was said, if they still exist.
    """
    state = _state(menu, node_id, lang)
    places = {t for t, _ in destinations(menu, state.lang)}
    memo: dict[tuple[str, str, str], list[str]] = menu.cache.setdefault("learn-ranked", {})
    key = (state.node, state.lang, wording[:MAX_WORDING])
    ranked = memo.get(key)
    if ranked is None:  # the page is opened again and again: rank each wording once a version
        call = core.Call(menu, state, datetime.now(UTC))
        ranked = [c.target for c in rank(call, wording[:MAX_WORDING], search_all=True)
                  if c.target in places]
        if len(memo) < MEMO:
            memo[key] = ranked
    return distinct(menu, state.lang, [*(t for t in chosen if t in places), *ranked,
                                       *(t for t in recorded if t in places)])[:limit]


def lands(menu: Menu, node_id: str, lang: str, wording: str,
          now: datetime | None = None) -> str | None:
    """Where a caller saying ``wording`` at ``node_id`` goes straight (None: nowhere yet,
    a refinement, a confirmation of an unsure match or nothing found)."""
    when = now or datetime.now(UTC)
    state = _state(menu, node_id, lang)
    entered = core.step(menu, replace(state), Enter(), when)
    if entered.state is None:
        return None
    turn = core.step(menu, entered.state, Input(speech=wording[:MAX_WORDING], confidence=0.9), when)
    for step in turn.steps:
        head, _, rest = step.outcome.partition(":")
        if step.event == "speech" and head in _WENT:
            return rest.split(":", 1)[0].split(" ", 1)[0]
    return None


def accepted(suggested: Sequence[str], chosen: str) -> str:
    """How an admin's choice relates to the suggestions: "top", "other" (one of the rest)
    or "chosen" (from the whole list)."""
    if suggested and suggested[0] == chosen:
        return "top"
    return "other" if chosen in suggested else "chosen"
