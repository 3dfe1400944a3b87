"""What a caller can ask for by voice: the menu's destinations, their names, and indexes.

A destination is *speakable* when it is a place a caller may want (a menu, an answer,
a lookup, a voicemail, a question, an opening-hours check) and the menu says how to
ask for it: an option of a menu or question leads there, or it has ``phrases`` or a
``label``. Nodes reached only by ``next``, ``open``/``closed``, ``no_answer`` or a
fallback (busy, closed, apologies) are plumbing: never matched, never offered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ivr.speech import Matcher, fold, make_index, matcher_in_use, normalize
from ivr.speech.normalize import stopwords

if TYPE_CHECKING:
    from ivr.menu.model import Menu
    from ivr.nodes.base import Node

DESTINATIONS = ("menu", "message", "hours", "voicemail", "lookup", "question", "search")
# Not "transfer": a spoken jump must not skip the opening-hours check in front of one
# (the target of the global key 0 is the exception: a request for a person goes there).
PERSON_KEY = "0"
ANSWER_TEXT = True  # a message's own text counts among what callers may say to get there
MAIN_LABEL = {"en": "the main menu", "fr": "le menu principal", "ro": "meniul principal"}
# Ways to ask for the main menu from anywhere but the main menu itself.
MAIN_WORDS = {
    "en": ("main menu", "the main menu", "start again", "start over", "back to the menu"),
    "fr": ("menu principal", "le menu principal", "retour au menu", "recommencer"),
    "ro": ("meniul principal", "meniu principal", "înapoi la meniu", "de la început"),
}
# What callers say when they ask for a person, added to where the 0 key goes.
PERSON_WORDS = {
    "en": ("talk to a person", "speak to someone", "speak to an agent", "a real person",
           "a human", "agent", "operator", "representative"),
    "fr": ("parler à un conseiller", "parler à quelqu'un", "un conseiller", "un humain",
           "une vraie personne", "un opérateur"),
    "ro": ("vorbesc cu un operator", "vorbesc cu cineva", "un operator", "cineva",
           "o persoană", "un om"),
}
GENERIC_LABEL = {"en": "this topic", "fr": "ce sujet", "ro": "acest subiect"}
# "press 1 or say orders", "tapez 1 ou dites commandes", "apăsați 1 sau spuneți comenzi".
_PRESS = r"(?:press|tapez|appuyez sur|appuyez|apăsați|apasati|apăsaţi)"
_OR_SAY = r"(?:or say|ou dites|sau spuneți|sau spuneţi|sau spuneti)"
_SAY_OR = r"(?:say|dites|spuneți|spuneţi|spuneti)"
_OR_PRESS = r"(?:or press|ou tapez|ou appuyez sur|sau apăsați|sau apasati)"
_PROMPT_WORDS = (
    re.compile(rf"\b{_PRESS}\s+([0-9*#])\s+{_OR_SAY}\s+[«\"“]?([^.,;:!?»\"”]+)", re.I),
    re.compile(rf"\b{_SAY_OR}\s+[«\"“]?([^.,;:!?»\"”]+?)[»\"”]?\s+{_OR_PRESS}\s+([0-9*#])", re.I),
)


def person_target(menu: Menu) -> str | None:
    """Where a request for a person goes: where the 0 key goes, if the menu has one."""
    target = menu.global_keys.get(PERSON_KEY)
    return target if target and (target in menu.nodes or target == "main") else None


def is_a_person(menu: Menu, target: str) -> bool:
    """Whether a destination puts the caller through to people: a transfer or a queue, or
    an opening-hours check whose open way leads to one ("the admissions office")."""
    for _ in range(4):  # an hours check in front of another is as far as menus go
        node = menu.nodes.get(target)
        if node is None:
            return False
        if node.kind in ("transfer", "queue"):
            return True
        if node.kind != "hours":
            return False
        target = getattr(node, "open", "")
    return False


def speakable(menu: Menu) -> frozenset[str]:
    """The nodes a caller may be sent to, or offered, by what they say."""
    key = ("speakable",)
    found = menu.cache.get(key)
    if found is None:
        names: set[str] = set()
        for node in menu.nodes.values():
            if node.kind in DESTINATIONS and (node.phrases or node.label):
                names.add(node.id)
            for target, _ in node.option_phrases(menu.default_language):
                if target in menu.nodes and menu.nodes[target].kind in DESTINATIONS:
                    names.add(target)
        person = person_target(menu)
        if person is not None and person in menu.nodes:
            names.add(person)
        found = frozenset(names)
        menu.cache[key] = found
    return found


def directory_entries(menu: Menu, lang: str) -> list[tuple[str, list[str]]]:
    """Every speakable destination with what callers might say to get there."""
    names = speakable(menu)
    phrases: dict[str, list[str]] = {}
    for node in menu.nodes.values():
        if node.id in names:
            phrases.setdefault(node.id, []).extend(node.own_phrases(lang))
            if node.own_label(lang):
                phrases[node.id].append(node.own_label(lang))
            if ANSWER_TEXT and node.kind == "message" and node.say:
                version = node.say.for_language(lang, menu.default_language)
                if version and version.text:
                    phrases[node.id].append(version.text)
        for target, words in node.option_phrases(lang):
            if target in names:
                phrases.setdefault(target, []).extend(words)
    person = person_target(menu)
    if person in names:
        phrases.setdefault(person, []).extend(
            [*PERSON_WORDS.get(lang, ()), *menu.speech.person.get(lang, ()),
             *menu.speech.person.get("*", ())])
    return [(target, _unique(words)) for target, words in phrases.items() if words]


# What a menu says about a destination besides its phrases (docs/menus.md, "Evidence"):
# weighed below the phrases, so what an operator wrote for callers to say still wins.
EVIDENCE_KINDS = ("answer", "description", "beneath", "announced")
# Longest text taken from one source (an answer read out is a few sentences at most).
MAX_EVIDENCE_CHARS = 600
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_KEY_MENTION = re.compile(rf"\b(?:{_PRESS}|dial|composez|formați|formati)\s+([0-9*#])\b", re.I)


def announced(menu: Menu, node: Node, lang: str) -> list[tuple[str, str]]:
    """(key, words) for every key the node's prompt announces: "For returns and refunds,
    press 2" gives ("2", "For returns and refunds")."""
    version = node.say.for_language(lang, menu.default_language) if node.say else None
    text = " ".join((version.text or "").split()) if version else ""
    found: list[tuple[str, str]] = []
    for sentence in _SENTENCE.split(text[:4000]):
        mentions = list(_KEY_MENTION.finditer(sentence))
        if len(mentions) == 1:
            m = mentions[0]
            found.append((m.group(1), sentence[:m.start()] + " " + sentence[m.end():]))
            continue
        # "For X, press 1, for Y, press 2" or "Press 1 for X, press 2 for Y".
        leads = bool(mentions) and not sentence[:mentions[0].start()].strip(" ,")
        for i, m in enumerate(mentions):
            if leads:
                end = mentions[i + 1].start() if i + 1 < len(mentions) else len(sentence)
                found.append((m.group(1), sentence[m.end():end]))
            else:
                start = mentions[i - 1].end() if i else 0
                found.append((m.group(1), sentence[start:m.start()]))
    cleaned = [(key, " ".join(_OR_SAY_TAIL.sub(" ", words).split()).strip(" ,;:."))
               for key, words in found]
    return [(key, words) for key, words in cleaned if words]


