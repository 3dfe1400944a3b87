"""System phrases of a menu: the `messages` section, completed for every language.

A release may add phrases; a menu written before it must keep loading. So a phrase a
language lacks is borrowed (from the menu's first language, else English) with a
warning, and only for the phrases the menu's nodes can speak: no callback node, no
callback phrases asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ivr.engine.messages import (
    ACTION_MESSAGE_NAMES,
    BUILTIN,
    MESSAGE_NAMES,
    OPTIONAL_MESSAGES,
    QUEUE_MESSAGE_NAMES,
    TEXT_MESSAGE_NAMES,
)
from ivr.menu.source import Problem, Value

if TYPE_CHECKING:
    from ivr.menu.model import Language
    from ivr.nodes import Node


def parse_messages(value: Value | None,
                   languages: Mapping[str, Language]) -> dict[str, dict[str, str]]:
    """Built-in system phrases, overridden per language by ``messages``."""
    out = {code: dict(BUILTIN.get(code, {})) for code in languages}
    if value is not None:
        for key, item in value.pairs():
            code = str(key.node.value)
            if code not in languages:
                key.error(f"language {code!r} is not declared under 'languages'")
                continue
            fields = item.fields(f"messages for {code!r}")
            for name in (*MESSAGE_NAMES, *TEXT_MESSAGE_NAMES, *ACTION_MESSAGE_NAMES,
                         *OPTIONAL_MESSAGES, *QUEUE_MESSAGE_NAMES):  # queue: its node falls back
                if (v := fields.get(name)) is not None and (text := v.text("text")):
                    out[code][name] = text
            fields.done()
    return out


def _needed_messages(nodes: Mapping[str, Node]) -> set[str]:
    """The system phrases this menu's nodes can speak: a feature's only where it is used."""
    needed = {n for n in MESSAGE_NAMES if not n.startswith("callback_")}
    if any(node.kind == "callback" for node in nodes.values()):
        needed |= {n for n in MESSAGE_NAMES if n.startswith("callback_")}
    if any(getattr(node, "text_me", None) for node in nodes.values()):
        needed |= set(TEXT_MESSAGE_NAMES)
    if any(getattr(node, "action", "") for node in nodes.values()):
        needed |= set(ACTION_MESSAGE_NAMES)
    return needed


def complete_messages(nodes: Mapping[str, Node], messages: dict[str, dict[str, str]],
                       languages: Mapping[str, Language]) -> list[Problem]:
    """Fill the phrases a language lacks: from the menu's first language, else English.

    A menu that declared every phrase the docs asked for when it was written keeps
    loading when a release adds phrases: a missing one is spoken in the menu's first
    language (or, for the first language itself, in English), with a warning for the
    phrases its nodes can actually speak. Never an error: that would drop the line.
    """
    if not languages:
        return []
    first = next(iter(languages))
    needed = _needed_messages(nodes)
    every = (*MESSAGE_NAMES, *TEXT_MESSAGE_NAMES, *ACTION_MESSAGE_NAMES, *OPTIONAL_MESSAGES)
    notes: list[Problem] = []
    for code in languages:  # the first language first: the others borrow from it
        table = messages[code]
        for name, instead in OPTIONAL_MESSAGES.items():  # newer phrases: the older one says it
            if name not in table and instead in table:
                table[name] = table[instead]
        missing = [n for n in every if n not in table]
        for name in missing:
            borrowed = messages[first].get(name) if code != first else None
            table[name] = borrowed or BUILTIN["en"][name]
        spoken = [n for n in missing if n in needed]
        if spoken:
            instead = f"the {first!r} ones" if code != first else "the English ones"
            notes.append(Problem(languages[code].where, f"language {code!r} has no phrase for: "
                                 f"{', '.join(spoken)}; callers hear {instead} (add "
                                 f"messages: {{{code}: {{...}}}} to say them in {code!r})",
                                 "warning"))
    return notes
