"""The caller's path in words: "said 'I'd like to speak to a human', sent to: talk to a person".

The journey is stored as the engine logs it (node, event, input, outcome codes such
as ``jump:person:0.65``, ``closed:go:closed``, ``lang:en``); agents read it here as
sentences, each node called by its description, its first phrase or the first phrase
of an option that leads to it, in the caller's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ivr.menu.model import Menu

LANGUAGES = {"en": "English", "fr": "French", "ro": "Romanian"}
TEXT_OUTCOMES = {"queued": "a text was queued to their mobile",
                 "already": "already texted in this call",
                 "withheld": "not texted: the number is withheld",
                 "not_mobile": "not texted: not a mobile",
                 "refused": "not texted: a number texts may not go to",
                 "capped": "not texted: the number had its texts for the day",
                 "unavailable": "not texted: texts are off or failing",
                 "opted_out": "not texted: the number asked for no more texts (STOP)",
                 "abroad": "not texted: a country texts may not go to",
                 "busy": "not texted: the line had sent its texts for the hour"}
SPEECH_HOWS = {"match": "understood as", "jump": "understood as"}
EVENTS = {
    "call": "The call came in",
    "enter": "Arrived",
    "done": "Heard the message",
    "silence": "Stayed silent",
    "no_match": "Not understood",
    "nothing_found": "Nothing found",
    "not_confirmed": "Said it was not that",
    "hours": "Checked the opening hours",
    "transfer": "Transferred",
    "dial": "The transfer ended",
    "voicemail": "Voicemail",
    "hangup": "The menu ended the call",
    "too_long": "The call went on too long",
    "fallback": "Gave up asking",
    "lookup": "Looked the number up",
    "lookup_entry": "Entered a number",
    "verify": "Checked the second factor",
    "text": "Asked for the answer by text",
    "callback": "Callback",
    "callback_number": "The number to call back",
}


@dataclass(frozen=True)
class StepView:
    """One line of the caller's path, for people."""

    at: Any
    where: str  # the node's name
    did: str  # what the caller did ("pressed 1", "said '...'"), or what happened
    then: str  # what followed ("sent to: talk to a person"), may be empty
    code: str  # the stored codes, for whoever needs them


def node_name(menu: Menu | None, node_id: str, lang: str) -> str:
    """A node as callers and agents know it: description, own phrase, an option's phrase."""
    if menu is None or node_id not in menu.nodes:
        return node_id.replace("_", " ") if node_id not in ("main", "back") else "main menu"
    node = menu.nodes[node_id]
    if node_id == menu.main:
        return "main menu"
    if node.description:
        return node.description
    codes = (lang, menu.default_language)
    for code in codes:
        if node.own_phrases(code):
            return node.own_phrases(code)[0]
    for other in menu.nodes.values():
        for option in getattr(other, "options", ()):
            if getattr(option, "go", None) == node_id:
                for code in codes:
                    label = option.label.get(code)
                    words = option.phrases.get(code) or option.phrases.get("*")
                    if label or words:
                        return str(label or words[0])
    return node_id.replace("_", " ")


def _language(menu: Menu | None, code: str) -> str:
    """A language's name in the menu ("English"), else its code."""
    if menu is not None and code in menu.languages and menu.languages[code].name:
        return menu.languages[code].name
    return LANGUAGES.get(code, code)


def describe(step: Mapping[str, Any], menu: Menu | None, lang: str) -> StepView:
    """One stored journey step in words."""
    node, event = str(step.get("node") or ""), str(step.get("event") or "")
    given, outcome = str(step.get("input") or ""), str(step.get("outcome") or "")
    did = _did(event, given)
    then = _then(outcome, menu, lang)
    code = " ".join(p for p in (event, given, outcome) if p)
    return StepView(step.get("at"), node_name(menu, node, lang), did, then, code)


def _did(event: str, given: str) -> str:
    """What the caller did: pressed keys, said words, or the event in words."""
    if given and event in ("choice", "key", "language", "confirm", "refine", "speech",
                           "no_match", "dial", "text"):
        if event == "text":
            how = "pressed " + given if all(c in "0123456789*#" for c in given) else \
                f"said \u2018{given}\u2019"
            return f"{EVENTS['text']} ({how})"
        if event == "dial":
            return f"The transfer ended: {given.replace('-', ' ')}"
        if all(c in "0123456789*#" for c in given):
            return f"Pressed {given}"
        return f"Said \u2018{given}\u2019"
    if given and event.startswith("lookup"):
        return f"{EVENTS.get(event, event)}: {given}"
    return EVENTS.get(event, event.replace("_", " ").capitalize())


def _then(outcome: str, menu: Menu | None, lang: str) -> str:
    """What followed, from the outcome code."""
    if not outcome or outcome in ("ignored",):
        return ""
    parts = outcome.split(":")
    head = parts[0]

    def to(target: str) -> str:
        return f"sent to: {node_name(menu, target, lang)}" if target else "the call ended"

    if head == "go":
        return to(parts[1] if len(parts) > 1 else "")
    if head == "global":
        return f"a key that works everywhere; {to(parts[1] if len(parts) > 1 else '')}"
    if head in ("open", "closed"):
        target = parts[2] if len(parts) > 2 else ""
        return f"{'open' if head == 'open' else 'closed'}, {to(target)}"
    if head == "lang":
        name = _language(menu, parts[1] if len(parts) > 1 else "")
        return f"carried on in {name}" if "default" in parts else f"chose {name}"
    if head == "menu":
        found = menu.name if menu is not None and menu.name else (parts[1] if len(parts) > 1 else "")
        return f"line: {found}"
    if head in SPEECH_HOWS and len(parts) > 1:
        return f"{SPEECH_HOWS[head]} {node_name(menu, parts[1], lang)}; {to(parts[1])}"
    if head == "confirm" and len(parts) > 1:
        return f"asked to confirm: {node_name(menu, parts[1], lang)}"
    if head == "unsure" and len(parts) > 1:
        return f"not sure it meant: {node_name(menu, parts[1], lang)}"
    if head == "refine":
        return "asked which one they meant"
    if head == "yes":
        return "confirmed" + (f", {to(parts[2])}" if len(parts) > 2 and parts[1] == "go" else "")
    if head == "no":
        return "said no; asked again"
    if head == "try" or outcome.startswith("try "):
        done, _, limit = outcome.removeprefix("try ").partition("/")
        return f"asked again (try {done} of {limit})"
    if head == "dial":
        return "ringing a person"
    if head == "recorded":
        seconds = parts[2].rstrip("s") if len(parts) > 2 else "?"
        return f"left a {seconds}-second message"
    if head == "hangup":
        return "the call ended"
    if head == "recording":
        return "recording after the beep"
    if head == "text" and len(parts) > 1:
        return TEXT_OUTCOMES.get(parts[1], parts[1].replace("_", " "))
    if head == "readback":
        return "read back to the caller" + (" (keyed)" if "keyed" in parts else " (caller ID)")
    if head == "requested":
        return "asked to be called back" + (", with a recorded reason" if "reason" in parts
                                            else "")
    if head in ("accepted", "declined"):
        return "accepted the callback" if head == "accepted" else "declined the callback"
    if head == "refused" and len(parts) > 1:
        return f"refused: {parts[1]}"
    if head == "found" and len(parts) > 2:
        return f"found; {to(parts[2])}"
    return outcome.replace("_", " ").replace(":", " ")