def sentences(text: str) -> list[str]:
    """An answer's sentences, each its own piece of evidence: "what street is the shop on"
    meets the sentence giving the address, not a whole answer about opening hours.
    Fragments of one word ("Thanks.") are left out; a text of one sentence stays whole."""
    parts = [p for p in _CLAUSE_END.split(" ".join(text.split())) if len(p.split()) >= 2]
    return parts or [text]


_CLAUSE_END = re.compile(r"(?<=[.!?;:])\s+")
_OR_SAY_TAIL = re.compile(rf"\b(?:{_OR_SAY})\b.*$", re.I)


def evidence_entries(menu: Menu, lang: str) -> list[tuple[str, list[str]]]:
    """Every speakable destination with what the menu says about it besides its phrases:
    its answer (what it says), its description (in the menu's default language), the
    labels of the options beneath it, and the prompt line that announces it."""
    names = speakable(menu)
    found: dict[str, list[str]] = {}
    for node in menu.nodes.values():
        if node.id in names:
            texts = found.setdefault(node.id, [])
            version = node.say.for_language(lang, menu.default_language) if node.say else None
            if version and version.text:
                texts += sentences(version.text[:MAX_EVIDENCE_CHARS])
            if node.description and lang == menu.default_language:
                texts += sentences(node.description[:MAX_EVIDENCE_CHARS])
            for target, _ in node.option_phrases(lang):
                if target in names and target != node.id:
                    texts.append(label(menu, target, lang))
        keys = dict(_option_keys(node))
        for key, words in announced(menu, node, lang):
            went = keys.get(key) or menu.global_keys.get(key)
            if went is not None and went in names:
                found.setdefault(went, []).append(words)
    return [(target, _unique(texts)) for target, texts in found.items() if _unique(texts)]


