"""``type: queue`` — wait for the next free agent (Twilio's <Enqueue>).

The caller joins a named queue. While they wait, Twilio asks the wait URL what to
play: their position and an estimated wait in their language, then a message of the
node's or its music, all inside a one-key <Gather> so the leave key works at any
moment (it answers <Leave>, and the <Enqueue> action sends them to ``leave``: a
callback request or a voicemail). Too long a wait, too long a queue, or nobody
available sends the caller to the fallback. The engine keeps no data: the adapter
answers who is available (a ``Queues`` port) and remembers why a caller left.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ivr.engine.types import (
    Action,
    Enqueue,
    Event,
    Gather,
    Hangup,
    Input,
    Leave,
    Next,
    Pause,
    Play,
    QueueEnded,
    QueueWait,
    Redirect,
    Speak,
    Turn,
)
from ivr.menu.model import Prompt
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.transfer import DIALABLE

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext

QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
STRATEGIES = ("sequential", "simultaneous")
WAITING = re.compile(r"^queue:(\d{1,4})$")  # the pending of a waiting caller: wait rounds heard
MAX_AGENTS = 20
# Twilio's QueueResult values (the <Enqueue> action).
ANSWERED = ("bridged", "bridging-in-process", "redirected")
FAILED = ("queue-full", "error", "system-error")


def queue_name(menu: str, node: str, named: str = "") -> str:
    """The Twilio queue a node's callers wait in: its own name, or menu-node (64 at most)."""
    return named or f"{menu}-{node}"[:64]


