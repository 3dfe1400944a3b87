"""The parts of a ``type: search`` node besides its call flow: refinements, the hold and
"text me" offers, the context kept in the pending question, and reading them from YAML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr.lookup.node_fields import template
from ivr.menu.model import Prompt
from ivr.menu.source import Value, Where
from ivr.nodes.menu import MAX_HINT_CHARS
from ivr.nodes.message import LINK
from ivr.search.match import MAX_QUERY_CHARS, words_of
from ivr.speech.normalize import fold, normalize, stopwords

if TYPE_CHECKING:
    from ivr.menu.parsing import ParseContext

RESULTS, DETAILS, SPELL = "search:r:", "search:d:", "search:s:"
QUERY_WORD = re.compile(r"^[a-z0-9]{1,32}$")
MAX_REFINE = 6
REFINE_KEYS = "45678"  # 1-3 pick a result; 0, 9, * and # are the menus' usual global keys
SEALED = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@dataclass(frozen=True)
class Refinement:
    """"only audiobooks", "in French", "by another author": the results narrowed by a field."""

    name: str
    column: str  # `field:` in the YAML
    say: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases
    key: str = ""
    contains: str = ""  # the field holds these words ("audiobook" in "book, audiobook")
    equals: str = ""  # the field is this value ("fr")
    other: bool = False  # the field differs from the results heard ("another author")
    label: Prompt | None = None

    def keeps(self, row: Mapping[str, Any], others: set[str]) -> bool:
        """Whether an item stays; ``others``: this field's values in the results heard."""
        value = str(row.get(self.column) or "")
        if self.other:
            return fold(value).strip() not in others
        if self.equals:
            return fold(value).strip() == fold(self.equals).strip()
        have = set(words_of(value))
        return all(w in have for w in words_of(self.contains))


@dataclass(frozen=True)
class TextDetails:
    """"Text me the details": the SMS a caller can ask for after hearing an item's details."""

    body: Prompt  # a template over the item's fields, per language
    where: Where
    link: str = ""  # may hold {key}: the item's page
    key: str = "4"


@dataclass(frozen=True)
class Hold:
    """After an item's details: "To place a hold on it, press 5 or say place a hold"; the
    caller goes to ``node`` (a lookup node with an ``action``) with the item."""

    node: str
    key: str
    where: Where
    say: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> phrases
    label: Prompt | None = None


@dataclass(frozen=True)
class Context:
    """What the caller searched and how they narrowed it, kept in the pending question:
    ``search:r:KEYS~query-words~REFS`` (REFS: a refinement's number, or for "another
    ..." its number and the keys of the results it was said after: ``2.L0001.L0002``),
    and after details, with ``hold``, ``~ITEM``: the key of the item heard, sealed."""

    keys: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    item: str = ""

    def encode(self, kind: str) -> str:
        text = f"{kind}{','.join(self.keys)}~{'-'.join(self.query)}~{','.join(self.refs)}"
        return f"{text}~{self.item}" if self.item else text

    @classmethod
    def decode(cls, pending: str) -> Context:
        body = pending[len(RESULTS):] if pending.startswith((RESULTS, DETAILS)) else ""
        keys, _, rest = body.partition("~")
        query, _, refs = rest.partition("~")
        refs, _, item = refs.partition("~")
        return cls(tuple(k for k in keys.split(",") if k),
                   tuple(w for w in query.split("-") if QUERY_WORD.match(w)),
                   tuple(r for r in refs.split(",") if r),
                   item if SEALED.match(item) else "")


def _text_details(value: Value, ctx: ParseContext,
                  refine: tuple[Refinement, ...]) -> TextDetails | None:
    """``text_me: {body: {en: "{title} by {author}: {shelf}"}, link: https://.../{key},
    key: "4"}``."""
    if not value.is_mapping:
        value.error("text_me is a mapping: body (a template per language), and optionally "
                    "link and key")
        return None
    fields = value.fields("text_me")
    body = None
    if (v := fields.require("body", "the text to send, a template over the item's fields "
                            "per language: {en: \"{title} by {author}\"}")) is not None:
        body = template(v, ctx)
    link = ""
    if (v := fields.get("link")) is not None:
        link = (v.text("a link (https://...)") or "").strip()
        if link and not LINK.match(link.replace("{key}", "KEY")):
            v.error(f"link must be an http(s) address without spaces (it may hold {{key}}), "
                    f"found {link!r}")
            link = ""
    key = "4"
    if (v := fields.get("key")) is not None:
        key = v.text("a key") or ""
        if len(key) != 1 or key not in REFINE_KEYS:
            v.error(f"text_me's key is one of {', '.join(REFINE_KEYS)} (1-3 pick a result; "
                    "0, 9, * and # are left to the menu)")
    if any(r.key == key for r in refine):
        (v or value).error(f"key {key} is already a refinement's: give text_me another key")
    fields.done()
    if body is None:
        return None
    return TextDetails(body, value.where, link, key)


