"""``type: transfer`` — connect the caller to a person with <Dial>."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Dial, DialEnded, Event, Hangup, Turn
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

DIALABLE = re.compile(r"^(\+[1-9]\d{6,14}|client:[\w.-]+|sip:\S+)$")
CONNECTED = ("completed", "answered")


@dataclass(frozen=True)
class TransferNode(Node):
    """Dial a number; if nobody answers, go to ``no_answer`` (default: the fallback)."""

    number: str = ""
    ring: int = 30
    caller_id: str | None = None
    no_answer: str | None = None
    number_where: Where | None = None  # the line of ``number`` (``ivr check`` points at it)
    numbers: tuple[str, ...] = ()  # a ring group instead of one number
    strategy: str = "sequential"  # ring group: one after another, or all together

    kind = "transfer"
    summary = "dial a person; `no_answer` (or the fallback) when nobody picks up"
    ends_call = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``number``, ``ring``, ``caller_id`` and ``no_answer``."""
        out: dict[str, Any] = {}
        if (group := fields.get("numbers")) is not None:
            numbers = []
            for item in group.items():
                text = item.text("a phone number")
                if text is not None and not DIALABLE.match(text):
                    item.error(f"{text!r} is not a number Twilio can dial (E.164 like +15551234567)")
                elif text is not None:
                    numbers.append(text)
            if not 2 <= len(group.items()) <= 10:
                group.error("numbers is a list of 2 to 10 numbers (one number: use number)")
            if fields.get("number") is not None:
                group.error("give number or numbers, not both")
            out["numbers"] = tuple(numbers)
            out["number"] = numbers[0] if numbers else ""
            out["number_where"] = group.where
            if (v := fields.get("strategy")) is not None:
                strategy = v.text("sequential or simultaneous")
                if strategy not in ("sequential", "simultaneous"):
                    v.error(f"strategy is sequential or simultaneous, found {strategy!r}")
                else:
                    out["strategy"] = strategy
        else:
            number = fields.require("number",
                                    "an E.164 number like +15551234567, client:name or sip:")
            if number is not None:
                text = number.text("a phone number")
                if text is not None and not DIALABLE.match(text):
                    number.error(f"{text!r} is not a number Twilio can dial "
                                 "(E.164 like +15551234567)")
                out["number"] = text or ""
                out["number_where"] = number.where
        ring = fields.get("ring")
        if ring is not None:
            out["ring"] = ring.integer("ring (seconds)", 5, 600) or 30
        caller_id = fields.get("caller_id")
        if caller_id is not None:
            out["caller_id"] = caller_id.text("a caller ID number")
        no_answer = fields.get("no_answer")
        if no_answer is not None:
            out["no_answer"] = ctx.target(no_answer)
        return out

    def targets(self) -> list[tuple[str, Where]]:
        """Where the caller goes when nobody answers."""
        out = super().targets()
        if self.no_answer:
            out.append((self.no_answer, self.where))
        return out

    def enter(self, call: Call) -> Turn:
        """Announce and dial (a ring group: all its numbers, or the first of them)."""
        together = self.numbers if self.strategy == "simultaneous" else ()
        call.log("transfer", outcome="dial:" + ",".join(mask(n) for n in together or
                                                         (self.number,)))
        if self.numbers and not together:
            call.set_pending("ring:0")
        dial = Dial(self.number, self.ring, call.next("dial"), self.caller_id, together)
        return call.turn([*call.hear(self.say), dial])

    def handle(self, call: Call, event: Event) -> Turn:
        """After the transfer: end the call if it connected, else go on."""
        if not isinstance(event, DialEnded):
            return super().handle(call, event)
        if event.status in CONNECTED:
            call.log("dial", event.status, "hangup")
            return call.turn([Hangup()])
        rung = call.state.pending.removeprefix("ring:")
        if self.numbers and rung.isdigit() and int(rung) + 1 < len(self.numbers):
            following = int(rung) + 1  # nobody at this one: the next number of the group
            number = self.numbers[following]
            call.log("dial", event.status, f"dial:{mask(number)}")
            call.set_pending(f"ring:{following}")
            return call.turn([Dial(number, self.ring, call.next("dial"), self.caller_id)])
        sorry = call.message("transfer_failed")
        call.log("dial", event.status, f"go:{self.no_answer or 'fallback'}")
        if self.no_answer:
            return call.go(self.no_answer, [sorry])
        return call.fallback([sorry])


def mask(number: str) -> str:
    """Hide all but the last two digits of a phone number for logs."""
    if not number.startswith("+"):
        return number
    return number[:2] + "*" * max(0, len(number) - 4) + number[-2:]