@dataclass(frozen=True)
class QueueNode(Node):
    """Put the caller in a queue for the next free agent."""

    queue: str = ""  # Twilio's queue name ("" = menu-node)
    agents: tuple[str, ...] = ()  # the agents' phones, rung when a caller waits
    strategy: str = "sequential"  # ring them in turn, or all together
    ring: int = 20  # seconds each agent's phone rings
    caller_id: str | None = None  # the number agents see when rung
    max_wait: int = 600  # seconds before the caller goes to the fallback
    max_size: int = 10  # callers waiting at once; more go to the fallback
    handle_time: int = 180  # seconds an agent takes per caller, for the estimated wait
    leave: str | None = None  # where the leave key goes (a callback or a voicemail)
    leave_key: str = "1"
    music: str = ""  # a recording under prompts/ played between announcements
    messages: tuple[Prompt, ...] = ()  # said in turn between announcements
    gap: int = 5  # seconds of silence (listening for the key) at the end of each round

    kind = "queue"
    keeps_queued = True
    summary = "wait in a queue for the next free agent; position, wait, a key to leave"
    ends_call = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read the queue's name, agents, limits, leave key and what callers hear."""
        out: dict[str, Any] = {}
        if (v := fields.get("queue")) is not None:
            name = v.text("a queue name")
            if name is not None and not QUEUE_NAME.match(name):
                v.error(f"a queue name is 1 to 64 letters, digits, '.', '_' or '-', found {name!r}")
            elif name is not None:
                out["queue"] = name
        agents = fields.require("agents", "a list of the agents' numbers (E.164, client: or sip:)")
        if agents is not None:
            numbers = []
            for item in agents.items():
                text = item.text("a phone number")
                if text is None:
                    continue
                if not DIALABLE.match(text):
                    item.error(f"{text!r} is not a number Twilio can dial "
                               "(E.164 like +15551234567)")
                elif text in numbers:
                    item.error(f"agent {text!r} is listed twice")
                else:
                    numbers.append(text)
            if not numbers and not agents.items():
                agents.error("a queue needs at least one agent")
            if len(numbers) > MAX_AGENTS:
                agents.error(f"at most {MAX_AGENTS} agents per queue, found {len(numbers)}")
            out["agents"] = tuple(numbers[:MAX_AGENTS])
        if (v := fields.get("strategy")) is not None:
            strategy = v.text("sequential or simultaneous")
            if strategy is not None and strategy not in STRATEGIES:
                v.error(f"strategy is sequential or simultaneous, found {strategy!r}")
            elif strategy is not None:
                out["strategy"] = strategy
        for name, what, low, high in (("ring", "ring (seconds)", 5, 120),
                                      ("max_wait", "max_wait (seconds)", 30, 3600),
                                      ("max_size", "max_size (callers)", 1, 1000),
                                      ("handle_time", "handle_time (seconds)", 10, 3600),
                                      ("gap", "gap (seconds)", 1, 30)):
            if (v := fields.get(name)) is not None and (n := v.integer(what, low, high)) is not None:
                out[name] = n
        if (v := fields.get("caller_id")) is not None:
            out["caller_id"] = v.text("a caller ID number")
        if (v := fields.get("leave")) is not None:
            out["leave"] = ctx.target(v)
        if (v := fields.get("leave_key")) is not None:
            key = v.text("a key (0-9, * or #, in quotes)")
            if key is not None and (len(key) != 1 or key not in "0123456789*#"):
                v.error(f"leave_key is one key: 0-9, * or # (in quotes), found {key!r}")
            elif key is not None:
                out["leave_key"] = key
        if (v := fields.get("music")) is not None:
            music = v.text("a recording under prompts/ (e.g. shop/hold.wav)")
            if music is not None and (music.startswith("/") or ".." in music.split("/")):
                v.error(f"music is a path inside prompts/, found {music!r}")
            elif music is not None:
                out["music"] = music
        if (v := fields.get("messages")) is not None:
            prompts = [ctx.prompt(item) for item in v.items()]
            out["messages"] = tuple(p for p in prompts if p is not None)
        return out

    def targets(self) -> list[tuple[str, Where]]:
        """Where the leave key goes, if anywhere."""
        out = super().targets()
        if self.leave:
            out.append((self.leave, self.where))
        return out

    def prompts(self) -> list[tuple[str, Prompt]]:
        """The welcome and the messages between announcements."""
        return [*super().prompts(),
                *((f"messages[{i}]", p) for i, p in enumerate(self.messages))]

    def name_in(self, menu: str) -> str:
        """This node's Twilio queue name in ``menu``."""
        return queue_name(menu, self.id, self.queue)

    # ---- joining ------------------------------------------------------------------------

    def enter(self, call: Call) -> Turn:
        """Join the queue, unless nobody is available or it is full."""
        name = self.name_in(call.menu.id)
        if call.queues is not None:
            if call.queues.agents_available(call.menu.id, self.id, self.agents) <= 0:
                call.log("queue", outcome="no_agent")
                return call.fallback([phrase(call, "queue_full")])
            if call.queues.waiting(name) >= self.max_size:
                call.log("queue", outcome="full")
                return call.fallback([phrase(call, "queue_full")])
        # Whatever comes after the queue (a callback, the fallback) starts afresh: "back"
        # leads to the main menu, and the queue's URLs are the same for every way in.
        call.state = replace(call.state, queued=int(call.now.timestamp()), pending="", path=())
        call.log("queue", outcome=f"enqueue:{name}")
        waiting = replace(call.state, pending="queue:0")
        return call.turn([*call.hear(self.say),
                          Enqueue(name, call.next("queue"), Next(waiting, "wait"))])

    # ---- waiting ------------------------------------------------------------------------

    def wait(self, call: Call, info: QueueWait) -> Turn:
        """What the caller hears while waiting (one round), or a <Leave> past a limit."""
        if info.waited >= self.max_wait:
            return self._leave(call, "max_wait", info)
        if info.agents is not None and info.agents <= 0:
            return self._leave(call, "no_agent", info)
        if info.position > self.max_size:
            return self._leave(call, "full", info)
        spoken: list[Speak | Play | Pause] = [self._position(call, info), self._estimate(call, info)]
        if self.leave:
            spoken.append(phrase(call, "queue_leave", key=self.leave_key))
        spoken.extend(self._between(call, info.round))
        # Rounds count only as far as the messages go round: the wait URL repeats.
        rounds = replace(call.state, pending=f"queue:{(info.round + 1) % max(1, len(self.messages))}")
        listen = Gather(prompts=tuple(spoken), then=Next(call.state, "key"), input="dtmf",
                        timeout=self.gap, num_digits=1, locale=call.language.locale)
        return call.turn([listen, Redirect(Next(rounds, "wait"))])

    def _leave(self, call: Call, reason: str, info: QueueWait) -> Turn:
        call.log("queue_wait", str(info.waited), f"leave:{reason}")
        return call.turn([Leave(reason)])

    def _position(self, call: Call, info: QueueWait) -> Speak:
        if info.position <= 1:
            return phrase(call, "queue_next")
        return phrase(call, "queue_position", position=str(info.position))

    def _estimate(self, call: Call, info: QueueWait) -> Speak:
        """(position - 1/2) x handle time / agents available, in minutes (rounded up): the
        caller first in line waits, on average, half a call for one of the agents to free."""
        agents = info.agents if info.agents and info.agents > 0 else 1
        seconds = (max(1, info.position) - 0.5) * self.handle_time / agents
        minutes = math.ceil(seconds / 60)
        if seconds < 60:
            return phrase(call, "queue_wait_short")
        if minutes == 1:
            return phrase(call, "queue_wait_one")
        return phrase(call, "queue_wait", minutes=str(minutes))

    def _between(self, call: Call, round_: int) -> list[Speak | Play | Pause]:
        if self.messages:
            heard = call.hear(self.messages[round_ % len(self.messages)])
            if heard:
                return list(heard)
        if self.music and call.audio_available(self.music):
            return [Play(self.music)]
        return [Pause(1)]

    # ---- the key, and the end of the wait ---------------------------------------------

    def handle(self, call: Call, event: Event) -> Turn:
        """The leave key while waiting, or how the wait ended."""
        if isinstance(event, Input) and WAITING.match(call.state.pending):
            if self.leave and event.digits[:1] == self.leave_key:
                call.log("queue_key", event.digits[:1], f"leave:{self.leave}")
                return call.turn([Leave("key")])
            call.log("queue_key", event.digits[:8], "ignored")
            return call.turn([Redirect(Next(call.state, "wait"))])
        if not isinstance(event, QueueEnded):
            return super().handle(call, event)
        call.clear_pending()
        result = event.result
        if result in ANSWERED:
            call.log("queue_end", result, f"answered:{event.waited}s")
            return call.turn([Hangup()])
        if result == "hangup":
            call.log("queue_end", result, f"abandoned:{event.waited}s")
            return call.turn([Hangup()])
        reason = event.reason
        if result == "leave" and not reason:  # not noted (the database was down): guess
            reason = "max_wait" if event.waited >= self.max_wait else "key"
        if result == "leave" and reason == "key" and self.leave:
            call.log("queue_end", result, f"go:{self.leave}:{event.waited}s")
            return call.go(self.leave)
        outcome = reason or result
        call.log("queue_end", result, f"{outcome}:{event.waited}s")
        sorry: Action = phrase(call, "queue_full") if outcome in ("full", "queue-full") \
            else call.message("transfer_failed")
        return call.fallback([sorry])


def phrase(call: Call, name: str, **values: str) -> Speak:
    """A queue phrase in the caller's language; in the menu's first language when the
    caller's has none (a language an admin added without them: `ivr check` warns)."""
    table = call.menu.messages.get(call.state.lang, {})
    lang = call.state.lang
    if name not in table:
        lang = next(iter(call.menu.languages))
        table = call.menu.messages.get(lang, {})
    text = table.get(name, "")
    return call.speak_text(text.format(**values) if values else text, lang)