def evidence_index(menu: Menu, lang: str) -> Matcher | None:
    """One index per language over the menu's evidence (None when the menu says nothing)."""
    key = ("evidence-index", lang, matcher_in_use())
    if key not in menu.cache:
        entries = evidence_entries(menu, lang)
        menu.cache[key] = make_index(entries, lang) if entries else None
    index: Matcher | None = menu.cache[key]
    return index


def directory(menu: Menu, lang: str) -> Matcher:
    """The menu's searchable directory for ``lang`` alone (built once per menu version)."""
    key = ("directory", lang)
    index = menu.cache.get(key)
    if index is None:
        index = make_index(directory_entries(menu, lang), lang)
        menu.cache[key] = index
    return index


def _unique(words: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(w for w in words if w.strip()))


def label(menu: Menu, target: str, lang: str) -> str:
    """How a destination is named to the caller: its label, else its first phrase."""
    if target == "main":
        return MAIN_LABEL.get(lang, MAIN_LABEL["en"])
    node = menu.nodes.get(target)
    if node is not None:
        if text := node.own_label(lang):
            return text
        if own := node.own_phrases(lang):
            return own[0]
    for other in menu.nodes.values():
        for destination, words in other.option_phrases(lang):
            if destination == target and words:
                return words[0]
    return GENERIC_LABEL.get(lang, GENERIC_LABEL["en"])  # never a node id


def _content(text: str, lang: str) -> tuple[str, ...]:
    """Normalised words without function words: "an agent" and "agent" are the same."""
    stop = stopwords(lang)
    toks = normalize(text, lang)
    return tuple(t for t in toks if t not in stop) or tuple(toks)


def prompt_words(menu: Menu, node: Node, lang: str) -> dict[tuple[str, ...], str]:
    """The words this node's prompt tells the caller to say, and where each leads."""
    key = ("prompt-words", node.id, lang)
    found = menu.cache.get(key)
    if found is None:
        found = {}
        version = node.say.for_language(lang, menu.default_language) if node.say else None
        text = version.text if version and version.text else ""
        keys = {k: t for k, t in _option_keys(node)}
        for pattern in _PROMPT_WORDS:
            for match in pattern.finditer(" ".join(text.split())):
                digit, words = match.groups() if pattern is _PROMPT_WORDS[0] else \
                    match.groups()[::-1]
                target = keys.get(digit) or menu.global_keys.get(digit)
                said = _content(words.strip(), lang)
                if target and said:
                    found.setdefault(said, target)
        menu.cache[key] = found
    return found


def _option_keys(node: Node) -> list[tuple[str, str]]:
    options = getattr(node, "options", ())
    return [(o.key, o.go) for o in options if o.key and o.go]


def said_prompt_word(menu: Menu, node: Node, lang: str, utterance: str) -> str | None:
    """Where the prompt's own word leads, when the caller said just that word."""
    words = prompt_words(menu, node, lang)
    if not words:
        return None
    said = _content(utterance, lang)
    # "an agent" is the word; "où en est ma commande" is more than "commandes".
    if len(normalize(utterance, lang)) > len(said) + 1:
        return None
    return words.get(said)


def local_targets(node: Node, lang: str) -> frozenset[str]:
    """Where this node's own options lead (they get a bounded prior)."""
    return frozenset(target for target, _ in node.option_phrases(lang))


def menu_index(menu: Menu, lang: str) -> Matcher:
    """One index per language over every destination and every option's target.

    Shared by all the menu's nodes (a node only accepts the targets ``allowed`` there),
    so a menu of thousands of nodes still builds one index per language.
    """
    key = ("route-index", lang, matcher_in_use())
    index = menu.cache.get(key)
    if index is None:
        merged: dict[str, list[str]] = {}
        for target, words in directory_entries(menu, lang):
            merged.setdefault(target, []).extend(words)
        for node in menu.nodes.values():
            for target, words in node.option_phrases(lang):
                if words:
                    merged.setdefault(target, []).extend(words)
        merged.setdefault("main", []).extend(MAIN_WORDS.get(lang, ()))
        index = make_index([(t, _unique(w)) for t, w in merged.items() if w], lang)
        menu.cache[key] = index
    return index


