"""Ringing agents' phones while callers wait (a ring group), through Twilio's REST API.

The webhooks never call the REST API themselves: they add a row to the outbox
(``ring_later``, channel ``ring``) and the worker (`ivr worker`, or its thread in
development) places the calls a moment later (``install`` registers the channel), so
the caller's <Enqueue> is answered at once whatever Twilio's API takes.

When a caller joins a queue, and whenever an agent's call ends, the queue's free and
available agents are rung with ``calls.create``: one after another (``sequential``:
as many as there are callers waiting and not yet being answered, each next one in the
node's order after the last who did not answer) or all together (``simultaneous``).
The agent who answers hears which line and the path of the caller who waited longest,
then takes them with ``<Dial><Queue>``. An unanswered ring frees the agent and rings
the next one.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from ivr.notify import Channel, enqueue
from ivr.queues.store import QueueStore

log = logging.getLogger(__name__)

EVENTS = ["answered", "completed"]  # the agent's call status callbacks asked for
CHANNEL = "ring"  # the outbox channel the worker rings agents from
RETRIES = 3  # a ring that cannot even be tried (the database, say) is tried again, then dropped


def ring_later(engine: Engine, menu_id: str, node_id: str, base: str, after: str,
               now: datetime) -> None:
    """Ask the worker to ring ``menu_id``/``node_id``'s agents (due at once)."""
    enqueue(engine, f"{CHANNEL}:{menu_id}:{node_id}:{secrets.token_hex(8)}", CHANNEL,
            {"menu": menu_id, "node": node_id, "base": base, "after": after}, now,
            delay=timedelta(0))


def install(services: Any) -> None:
    """Let the outbox's worker ring agents (the rows ``ring_later`` adds)."""

    def deliver(payload: Mapping[str, Any]) -> None:
        menu = services.catalog.get(str(payload.get("menu") or ""))
        node = menu.nodes.get(str(payload.get("node") or "")) if menu is not None else None
        if node is None or node.kind != "queue":
            return  # the menu changed since: nobody to ring for it
        services.ringer.ring(menu, node, str(payload.get("base") or ""),
                             str(payload.get("after") or ""))

    services.sender.register(CHANNEL, Channel(deliver=deliver, max_attempts=RETRIES,
                                              first_retry=5))


class Ringer:
    """Places the calls that ring agents."""

    def __init__(self, store: QueueStore, client_factory: Callable[[], Any] | None,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.client_factory = client_factory
        self.clock = clock

    def ring(self, menu: Any, node: Any, base: str, after: str = "") -> list[str]:
        """Ring the agents a waiting caller needs; the numbers rung."""
        queue = node.name_in(menu.id)
        waiting = self.store.waiting(queue)
        if waiting <= 0 or self.client_factory is None:
            return []
        order = rotate(list(node.agents), after)
        needed = waiting - self.store.ringing_count(queue)
        if node.strategy == "sequential" and needed <= 0:
            return []
        stale = timedelta(seconds=node.ring + 60)  # a ring never reported on frees the agent
        params = urlencode({"m": menu.id, "n": node.id})
        rung: list[str] = []
        for number in order:
            if node.strategy == "sequential" and len(rung) >= needed:
                break
            if not self.store.claim_agent(number, queue, self.clock(), stale):
                continue
            try:
                call = self.client_factory().calls.create(
                    to=number, from_=node.caller_id or (menu.numbers[0] if menu.numbers else None),
                    url=f"{base}/voice/queue/agent?{params}", method="POST",
                    status_callback=f"{base}/voice/queue/agent-status?{params}",
                    status_callback_method="POST", status_callback_event=EVENTS,
                    timeout=node.ring)
            except Exception as exc:  # noqa: BLE001 - the next agent may still be reached
                log.warning("could not ring agent %s for queue %s: %s", number[-4:], queue,
                            type(exc).__name__)
                self.store.release(number)
                continue
            self.store.rung(number, str(call.sid))
            rung.append(number)
        return rung


def rotate(numbers: list[str], after: str) -> list[str]:
    """The agents in order, starting with the one after ``after`` (who did not answer)."""
    if after not in numbers:
        return numbers
    index = numbers.index(after) + 1
    return numbers[index:] + numbers[:index]


def whisper(menu: Any, caller: dict[str, Any], path: Sequence[str], now: datetime) -> str:
    """What the agent hears before taking the caller: the line, language, wait and path."""
    first = next(iter(menu.languages))
    language = menu.languages.get(caller.get("lang") or "", None)
    joined = caller["joined_at"]
    minutes = max(0, int((now - joined).total_seconds() // 60)) if joined.tzinfo else 0
    names = []
    for node_id in path:
        node = menu.nodes.get(node_id)
        if node is None or node.kind in ("language", "hours"):
            continue
        name = node.own_label(first) or node_id.replace("_", " ")
        if name not in names:
            names.append(name)
    said = f"{menu.name or menu.id}. A caller"
    if language is not None and language.name:
        said += f" in {language.name}"
    said += f", waiting {minutes} minute{'s' if minutes != 1 else ''}"
    if names:
        said += ", came through: " + ", ".join(names[-6:])
    return said + "."
