"""``type: question`` — "Tell me in a few words what you need": search the whole menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Redirect, Turn
from ivr.menu.source import Fields
from ivr.nodes.menu import MenuNode, hints_for
from ivr.nodes.routing import directory_entries

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

MAX_HINTS = 500


@dataclass(frozen=True)
class QuestionNode(MenuNode):
    """The caller states their question; it is matched against every destination in the menu.

    Confident: go there. Unsure: offer the two or three best as a spoken mini-menu.
    Nothing plausible: say so and ask again (the prompt should offer the main menu
    or a person), then the fallback. Keys work too: ``options`` and global keys.
    """

    kind = "question"
    summary = "ask the caller to say what they need; search every answer in the menu"
    returnable = True
    listens = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read optional ``options`` (keys that work while the question is asked)."""
        value = fields.get("options")
        return {"options": ctx.options(value, where_of=fields.value) if value else ()}

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

    def searches_everywhere(self, call: Call) -> bool:
        """Always: that is what the question is for."""
        return True
