"""A text conversation with a menu: a texter's words in, the text to send back out.

Pure: no Flask, Twilio or SQL. A question is understood as the phone understands a
spoken request (``answers.ask``); an answer is the text the phone speaks; a sub-menu,
a few candidates or "nothing found" become a short numbered list the texter replies to
with a number. "menu" (in any of the menu's languages) lists the main topics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ivr.engine.types import Step
from ivr.menu.model import Menu
from ivr.nodes.directory import menu_index
from ivr.online import answers
from ivr.online.conversations import Conversation
from ivr.online.words import MENU_WORDS, opening_line, words
from ivr.speech import fold

MAX_TEXT = 1600  # Twilio's limit on one message body
MAX_LISTED = 6
SURE_LANGUAGE = 0.3  # a best match under this says nothing of the language (noise)
# A line's country gives the language of a first text that its words cannot tell.
COUNTRY_LANG = {"FR": "fr", "BE": "fr", "CH": "fr", "CA": "en", "RO": "ro", "MD": "ro",
                "US": "en", "GB": "en", "IE": "en"}


@dataclass(frozen=True)
class Exchange:
    """What to text back, where the conversation is afterwards, and the journey lines."""

    text: str
    conversation: Conversation
    answered: str = ""  # the node answered ("" when a list or nothing was sent)
    steps: tuple[Step, ...] = ()


def detect_language(menu: Menu, text: str, country: str = "") -> str:
    """The menu language whose words fit ``text`` best; the country's, else the default's.

    Words, not meaning: each language's index is asked for its lexical score alone (a
    hybrid index's phrase index), so a first text does not run every language's sentence
    model (three models, tens of milliseconds) before the one that answers it.
    """
    scores: dict[str, float] = {}
    for lang in menu.languages:
        index = menu_index(menu, lang)
        ranked = getattr(index, "lexical", index).rank(text[:answers.MAX_QUESTION], limit=1)
        scores[lang] = ranked[0].score if ranked else 0.0
    best = max(scores.values(), default=0.0)
    leaders = [lang for lang, score in scores.items() if score == best]
    if best >= SURE_LANGUAGE and len(leaders) == 1:
        return leaders[0]
    by_country = COUNTRY_LANG.get(country.upper(), "")
    if by_country in menu.languages and (best < SURE_LANGUAGE or by_country in leaders):
        return by_country
    return menu.default_language


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", fold(text)))


def _numbered(menu: Menu, lang: str, intro: str, targets: list[str]) -> str:
    lines = [intro] + [f"{i}. {answers.name_of(menu, t, lang)}" for i, t in enumerate(targets, 1)]
    return "\n".join(lines)


def listing(menu: Menu, lang: str, targets: list[str], before: str = "") -> Exchange:
    """A numbered list to reply to (the main topics, a sub-menu, candidates)."""
    targets = targets[:MAX_LISTED]
    intro = " ".join(p for p in (before, words(lang)["sms_menu"]) if p)
    return Exchange(_numbered(menu, lang, intro, targets), Conversation(lang, tuple(targets)))


def main_listing(menu: Menu, lang: str, before: str = "") -> Exchange:
    """The main topics, numbered."""
    targets = [t.id for t in answers.outline(menu, lang)]
    if (person := answers.contact_target(menu)) is not None and person not in targets:
        targets.append(person)
    return listing(menu, lang, targets, before)


def answer(menu: Menu, lang: str, target: str, now: datetime,
           page_url: Callable[[str, str], str]) -> Exchange:
    """What a node answers by text: its words, its sub-topics, or how to reach us."""
    node = menu.nodes[target]
    found = answers.topic(menu, target, lang)
    table = words(lang)
    if found.text:
        text = found.text
        link = getattr(getattr(node, "text_me", None), "link", "")
        if link:
            text += f"\n{link}"
        return Exchange(_cut(text), Conversation(lang), answered=target)
    if found.children:
        targets = [c.id for c in found.children]
        exchange = listing(menu, lang, targets, before=f"{found.label}.")
        return Exchange(exchange.text, exchange.conversation, answered=target)
    parts = [f"{found.label}."]
    if node.kind in answers.CONTACT_KINDS:
        parts += [opening_line(o.open, o.until, o.opens, now, lang)
                  for o in answers.openings(menu, now)]
    else:  # a lookup or a search: the page does it with the visitor's own words
        parts.append(table["sms_more"].format(url=page_url(target, lang)))
    if menu.numbers:
        parts.append(table["sms_contact"].format(number=menu.numbers[0]))
    return Exchange(_cut("\n".join(parts)), Conversation(lang), answered=target)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def converse(menu: Menu, body: str, conversation: Conversation | None, now: datetime,
             page_url: Callable[[str, str], str], country: str = "") -> Exchange:
    """Answer one text: "menu", a number from the last list, or a question in words."""
    said = " ".join(body.split())[:answers.MAX_QUESTION]
    plain = _plain(said)
    lang = conversation.lang if conversation is not None and \
        conversation.lang in menu.languages else ""
    choices = conversation.choices if conversation is not None else ()
    if plain.isdigit() and choices:
        pick = int(plain)
        if 1 <= pick <= len(choices) and choices[pick - 1] in menu.nodes:
            found = answer(menu, lang or menu.default_language, choices[pick - 1], now, page_url)
            step = Step(menu.main, "text", said, f"choice:{choices[pick - 1]}", found.conversation.lang)
            return Exchange(found.text, found.conversation, found.answered, (step,))
    if not lang:
        lang = detect_language(menu, said if plain not in MENU_WORDS else "", country)
    if not plain or plain in MENU_WORDS or plain.isdigit():
        found = main_listing(menu, lang)
        return Exchange(found.text, found.conversation,
                        steps=(Step(menu.main, "text", said, "menu", lang),))
    reply = answers.ask(menu, lang, said, now)
    if reply.kind == "answer":
        found = answer(menu, lang, reply.target, now, page_url)
        return Exchange(found.text, found.conversation, found.answered, reply.steps)
    if reply.kind == "choices":
        found = listing(menu, lang, list(reply.candidates))
        return Exchange(found.text, found.conversation, steps=reply.steps)
    found = main_listing(menu, lang, before=words(lang)["sms_not_found"])
    return Exchange(found.text, found.conversation, steps=reply.steps)
