"""``type: language`` — the caller picks a language; the rest of the call uses it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr.engine.types import Event, Input, Redirect, Silence, Turn
from ivr.menu.model import Option
from ivr.menu.source import Fields, Where
from ivr.nodes.base import Node
from ivr.nodes.menu import find_option, hints_for, spoken_key

if TYPE_CHECKING:
    from ivr.engine.core import Call
    from ivr.menu.parsing import ParseContext


@dataclass(frozen=True)
class LanguageNode(Node):
    """Each language's version of ``say`` is spoken in that language's own voice."""

    options: tuple[Option, ...] = field(default=())
    next: str = "main"

    kind = "language"
    summary = "choose the caller's language (options with `language`), then `next`"
    listens = True

    @classmethod
    def parse_fields(cls, fields: Fields, ctx: ParseContext) -> dict[str, Any]:
        """Read ``options`` (each with a ``language``) and ``next``."""
        value = fields.require("options", "a list of options, each with key and language")
        options = ctx.options(value, where_of=fields.value, language_choice=True) if value else ()
        nxt = fields.get("next")
        return {"options": options, "next": ctx.target(nxt) if nxt else "main"}

    def targets(self) -> list[tuple[str, Where]]:
        """Where the call goes after the choice."""
        return [*super().targets(), (self.next, self.where)]

    def keys(self) -> list[tuple[str, Where]]:
        """The options' keys."""
        return [(o.key, o.where) for o in self.options if o.key]

    def phrase_sets(self) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
        """Phrases per language option."""
        return [(f"language {o.language}", dict(o.phrases)) for o in self.options]

    def after_misses(self, menu_fallback: str | None) -> str | None:
        """Its own fallback, else ``next`` in the default language (never the menu's fallback)."""
        return self.fallback or self.next

    def enter(self, call: Call) -> Turn:
        """Offer every language, each in its own voice."""
        prompts: list[Any] = []
        if self.say:
            for code in call.menu.languages:
                if code in self.say.versions:
                    prompts.extend(call.hear(self.say, code))
            if not prompts:
                prompts = list(call.hear(self.say))
        hints = dict.fromkeys(h for code in call.menu.languages for h in hints_for(self.options, code))
        gather = call.gather(prompts, timeout=self.timeout_for(call), hints=tuple(hints)[:500])
        return call.turn([gather, Redirect(call.next("silence"))])

    def handle(self, call: Call, event: Event) -> Turn:
        """Switch language on a choice; after the tries, carry on in the default language."""
        if isinstance(event, Input):
            option = self._choice(call, event)
            if option is not None and option.language:
                call.set_language(option.language)
                call.log("language", event.digits or event.speech, f"lang:{option.language}")
                return call.go(self.next)
            key = event.digits or next(
                (k for code in call.menu.languages if (k := spoken_key(event.speech, code))), None)
            if key and (turn := call.global_key(key)) is not None:
                return turn
        elif not isinstance(event, Silence):
            return super().handle(call, event)
        reason = "silence" if isinstance(event, Silence) else "no_match"
        tries = call.state.tries + 1
        if tries >= self.tries_for(call) and not self.fallback:
            call.log(reason, outcome=f"lang:{call.menu.default_language}:default")
            call.set_language(call.menu.default_language)
            return call.go(self.next)
        text = event.digits or event.speech if isinstance(event, Input) else ""
        return call.retry(reason, self.tries_for(call), input=text)

    def _choice(self, call: Call, event: Input) -> Option | None:
        """Match keys first, then phrases in any of the menu's languages."""
        option = find_option(self.options, call, event)
        if option is None and event.speech and not event.digits:
            # "trois" or "trei": a key named in any of the offered languages.
            for code in call.menu.languages:
                key = spoken_key(event.speech, code)
                option = next((o for o in self.options if key and o.key == key), None)
                if option is not None:
                    return option
        if option is None and event.speech and not event.digits:
            for code in call.menu.languages:
                for candidate in self.options:
                    words = {p.lower() for p in candidate.phrases.get(code, ())}
                    if event.speech.strip(" .!?").lower() in words:
                        return candidate
        return option

