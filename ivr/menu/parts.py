"""The small values a menu is made of that node kinds parse and hold: what the caller
hears (a prompt, per language) and a choice (an option). Below the menu model, which
holds the nodes, so that node kinds and their parsing reach these from below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.menu.source import Where


@dataclass(frozen=True)
class Spoken:
    """One language's version of a prompt: text to speak and/or a recorded file."""

    text: str | None = None
    audio: str | None = None  # path under prompts/


@dataclass(frozen=True)
class Prompt:
    """Something the caller hears, per language (``*`` = any language)."""

    versions: Mapping[str, Spoken]
    where: Where

    def for_language(self, lang: str, default: str) -> Spoken | None:
        """The version for ``lang``, else the language-independent one, else the default's."""
        return self.versions.get(lang) or self.versions.get("*") or self.versions.get(default)


@dataclass(frozen=True)
class Option:
    """A choice in a menu: a key and/or spoken phrases, and where it leads."""

    key: str | None
    phrases: Mapping[str, tuple[str, ...]]
    go: str
    where: Where
    language: str | None = None  # for language choice options
    label: Mapping[str, str] = field(default_factory=dict)
