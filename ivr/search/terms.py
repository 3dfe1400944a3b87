"""Words callers use that a catalogue does not hold: names of attribute values and
everyday names for kinds of item, one replaceable file per language.

A catalogue's ``terms: terms/shop.{lang}.yaml`` (relative to the menus folder) names a
YAML file per caller language (docs/menus.md, "Searching a catalogue")::

    values:            # what callers say for an attribute's values
      size:
        M: [medium]    # the value as the catalogue holds it: [what callers say]
      format:
        large print: [large print, big print]   # may be a value no item has
    cues:              # words that say which attribute a value is for
      size: [size, in size]
    names:             # everyday names for a kind of item: [what callers say]
      t-shirt: [tee, tees, tee shirt]
      pyjamas: [something to sleep in, sleepwear]

The phrases are folded and compared word by word in any form (``ivr.search.forms``), so a
plural or another gender needs no line of its own. Reading the files is the adapters'
(``ivr.search.live``); this module only checks and holds what they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.speech.normalize import fold, tokenize

MAX_PHRASES = 2_000  # phrases one file may hold
MAX_PHRASE_WORDS = 6
MAX_FILE_BYTES = 1_000_000


class TermsError(ValueError):
    """A terms file that is not what the format says: the reason, for the log."""


def phrase_words(text: str) -> tuple[str, ...]:
    """A phrase as folded words ("Tee-shirt" -> ("tee", "shirt"))."""
    return tuple(fold(t) for t in tokenize(str(text), "xx"))[:MAX_PHRASE_WORDS]


@dataclass(frozen=True)
class Terms:
    """One language's words: attribute -> value -> phrases, and kind -> phrases."""

    values: Mapping[str, Mapping[str, tuple[tuple[str, ...], ...]]] = field(default_factory=dict)
    names: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    cues: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    said: Mapping[tuple[str, str], str] = field(default_factory=dict)  # first phrase, as written

    def spoken(self, attribute: str, value: str) -> str:
        """How a value is said in this language: the first phrase given for it, or ""."""
        return self.said.get((attribute, fold(value)), "")


EMPTY = Terms()


def parse_terms(data: Any) -> Terms:
    """Check and fold a terms file's YAML; TermsError when it is not of the format."""
    if data is None:
        return EMPTY
    if not isinstance(data, Mapping) or set(data) - {"values", "names", "cues"}:
        raise TermsError("a terms file is a mapping with 'values', 'cues' and/or 'names'")
    count = 0

    def phrases(items: Any, where: str) -> tuple[tuple[str, ...], ...]:
        nonlocal count
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(i, (str, int)) for i in items):
            raise TermsError(f"{where}: a list of phrases")
        out = tuple(p for p in (phrase_words(str(i)) for i in items) if p)
        count += len(out)
        if count > MAX_PHRASES:
            raise TermsError(f"more than {MAX_PHRASES} phrases")
        return out

    values: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {}
    said: dict[tuple[str, str], str] = {}
    raw_values = data.get("values") or {}
    if not isinstance(raw_values, Mapping):
        raise TermsError("values: a mapping of attribute -> value -> phrases")
    for attribute, table in raw_values.items():
        if not isinstance(table, Mapping):
            raise TermsError(f"values.{attribute}: a mapping of value -> phrases")
        values[str(attribute)] = {str(v).strip(): phrases(p, f"values.{attribute}.{v}")
                                  for v, p in table.items()}
        for v, p in table.items():
            first = p[0] if isinstance(p, list) and p else p
            if isinstance(first, (str, int)):
                said[str(attribute), fold(str(v).strip())] = str(first).strip()
    names: dict[str, tuple[tuple[str, ...], ...]] = {}
    raw_names = data.get("names") or {}
    if not isinstance(raw_names, Mapping):
        raise TermsError("names: a mapping of the catalogue's name -> phrases")
    for name, items in raw_names.items():
        names[str(name)] = phrases(items, f"names.{name}")
    cues: dict[str, tuple[tuple[str, ...], ...]] = {}
    raw_cues = data.get("cues") or {}
    if not isinstance(raw_cues, Mapping):
        raise TermsError("cues: a mapping of attribute -> phrases")
    for attribute, items in raw_cues.items():
        cues[str(attribute)] = phrases(items, f"cues.{attribute}")
    return Terms(values, names, cues, said)