def local_index(menu: Menu, node: Node, lang: str) -> Matcher:
    """This node's options alone (for menus that do not search everywhere: ``jump: false``)."""
    key = ("local-index", node.id, lang)
    index = menu.cache.get(key)
    if index is None:
        merged: dict[str, list[str]] = {}
        for target, words in node.option_phrases(lang):
            if words:
                merged.setdefault(target, []).extend(words)
        index = make_index([(t, _unique(w)) for t, w in merged.items()], lang)
        menu.cache[key] = index
    return index


def allowed(menu: Menu, node: Node, lang: str, target: str) -> bool:
    """Whether a spoken request at ``node`` may lead to ``target``: one of its options, a
    speakable destination, the main menu, or ending the call where the main menu offers it."""
    if target == node.id:
        return False
    if target in local_targets(node, lang) or target in speakable(menu):
        return True
    return node.id != menu.main and (target == "main" or target in _hangups(menu, lang))


def _hangups(menu: Menu, lang: str) -> frozenset[str]:
    key = ("hangups", lang)
    found = menu.cache.get(key)
    if found is None:
        found = frozenset(t for t, _ in _main_options(menu, lang)
                          if menu.nodes[t].kind == "hangup")
        menu.cache[key] = found
    return found


def _main_options(menu: Menu, lang: str) -> list[tuple[str, list[str]]]:
    main = menu.nodes.get(menu.main)
    if main is None:
        return []
    return [(t, w) for t, w in main.option_phrases(lang) if t in menu.nodes and w]


def offerable(menu: Menu, target: str) -> bool:
    """Whether a refinement may name ``target``: never a hang-up nor a plumbing node."""
    if target == "main":
        return True
    node = menu.nodes.get(target)
    return node is not None and node.kind != "hangup" and (
        target in speakable(menu) or node.kind not in DESTINATIONS)


def topics(menu: Menu) -> list[str]:
    """The main menu's topics, in its order: offered when a refinement found nothing."""
    main = menu.nodes.get(menu.main)
    if main is None:
        return []
    names = speakable(menu)
    found = [t for t, _ in main.option_phrases(menu.default_language)
             if t in names and menu.nodes[t].kind != "question"]
    if (person := person_target(menu)) in names and person not in found:
        found.append(person)
    return list(dict.fromkeys(found))[:6]


def plain_words(text: str) -> tuple[str, ...]:
    """Folded words only: "Retour." and "retour" are the same."""
    return tuple(re.findall(r"[\w']+", fold(text)))


def phrase_words(menu: Menu, lang: str) -> frozenset[tuple[str, ...]]:
    """Every phrase and label of the menu's destinations in ``lang``, as folded words."""
    key = ("phrase_words", lang)
    found = menu.cache.get(key)
    if found is None:
        found = frozenset(plain_words(p) for _, words in directory_entries(menu, lang)
                          for p in words)
        menu.cache[key] = found
    return found


def hangup_phrases(menu: Menu, lang: str) -> frozenset[tuple[str, ...]]:
    """The phrases of options that end the call, as folded words."""
    key = ("hangup_phrases", lang)
    found = menu.cache.get(key)
    if found is None:
        found = frozenset(plain_words(p) for node in menu.nodes.values()
                          for target, words in node.option_phrases(lang)
                          if target in menu.nodes and menu.nodes[target].kind == "hangup"
                          for p in words)
        menu.cache[key] = found
    return found


def distinct(menu: Menu, lang: str, targets: Sequence[str]) -> list[str]:
    """Targets best first, without one whose label reads the same as a better one's.

    A submenu and an option beneath it may both be offered: dropping either (the better
    placed stays) cost 3 to 9 points of callers resolved on the dev halves
    (docs/benchmarks.md), since callers name the submenu as often as the option."""
    kept: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for target in dict.fromkeys(targets):
        named = plain_words(label(menu, target, lang))
        if named not in seen:
            seen.add(named)
            kept.append(target)
    return kept


def warm(menu: Menu) -> None:
    """Build every routing index of a menu now (when it loads), not on a caller's step."""
    for lang in menu.languages:
        menu_index(menu, lang)
        evidence_index(menu, lang)
        _hangups(menu, lang)
        phrase_words(menu, lang)
        hangup_phrases(menu, lang)
        for node in menu.nodes.values():
            if node.kind in ("menu", "question"):
                if node.kind == "menu" and not menu.speech.jump:
                    local_index(menu, node, lang)
                prompt_words(menu, node, lang)
