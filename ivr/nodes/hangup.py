"""``type: hangup`` — say goodbye and end the call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ivr.engine.types import Event, Hangup, Turn
from ivr.nodes.base import Node

if TYPE_CHECKING:
    from ivr.engine.core import Call


@dataclass(frozen=True)
class HangupNode(Node):
    """The end of a call: its own words, or the menu's goodbye."""

    kind = "hangup"
    summary = "say goodbye (its `say`, or the built-in goodbye) and end the call"
    ends_call = True

    def enter(self, call: Call) -> Turn:
        """Speak the goodbye and hang up."""
        call.log("hangup")
        words = call.hear(self.say) or [call.message("goodbye")]
        return call.turn([*words, Hangup()])

    def handle(self, call: Call, event: Event) -> Turn:
        """Nothing is expected after a hangup; end again."""
        return self.enter(call)
