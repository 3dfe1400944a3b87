"""What every node kind shares: common fields, parsing hooks and default behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ivr.engine.types import Enter, Event, Turn
from ivr.menu.parts import Prompt
from ivr.menu.source import Fields, Where

if TYPE_CHECKING:
    from ivr.menu.parsing import ParseContext

# A node's methods take the engine's call (ivr.engine.core.Call), which each kind names.
# The base cannot: the call holds the menu, and the menu model holds the nodes.
Call = Any

COMMON_FIELDS = ("type", "say", "timeout", "tries", "fallback", "description", "phrases",
                 "label")


@dataclass(frozen=True)
class Node:
    """A place in the menu tree. Subclasses add their fields and behaviour."""

    id: str
    where: Where
    say: Prompt | None = None
    timeout: int | None = None  # seconds of silence before asking again
    tries: int | None = None  # failed attempts before the fallback
    fallback: str | None = None
    description: str = ""
    # What callers might say to get here from anywhere (the menu's searchable directory).
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # How the caller hears this destination named in refinements, per language ("*": any).
    label: Mapping[str, str] = field(default_factory=dict)

    kind: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    returnable: ClassVar[bool] = False  # "back" can return here
    listens: ClassVar[bool] = False  # waits for the caller's keys or speech
    ends_call: ClassVar[bool] = False  # can end the call by itself
    keeps_queued: ClassVar[bool] = False  # remembers when the caller joined a queue (callbacks)

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read this kind's own fields from ``fields`` (the common ones are done)."""
        return {}

    def targets(self) -> list[tuple[str, Where]]:
        """Every node (or special target) this node can send the caller to."""
        out = []
        if self.fallback:
            out.append((self.fallback, self.where))
        return out

    def prompts(self) -> list[tuple[str, Prompt]]:
        """Every prompt of this node with a label, for linting."""
        return [("say", self.say)] if self.say else []

    def phrase_sets(self) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
        """Spoken phrases per option (label, language -> phrases), for linting."""
        return []

    def own_phrases(self, lang: str) -> tuple[str, ...]:
        """This node's directory phrases in ``lang``."""
        return self.phrases.get(lang, ()) or self.phrases.get("*", ())

    def own_label(self, lang: str) -> str:
        """This node's spoken name in ``lang`` ("" when it has none)."""
        return self.label.get(lang) or self.label.get("*") or ""

    def option_phrases(self, lang: str) -> list[tuple[str, list[str]]]:
        """(destination, phrases in ``lang``) for each option that leads somewhere."""
        return []

    def keys(self) -> list[tuple[str, Where]]:
        """Keys this node's options use, for linting clashes with global keys."""
        return []

    def after_misses(self, menu_fallback: str | None) -> str | None:
        """Where the caller goes once the tries are used up (None: goodbye)."""
        return self.fallback or menu_fallback

    def timeout_for(self, call: Call) -> int:
        """This node's silence timeout, or the menu's default."""
        return self.timeout if self.timeout is not None else call.menu.defaults.timeout

    def tries_for(self, call: Call) -> int:
        """This node's number of tries, or the menu's default."""
        return self.tries if self.tries is not None else call.menu.defaults.tries

    def enter(self, call: Call) -> Turn:
        """The caller arrives here: what they hear and what we wait for."""
        raise NotImplementedError

    def handle(self, call: Call, event: Event) -> Turn:
        """An event for this node; by default, unexpected ones just re-enter it."""
        if not isinstance(event, Enter):
            call.log(type(event).__name__.lower(), outcome="ignored")
        turn: Turn = call.enter(self.id, [], tries=call.state.tries)
        return turn
