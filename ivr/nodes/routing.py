"""Understanding spoken requests: match, confirm, refine, or search the whole menu.

Shared by the node kinds that listen. A spoken answer is matched to the node's own
options first; if that is not confident it may match a destination anywhere in the
menu (the menu's directory). A confident match with low recognition confidence is
confirmed ("Did you mean returns?"); an unsure one is refined with a short spoken
mini-menu of the two or three best candidates. The pending question travels in the
call state (``pending``) like everything else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ivr.engine.messages import YES_NO
from ivr.engine.types import Input, Redirect, Silence, Turn
from ivr.speech import Decision, Matcher, Scored, fold, make_index

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.model import Menu

MAX_CANDIDATES = 3
# Kinds a caller can be sent to by what they say (not the plumbing ones).
DESTINATIONS = ("menu", "message", "hours", "voicemail", "lookup", "question")
# Not "transfer": a spoken jump must not skip the opening-hours check in front of one.


def directory_entries(menu: Menu, lang: str) -> list[tuple[str, list[str]]]:
    """Every destination in the menu with what callers might say to get there."""
    phrases: dict[str, list[str]] = {}
    for node in menu.nodes.values():
        if node.kind in DESTINATIONS:
            own = list(node.phrases.get(lang, ()) or node.phrases.get("*", ()))
            phrases.setdefault(node.id, []).extend(own)
            if node.kind == "message" and node.say:
                version = node.say.for_language(lang, menu.default_language)
                if version and version.text:
                    phrases[node.id].append(version.text)
        for target, words in node.option_phrases(lang):
            if target in menu.nodes and menu.nodes[target].kind in DESTINATIONS:
                phrases.setdefault(target, []).extend(words)
    return [(target, words) for target, words in phrases.items() if words]


def directory(menu: Menu, lang: str) -> Matcher:
    """The menu's searchable directory for ``lang`` (built once per menu version)."""
    key = ("directory", lang)
    index = menu.cache.get(key)
    if index is None:
        index = make_index(directory_entries(menu, lang), lang)
        menu.cache[key] = index
    return index


def label(menu: Menu, target: str, lang: str) -> str:
    """How to name a destination to the caller: its first phrase in their language."""
    if target == "main":
        return {"fr": "le menu principal", "ro": "meniul principal"}.get(lang, "the main menu")
    node = menu.nodes.get(target)
    if node is not None:
        own = node.phrases.get(lang) or node.phrases.get("*")
        if own:
            return own[0]
    for other in menu.nodes.values():
        for destination, words in other.option_phrases(lang):
            if destination == target and words:
                return words[0]
    return target.replace("_", " ").replace("-", " ")


def _scores(candidates: Sequence[Scored]) -> str:
    return ",".join(f"{c.target}={c.score:.2f}" for c in candidates)


def go_or_confirm(call: Call, target: str, score: float, confidence: float | None,
                  utterance: str, how: str) -> Turn:
    """Act on a confident match, unless speech recognition itself was unsure."""
    threshold = call.menu.speech.confirm_below
    if confidence is not None and confidence < threshold:
        call.log("speech", utterance, f"confirm:{target}:{score:.2f}:asr={confidence:.2f}")
        return ask_confirmation(call, target)
    call.log("speech", utterance, f"{how}:{target}:{score:.2f}")
    return call.go(target)


def ask_confirmation(call: Call, target: str) -> Turn:
    """"Did you mean ...?" — yes goes there, no asks the node's question again."""
    call.set_pending(f"confirm:{target}")
    text = call.menu.message("confirm", call.state.lang).format(
        label=label(call.menu, target, call.state.lang))
    gather = call.gather([call.speak_text(text)], timeout=5, hints=_yes_no_hints(call))
    return call.turn([gather, Redirect(call.next("silence"))])


def offer(call: Call, candidates: Sequence[Scored], utterance: str) -> Turn:
    """A spoken mini-menu of the best few candidates."""
    targets = [c.target for c in candidates[:MAX_CANDIDATES]]
    call.log("speech", utterance, f"refine:{_scores(candidates[:MAX_CANDIDATES])}")
    call.set_pending("refine:" + ",".join(targets))
    return ask_refinement(call, targets)


def ask_refinement(call: Call, targets: Sequence[str]) -> Turn:
    """Speak the mini-menu for ``targets`` and listen."""
    lang = call.state.lang
    menu = call.menu
    parts = [menu.message("refine_intro", lang)]
    parts += [menu.message("refine_option", lang).format(label=label(menu, t, lang), key=i + 1)
              for i, t in enumerate(targets)]
    parts.append(menu.message("refine_other", lang))
    hints = tuple(label(menu, t, lang) for t in targets)
    gather = call.gather([call.speak_text(" ".join(parts))], timeout=6, hints=hints)
    return call.turn([gather, Redirect(call.next("silence"))])


