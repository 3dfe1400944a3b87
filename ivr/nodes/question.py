"""``type: question`` — "Tell me in a few words what you need": search the whole menu."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Event, Input, Redirect, Silence, Turn
from ivr.menu.model import Option
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import hints_for, spoken_key
from ivr.nodes.routing import directory, directory_entries, handle_pending, understand

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.loader import ParseContext

MAX_HINTS = 500


@dataclass(frozen=True)
class QuestionNode(Node):
    """The caller states their question; it is matched against every destination in the menu.

    Confident: go there. Unsure: offer the two or three best as a spoken mini-menu.
    Nothing plausible: say so and ask again (the prompt should offer the main menu
    or a person), then the fallback. Keys work too: ``options`` and global keys.
    """

    options: tuple[Option, ...] = field(default=())

    kind = "question"
    summary = "ask the caller to say what they need; search every answer in the menu"
    returnable = True
    listens = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read optional ``options`` (keys that work while the question is asked)."""
        value = fields.get("options")
        return {"options": ctx.options(value, where_of=fields.value) if value else ()}

    def targets(self) -> list[tuple[str, Where]]:
        """The options' destinations and the fallback."""
        return [*super().targets(), *((o.go, o.where) for o in self.options)]

    def keys(self) -> list[tuple[str, Where]]:
        """The options' keys."""
        return [(o.key, o.where) for o in self.options if o.key]

    def enter(self, call: Call) -> Turn:
        """Ask the question; hints come from the whole menu's phrases."""
        lang = call.state.lang
        hints: dict[str, None] = dict.fromkeys(hints_for(self.options, lang))
        for _, words in directory_entries(call.menu, lang):
            for word in words:
                if len(word) <= 100 and len(hints) < MAX_HINTS:
                    hints.setdefault(word, None)
        gather = call.gather(call.hear(self.say), timeout=self.timeout_for(call),
                             hints=tuple(hints))
        return call.turn([gather, Redirect(call.next("silence"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """Search the menu for what the caller said."""
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
                    call.log("choice", key, f"go:{option.go}")
                    return call.go(option.go)
            if (turn := call.global_key(key)) is not None:
                return turn
        if event.speech:
            directory(call.menu, call.state.lang)  # built once per menu version and language
            return understand(call, None, event.speech, event.confidence, tries, search_all=True)
        return call.retry("no_match", tries, input=event.digits)
