"""The YAML of a lookup node beyond the common fields: second factor, templates, choices."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.lookup.speak import placeholders
from ivr.menu.model import Prompt
from ivr.menu.source import Value

if TYPE_CHECKING:
    from ivr.menu.parsing import ParseContext

FACTORS = ("caller_id", "postcode", "pin")


@dataclass(frozen=True)
class Verify:
    """A second factor that must match a record field before the answer is spoken."""

    by: str  # caller_id | postcode | pin
    field: str
    say: Prompt | None = None
    digits: int | None = None


@dataclass(frozen=True)
class ByValue:
    """Something chosen by one record field's value: ``{field: status, delayed: agent}``."""

    field: str = ""
    choices: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def choice(value: Value, what: str, allowed: tuple[str, ...]) -> str | None:
    text = value.text(what)
    if text is not None and text not in allowed:
        value.error(f"{what} is one of {', '.join(allowed)}, found {text!r}")
        return None
    return text


def template(value: Value, ctx: ParseContext) -> Prompt | None:
    """A per-language answer template; placeholders are checked now, not during a call."""
    prompt = ctx.prompt(value)
    if prompt is None:
        return None
    for lang, version in prompt.versions.items():
        if version.audio:
            value.error("an answer is spoken text filled from the record; it cannot be audio")
        try:
            placeholders(version.text or "")
        except ValueError as exc:
            value.error(f"answer ({lang}): {exc}")
    return prompt


def by_value(value: Value, what: str, parse: Callable[[Value], Any], *,
              with_field: bool = True) -> ByValue:
    """``{field: status, delayed: ..., lost: ...}`` (or, for values, just the choices)."""
    field_name = ""
    choices: dict[str, Any] = {}
    for key, item in value.pairs():
        name = str(key.node.value)
        if with_field and name == "field":
            field_name = item.text("a record field") or ""
            continue
        parsed = parse(item)
        if parsed is not None:
            choices[name] = parsed
    if with_field and not field_name:
        value.error(f"{what} needs 'field' (the record field whose value decides)")
    return ByValue(field_name, choices)


def verify(value: Value, ctx: ParseContext) -> Verify | None:
    fields = value.fields("verify")
    by_value = fields.require("by", "caller_id, postcode or pin")
    by = choice(by_value, "verify.by", FACTORS) if by_value else None
    field_value = fields.require("field", "the record field the factor must match")
    field_name = field_value.text("a record field") if field_value else None
    say = ctx.prompt(v) if (v := fields.get("say")) is not None else None
    size = v.integer("digits", 2, 16) if (v := fields.get("digits")) is not None else None
    fields.done()
    if by in ("postcode", "pin") and say is None:
        value.error(f"verify by {by} needs 'say' (the question for it)")
    if by is None or field_name is None:
        return None
    return Verify(by, field_name, say, size)
