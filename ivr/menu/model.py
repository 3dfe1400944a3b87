"""The menu as the engine sees it: frozen values built by the loader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr.menu.parts import Option as Option
from ivr.menu.parts import Prompt as Prompt
from ivr.menu.parts import Spoken as Spoken
from ivr.menu.source import Problem, Where

if TYPE_CHECKING:
    from ivr.engine.hours import Schedule
    from ivr.lookup.actions import ActionConfig
    from ivr.lookup.config import SourceConfig
    from ivr.nodes.base import Node

# Targets that are not node ids: where "go" can point besides a node.
SPECIAL_TARGETS = ("repeat", "back", "main")


@dataclass(frozen=True)
class Language:
    """A language callers can use: how Twilio speaks and hears it."""

    code: str  # short code used in the file: en, fr, ro
    locale: str  # BCP-47 for Twilio: en-US, fr-FR, ro-RO
    voice: str  # <Say voice=...>
    speech_model: str  # <Gather speechModel=...>
    name: str
    where: Where


@dataclass(frozen=True)
class Defaults:
    """Menu-wide settings that nodes inherit."""

    timeout: int = 6
    tries: int = 3
    fallback: str | None = None
    max_call: int = 1800


@dataclass(frozen=True)
class SpeechSettings:
    """How spoken requests are handled across the menu."""

    jump: bool = True  # a request that fits elsewhere in the menu may go there
    confirm_below: float = 0.4  # Twilio Confidence under which a match is confirmed first
    # The menu's own words for a person, per language, besides the built-in ones.
    person: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Menu:
    """A complete, validated menu tree loaded from one YAML file."""

    id: str
    name: str
    file: str
    version: str  # short hash of the file's bytes
    numbers: tuple[str, ...]
    is_default: bool
    languages: Mapping[str, Language]
    start: str
    main: str
    defaults: Defaults
    global_keys: Mapping[str, str]
    schedules: Mapping[str, Schedule]
    messages: Mapping[str, Mapping[str, str]]
    nodes: Mapping[str, Node]
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    source: str = field(repr=False, default="")
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)  # live data for lookups
    actions: Mapping[str, ActionConfig] = field(default_factory=dict)  # writes (a hold)
    # Opt-in: the text a caller gets after leaving a message, per language ("*": any).
    receipts: Mapping[str, str] = field(default_factory=dict)
    receipts_where: Where | None = None
    # Warnings found while loading (a phrase borrowed from another language): `ivr check` says them.
    notes: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    # Where callbacks and texts may go (two-letter countries): narrows the operator's
    # IVR_SMS_COUNTRIES, never widens it; empty = the operator's list as it is.
    countries: frozenset[str] = frozenset()
    countries_where: Where | None = None
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def default_language(self) -> str:
        """The language a call starts in: the first one declared."""
        return next(iter(self.languages))

    def receipt(self, lang: str) -> str:
        """The receipt text for a caller in ``lang`` ("" when this menu sends none)."""
        return (self.receipts.get(lang) or self.receipts.get("*")
                or self.receipts.get(self.default_language) or "")

    def message(self, name: str, lang: str) -> str:
        """A system phrase (sorry, goodbye...) in ``lang``."""
        table = self.messages.get(lang) or self.messages[self.default_language]
        return table[name]