def _yes_no_hints(call: Call) -> tuple[str, ...]:
    yes, no = YES_NO.get(call.state.lang.split("-")[0], YES_NO["en"])
    return (*yes[:3], *no[:2])


def _plain(text: str) -> str:
    """Folded words only: "Yes." and "yes" compare equal."""
    return " ".join(re.findall(r"[\w']+", fold(text)))


def yes_or_no(text: str, lang: str) -> bool | None:
    """True for a yes, False for a no, None when it is neither."""
    said = _plain(text)
    yes, no = YES_NO.get(lang.split("-")[0], YES_NO["en"])
    if said in {_plain(w) for w in no}:
        return False
    if said in {_plain(w) for w in yes}:
        return True
    words = said.split()
    if any(_plain(w) in words for w in no if " " not in w):
        return False
    if any(_plain(w) in words for w in yes if " " not in w):
        return True
    return None


def handle_pending(call: Call, event: object, node_tries: int) -> Turn | None:
    """Answer a pending confirmation or refinement; None when nothing is pending."""
    pending = call.state.pending
    if not pending:
        return None
    kind, _, rest = pending.partition(":")
    targets = [t for t in rest.split(",") if t]
    call.clear_pending()
    gone = [t for t in targets if t not in call.menu.nodes and t not in ("main", "back")]
    if gone:  # the menu was reloaded since the question was asked
        return call.menu_changed(gone[0])
    if isinstance(event, Silence):
        return call.retry("silence", node_tries)
    if not isinstance(event, Input):
        return call.enter(call.state.node, [], tries=call.state.tries)
    said = event.speech
    if kind == "confirm" and targets:
        answer = ({"1": True, "2": False}.get(event.digits) if event.digits
                  else yes_or_no(said, call.state.lang))
        if answer is True:
            call.log("confirm", event.digits or said, f"yes:go:{targets[0]}")
            return call.go(targets[0])
        if answer is False:
            call.log("confirm", event.digits or said, "no")
            return call.retry("not_confirmed", node_tries)
    if kind == "refine" and targets:
        if event.digits and event.digits.isdigit() and 1 <= int(event.digits) <= len(targets):
            choice = targets[int(event.digits) - 1]
            call.log("refine", event.digits, f"go:{choice}")
            return call.go(choice)
        if said:
            picked = _pick_among(call, targets, said)
            if picked is not None:
                call.log("refine", said, f"go:{picked}")
                return call.go(picked)
    if event.digits and (turn := call.global_key(event.digits)) is not None:
        return turn
    # Anything else ("something else", an unknown key): ask the node's question again.
    return call.retry("no_match", node_tries, input=event.digits or said)


def _pick_among(call: Call, targets: Sequence[str], said: str) -> str | None:
    """Which of the offered targets a spoken answer names (by label or phrases)."""
    lang = call.state.lang
    entries = dict(directory_entries(call.menu, lang))
    index = make_index([(t, [label(call.menu, t, lang), *entries.get(t, [])]) for t in targets],
                        lang)
    decision = index.decide(said)
    if decision.kind == "confident" and decision.candidates:
        return decision.candidates[0].target
    return None


def understand(call: Call, local: Matcher | None, utterance: str,
               confidence: float | None, node_tries: int, *, search_all: bool) -> Turn:
    """Route a spoken request: the node's own options, then (if allowed) the whole menu."""
    local_decision = local.decide(utterance) if local is not None else Decision("none", ())
    if local_decision.kind == "confident":
        best = local_decision.candidates[0]
        return go_or_confirm(call, best.target, best.score, confidence, utterance, "match")
    wide = Decision("none", ())
    if search_all:
        wide = directory(call.menu, call.state.lang).decide(utterance)
        if wide.kind == "confident" and wide.candidates[0].target != call.state.node:
            best = wide.candidates[0]
            return go_or_confirm(call, best.target, best.score, confidence, utterance, "jump")
    for decision in (local_decision, wide):
        if decision.kind == "refine" and len(decision.candidates) >= 2:
            return offer(call, decision.candidates, utterance)
        if decision.kind == "refine" and decision.candidates:
            best = decision.candidates[0]
            call.log("speech", utterance, f"unsure:{best.target}:{best.score:.2f}")
            return ask_confirmation(call, best.target)
    call.log("speech", utterance, "nothing")
    return call.retry("nothing_found", node_tries, input=utterance)
