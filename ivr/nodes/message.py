"""``type: message`` — an answer: play it, then move on (by default back to the menu)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Done, Event, Input, Redirect, Silence, Turn
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.loader import ParseContext

AFTER_ANSWER_WAIT = 2  # seconds a caller has after the answer to press a global key


@dataclass(frozen=True)
class MessageNode(Node):
    """Speak or play an answer; global keys work while it plays (e.g. * to hear it again)."""

    next: str = "back"

    kind = "message"
    summary = "an answer or announcement, then on to `next` (default: back)"

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``next``."""
        value = fields.get("next")
        return {"next": ctx.target(value) if value else "back"}

    def targets(self) -> list[tuple[str, Where]]:
        """Where the caller goes after the answer."""
        return [*super().targets(), (self.next, self.where)]

    def enter(self, call: Call) -> Turn:
        """Play the answer inside a keys-only Gather so global keys still work."""
        gather = call.gather(
            call.hear(self.say),
            input="dtmf",
            timeout=AFTER_ANSWER_WAIT,
            hints=(),
        )
        return call.turn([gather, Redirect(call.next("done"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """After the answer (or any other key) go on to ``next``."""
        if isinstance(event, Input) and event.digits:
            turn = call.global_key(event.digits)
            if turn is not None:
                return turn
        if isinstance(event, Done | Silence | Input):
            call.log("done", outcome=f"go:{self.next}")
            return call.go(self.next)
        return super().handle(call, event)