def _says(speech: str, phrases: Iterable[str], lang: str) -> bool:
    """Whether the caller said one of ``phrases`` with at most one other word."""
    said = set(normalize(speech[:MAX_QUERY_CHARS], lang))
    if not said:
        return False
    stop = stopwords(lang)
    for phrase in phrases:
        words = set(normalize(phrase, lang))
        if words and words <= said and len(said - words - stop) <= 1:
            return True
    return False


def _hold(value: Value, ctx: ParseContext, refine: tuple[Refinement, ...]) -> Hold | None:
    """``hold: {node: place_hold, key: "5", say: {en: [place a hold]}, label: {en: place a
    hold on it}}``."""
    fields = value.fields("hold")
    node = ctx.target(v) if (v := fields.require(
        "node", "the lookup node that identifies the caller and runs the action")) else ""
    key = ""
    if (v := fields.require("key", "the key that asks for it, one of 4 to 8")) is not None:
        key = v.text("a key") or ""
        taken = next((r.name for r in refine if r.key == key), None)
        if len(key) != 1 or key not in REFINE_KEYS:
            v.error(f"the hold's key is one of {', '.join(REFINE_KEYS)} (1-3 pick a result; "
                    "0, 9, * and # are left to the menu)")
            key = ""
        elif taken is not None:
            v.error(f"key {key} is already refinement {taken!r}'s")
            key = ""
    say = _phrases(v, ctx) if (v := fields.get("say")) is not None else {}
    label = None
    if (v := fields.require("label", "what it does, per language: {en: place a hold on it}")) \
            is not None:
        label = template(v, ctx)
    fields.done()
    if not node or not key:
        return None
    return Hold(node, key, value.where, say, label)


def _phrases(value: Value, ctx: ParseContext) -> dict[str, tuple[str, ...]]:
    """What callers say for something, per declared language: ``{en: [only audiobooks]}``."""
    say: dict[str, tuple[str, ...]] = {}
    for key_value, phrases in value.pairs():
        lang = str(key_value.node.value)
        if lang not in ctx.languages:
            key_value.error(f"phrases for {lang!r}, which is not declared under 'languages'")
            continue
        say[lang] = tuple(p[:MAX_HINT_CHARS] for p in phrases.text_list("a phrase"))
    return say


def _refinements(value: Value, ctx: ParseContext) -> tuple[Refinement, ...]:
    """``refine: {audiobook: {field: formats, contains: audiobook, key: "7", label: ...,
    say: {en: [only audiobooks]}}, ...}``."""
    out: list[Refinement] = []
    for name_value, item in value.pairs():
        name = str(name_value.node.value)
        if len(out) == MAX_REFINE:
            name_value.error(f"at most {MAX_REFINE} refinements")
            break
        fields = item.fields(f"refinement {name!r}")
        args: dict[str, Any] = {}
        if (v := fields.require("field", "the column it narrows by, e.g. formats")) is not None:
            column = v.text("a column name") or ""
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", column):
                v.error(f"{column!r} is not a column name (letters, digits and _)")
            else:
                args["column"] = column
        ways = [k for k in ("contains", "equals", "other") if fields.get(k) is not None]
        if len(ways) != 1:
            item.error(f"refinement {name!r} needs one of contains (words the field holds), "
                       "equals (the field's value) or other: true (differs from the results "
                       "heard)")
        for way in ways[:1]:
            v = fields.get(way)
            assert v is not None
            if way == "other":
                args["other"] = bool(v.boolean("other"))
            else:
                args[way] = v.text(f"the value for {way}") or ""
        if (v := fields.get("key")) is not None:
            key = v.text("a key") or ""
            if len(key) != 1 or key not in REFINE_KEYS:
                v.error(f"a refinement's key is one of {', '.join(REFINE_KEYS)} (1-3 pick a "
                        f"result; 0, 9, * and # are left to the menu)")
            elif any(r.key == key for r in out):
                v.error(f"key {key} is already another refinement's")
            else:
                args["key"] = key
        if (v := fields.require("label", "what it does, per language: {en: only audiobooks}")) \
                is not None:
            args["label"] = template(v, ctx)
        if (v := fields.require("say", "what callers say for it, per language: {en: [only "
                                "audiobooks]}")) is not None:
            args["say"] = _phrases(v, ctx)
        fields.done()
        if "column" in args and len(ways) == 1:
            out.append(Refinement(name, **args))
    return tuple(out)
