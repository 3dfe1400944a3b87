"""``type: menu`` — ask a question; the caller presses a key or says an option."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Event, Input, Redirect, Silence, Turn
from ivr.menu.model import Option
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.routing import handle_pending, understand
from ivr.speech import make_index
from ivr.speech.spoken import SPOKEN_DIGITS, fold

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

_EXTRA_SPOKEN = {"o": "0", "oh": "0", "une": "1", "una": "1", "doua": "2", "star": "*",
                 "etoile": "*", "stea": "*", "pound": "#", "hash": "#", "diese": "#"}
MAX_HINTS = 500  # Twilio's limit on hint phrases
MAX_HINT_CHARS = 100


def spoken_key(speech: str, lang: str) -> str | None:
    """The key a caller named by voice ("one", "1.", "trois"), if that is all they said."""
    words = fold(speech).split()
    if len(words) != 1:
        return None
    word = words[0]
    if len(word) == 1 and (word.isdigit() or word in "*#"):
        return word
    table = SPOKEN_DIGITS.get(lang.split("-")[0], SPOKEN_DIGITS["en"]).split()
    if word in table:
        return str(table.index(word))
    return _EXTRA_SPOKEN.get(word)


def match_speech(call: Call, node_id: str, options: tuple[Option, ...], speech: str) -> Option | None:
    """The option a spoken answer confidently names (options indexed by position)."""
    lang = call.state.lang
    cache_key = ("option-index", node_id, lang)
    index = call.menu.cache.get(cache_key)
    if index is None:
        entries = [
            (str(i), option.phrases.get(lang, ()) or option.phrases.get("*", ()))
            for i, option in enumerate(options)
        ]
        index = make_index([e for e in entries if e[1]], lang)
        call.menu.cache[cache_key] = index
    decision = index.decide(speech)
    if decision.kind != "confident" or not decision.candidates:
        return None
    return options[int(decision.candidates[0].target)]


def hints_for(options: tuple[Option, ...], lang: str) -> tuple[str, ...]:
    """Gather hints from the options' phrases, within Twilio's limits."""
    seen: dict[str, None] = {}
    for option in options:
        for phrase in option.phrases.get(lang, ()) or option.phrases.get("*", ()):
            phrase = phrase.strip()
            if phrase and len(phrase) <= MAX_HINT_CHARS:
                seen.setdefault(phrase, None)
    return tuple(seen)[:MAX_HINTS]


def find_option(options: tuple[Option, ...], call: Call, event: Input) -> Option | None:
    """The option a key press or spoken answer chose."""
    key = event.digits or (spoken_key(event.speech, call.state.lang) if event.speech else None)
    if key:
        for option in options:
            if option.key == key:
                return option
        return None
    if event.speech:
        return match_speech(call, call.state.node, options, event.speech)
    return None


@dataclass(frozen=True)
class MenuNode(Node):
    """Ask a question; each option is a key and/or phrases leading to another node."""

    options: tuple[Option, ...] = field(default=())

    kind = "menu"
    summary = "a question with options chosen by key or by voice"
    returnable = True
    listens = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``options``."""
        value = fields.require("options", "a list of options with key/phrases and go")
        options = ctx.options(value, where_of=fields.value) if value else ()
        return {"options": options}

    def targets(self) -> list[tuple[str, Where]]:
        """The options' destinations and the fallback."""
        return [*super().targets(), *((o.go, o.where) for o in self.options)]

    def phrase_sets(self) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
        """Phrases per option."""
        return [(f"option {o.key or o.go}", dict(o.phrases)) for o in self.options]

    def keys(self) -> list[tuple[str, Where]]:
        """The options' keys."""
        return [(o.key, o.where) for o in self.options if o.key]

    def enter(self, call: Call) -> Turn:
        """Play the question inside a Gather; silence comes back as a Silence event."""
        gather = call.gather(
            call.hear(self.say),
            timeout=self.timeout_for(call),
            hints=hints_for(self.options, call.state.lang),
        )
        return call.turn([gather, Redirect(call.next("silence"))])

    def option_phrases(self, lang: str) -> list[tuple[str, list[str]]]:
        """Each option's destination and phrases in ``lang``."""
        return [(o.go, list(o.phrases.get(lang, ()) or o.phrases.get("*", ())))
                for o in self.options]

    def handle(self, call: Call, event: Event) -> Turn:
        """Follow the chosen option, a global key, a spoken request, or ask again."""
        tries = self.tries_for(call)
        if (turn := handle_pending(call, event, tries)) is not None:
            return turn
        if isinstance(event, Silence):
            return call.retry("silence", tries)
        if not isinstance(event, Input):
            return super().handle(call, event)
        key = event.digits or (spoken_key(event.speech, call.state.lang) if event.speech else None)
        if key:
            for option in self.options:
                if option.key == key:
                    call.log("choice", event.digits or event.speech, f"go:{option.go}")
                    return call.go(option.go)
            if (turn := call.global_key(key)) is not None:
                return turn
        if event.speech:
            return understand(call, event.speech, event.confidence, tries,
                              search_all=self.searches_everywhere(call))
        return call.retry("no_match", tries, input=event.digits)

    def searches_everywhere(self, call: Call) -> bool:
        """Whether an answer that fits none of the options may go anywhere in the menu."""
        return call.menu.speech.jump
